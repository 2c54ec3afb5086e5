/**
 * The simulator's scheduler glue: the same decisions as src/pool/scheduler.ts (retries before
 * new work, the voter's verdicts, TMR's late third replica judged after the answer, DMR
 * tie-breaks on a further core, re-executions never on a used core, only minority replicas
 * charged), over virtual time and plain records.
 */
import type { BindingPolicy } from '../binding/types.js';
import type { CoreHealth } from '../health/core-health.js';
import type { ManualClock } from '../util/clock.js';
import type { Ballot, VoteGroup } from '../replication/voter.js';
import { castBallot, noteDisagreement, type Step, type VoteRules } from '../replication/step.js';
import { newPlacementRequest, placeWanted, type PlacementHost } from '../replication/placement.js';
import { smoothedSpeed } from '../binding/speed.js';
import { HealthGlue, KIND_NAMES, OK_KEY } from './bridge.js';
import type { FaultModel } from './faults.js';
import type { Metrics } from './metrics.js';
import { SimTask, type SimCore } from './task.js';

export abstract class Glue extends HealthGlue {
  protected readonly retries: SimTask[] = [];
  protected head: SimTask | undefined = undefined;
  private readonly spare: SimTask[] = [];
  private pumping = false;
  private again = false;
  /** Closed loop: tasks to submit once the current event is handled. */
  protected toSubmit = 0;
  protected readonly seen: Uint8Array;
  protected readonly dynamic: boolean;
  private readonly rules: VoteRules;
  /** What the shared placement loop needs of the simulator, and its reusable request. */
  private readonly placement: PlacementHost<SimTask>;
  private readonly request = newPlacementRequest();
  /** Tasks are stepped (scenario field `stepped`): chained segments, each voted. */
  protected steppedTasks = false;

  constructor(
    cores: SimCore[],
    policy: BindingPolicy,
    health: CoreHealth,
    clock: ManualClock,
    faults: FaultModel,
    metrics: Metrics,
    k: number,
    needed: number,
    maxAttempts: number,
    count: number,
  ) {
    super(cores, policy, health, clock, faults, metrics, k);
    this.seen = new Uint8Array(count);
    this.dynamic = policy.name === 'dynamic';
    this.rules = { needed, maxAttempts };
    const counted = { name: policy.name, place: (...args: Parameters<BindingPolicy['place']>) => (this.stats.placeCalls++, policy.place(...args)) };
    this.placement = {
      policy: counted,
      cores,
      dispatch: (task, id) => this.dispatch(task, id),
      idleHint: () => this.idleEnabled,
      // With no idle core the policy can only say wait: skip its O(n) call.
      mayPlace: () => this.idleEnabled > 0 || this.capacity < this.k,
    };
  }

  /** Starts one replica of `task` on core `id`. */
  protected abstract dispatch(task: SimTask, id: number): void;
  /** Next queued (submitted, never placed) task, materialized; undefined when none. */
  protected abstract takeQueued(): SimTask | undefined;
  protected abstract queuedCount(): number;
  /** Cheap test that placing the head of the queue may succeed (the policy's place is O(n)). */
  protected abstract newWorkFits(): boolean;

  protected newTask(): SimTask {
    return this.spare.pop() ?? new SimTask();
  }

  /** Places waiting replicas on free cores until nothing more fits (scheduler.pump). */
  pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        for (let i = 0; i < this.retries.length;) {
          const task = this.retries[i]!;
          if (task.settled || task.wanted === 0 || this.place(task)) {
            this.retries.splice(i, 1);
            task.inRetries = false;
          } else i++;
        }
        // Queued tasks are interchangeable, so a blocked head blocks them all: no scan past it.
        while ((this.head !== undefined || this.queuedCount() > 0) && this.newWorkFits()) {
          const task = this.head ?? this.takeQueued()!;
          this.head = task;
          if (!this.place(task)) {
            this.newDirty = false;
            break;
          }
          this.head = undefined;
        }
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  /** Tries to place a task's wanted replicas (the shared placement loop). True when none is left to place. */
  private place(task: SimTask): boolean {
    const result = placeWanted(task, KIND_NAMES[task.kind]!, this.placement, this.request);
    if (result === 'wait') return false;
    if (result === 'not-enough-cores') this.settle(task, 'not-enough-cores');
    else if (result === 'no-majority') this.noMajority(task);
    return true;
  }

  /** A replica finished (value, wrong value, crash or timeout): its ballot joins the task (the replication step). */
  protected finished(task: SimTask, id: number, status: number, ms: number, ballot: Ballot): void {
    task.fin.push(id);
    task.finStatus.push(status);
    task.finMs.push(ms);
    task.finTicket.push(this.health.arrived(id));
    this.noteSpeed(task);
    this.execute(task, castBallot(task, ballot, this.rules));
    if (task.settled) this.forgoUnjudged(task);
    // Reuse the record only once nothing refers to it any more.
    if (task.settled && task.inFlight === 0 && !task.inRetries && task !== this.head) this.spare.push(task);
  }

  private execute(task: SimTask, step: Step): void {
    if (step.disagreed) this.stats.disagreements++;
    switch (step.kind) {
      case 'answer':
        this.agreed(task, step.winner, step.corrected);
        return;
      case 'ask':
        this.stats.retries += step.more;
        if (!task.inRetries) {
          task.inRetries = true;
          this.retries.push(task);
        }
        return;
      case 'give-up':
        this.noMajority(task);
        return;
      case 'late':
        if (step.agrees) this.success(task, step.index);
        else this.charge(task, step.index, task.winner!);
        return;
      case 'wait':
      case 'ignore':
        return;
    }
  }

  /** health-bridge.noteSpeed: this replica's time over the task's fastest, smoothed per core. */
  private noteSpeed(task: SimTask): void {
    const last = task.fin.length - 1;
    if (task.finStatus[last] !== 0) return;
    const ms = task.finMs[last]!;
    let fastest = ms;
    for (let i = 0; i < last; i++) if (task.finStatus[i] === 0 && task.finMs[i]! < fastest) fastest = task.finMs[i]!;
    const core = this.cores[task.fin[last]!]!;
    core.speed = smoothedSpeed(core.speed, ms, fastest);
  }

  private agreed(task: SimTask, winner: VoteGroup, corrected: boolean): void {
    const members = winner.members;
    for (let i = 0; i < task.fin.length; i++) {
      if (members.includes(i)) this.success(task, i);
      else this.charge(task, i, winner);
    }
    if (corrected) this.stats.corrected++;
    if (winner.key === OK_KEY && task.remaining > 0) this.chain(task);
    else this.settle(task, winner.key === OK_KEY ? 'correct' : 'sdc');
  }

  /**
   * A stepped task's segment was voted (stepped/driver.ts in the pool): its state is the checkpoint
   * and the next segment is a fresh vote, placed before new work like a re-execution. The segment's
   * record stays for its late replicas (judged against its own winner); the task settles once, at
   * its last segment.
   */
  private chain(task: SimTask): void {
    task.settled = true;
    task.wanted = 0;
    this.forgoUnjudged(task);
    this.stats.checkpoints++;
    const next = this.newTask().reset(task.id, task.submitAt, 0, task.k, task.kind);
    this.segment(next, task.remaining);
    next.inRetries = true;
    this.retries.push(next);
  }

  /** Sets a stepped task's next segment: up to one interval of its `left` work, plus the checkpoint's cost. */
  protected abstract segment(task: SimTask, left: number): void;

  private noMajority(task: SimTask): void {
    if (task.settled) return;
    if (noteDisagreement(task)) this.stats.disagreements++;
    this.settle(task, 'no-majority');
  }

  /** Settles a task exactly once (asserted), and feeds the closed loop. */
  protected settle(task: SimTask, outcome: Outcome): void {
    if (task.settled) throw new Error(`simulator invariant: task ${task.id} settled twice`);
    if (outcome === 'correct' && this.steppedTasks) this.stats.checkpoints++;
    task.settled = true;
    task.wanted = 0; // the pump drops it from the retries list (never splice under its loop)
    this.forgoUnjudged(task);
    this.record(task.id, task.submitAt, outcome);
  }

  /** Books one settled task by id; a second settle of the same id is an invariant violation. */
  protected record(id: number, submitAt: number, outcome: Outcome): void {
    if (this.seen[id] === 1) throw new Error(`simulator invariant: task ${id} settled twice`);
    this.seen[id] = 1;
    const s = this.stats;
    s.settled++;
    if (outcome === 'correct' || outcome === 'sdc') {
      if (outcome === 'correct') s.correct++;
      else s.sdc++;
      this.metrics.resolved(this.now, this.now - submitAt);
    } else if (outcome === 'no-majority') s.noMajority++;
    else s.notEnoughCores++;
    this.settledHook(outcome === 'no-majority' || outcome === 'not-enough-cores');
  }

  /** Called after each settle (the closed loop submits the next task). */
  protected abstract settledHook(failed: boolean): void;

  /** Submission (scheduler.submit): with fewer than k serving cores a task fails at once. */
  protected admit(id: number): boolean {
    this.stats.submitted++;
    if (this.capacity >= this.k) return true;
    this.record(id, this.now, 'not-enough-cores');
    return false;
  }
}

export type Outcome = 'correct' | 'sdc' | 'no-majority' | 'not-enough-cores';
