/**
 * The simulator's scheduler glue: the same decisions as src/pool/scheduler.ts (retries before
 * new work, the voter's verdicts, TMR's late third replica judged after the answer, DMR
 * tie-breaks on a further core, re-executions never on a used core, only minority replicas
 * charged), over virtual time and plain records.
 */
import type { BindingPolicy, PlacementRequest } from '../binding/types.js';
import type { CoreHealth } from '../health/core-health.js';
import type { ManualClock } from '../util/clock.js';
import { afterShortVote, agreesWith, decide, type Ballot, type VoteGroup } from '../replication/voter.js';
import { HealthGlue, KIND_NAMES, OK_KEY, TASK_NAME } from './bridge.js';
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
  private readonly request: PlacementRequest;

  constructor(
    cores: SimCore[],
    policy: BindingPolicy,
    health: CoreHealth,
    clock: ManualClock,
    faults: FaultModel,
    metrics: Metrics,
    k: number,
    protected readonly needed: number,
    protected readonly maxAttempts: number,
    count: number,
  ) {
    super(cores, policy, health, clock, faults, metrics, k);
    this.seen = new Uint8Array(count);
    this.dynamic = policy.name === 'dynamic';
    // One request object, refilled per call: policies keep no references across calls.
    this.request = { taskId: 0, taskName: TASK_NAME, k, count: k, used: [], group: undefined };
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
        for (let i = 0; i < this.retries.length; ) {
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

  /** Tries to place a task's wanted replicas. True when none is left to place. */
  private place(task: SimTask): boolean {
    const req = this.request;
    while (task.wanted > 0) {
      // Dynamic: a task's first k replicas go in one call for as many as there are idle cores;
      // tie-breaks and re-executions ask one at a time, exactly like the pool.
      // With no idle core the policy can only say wait (or, rarely, tell an impossibility that
      // the next freed core reveals just as well): skip the O(n) call.
      if (this.idleEnabled === 0 && this.capacity >= this.k) return false;
      let count = task.wanted;
      if (this.dynamic) count = task.extra > 0 ? 1 : Math.max(1, Math.min(count, this.idleEnabled));
      req.taskId = task.id;
      req.taskName = KIND_NAMES[task.kind]!;
      req.count = count;
      req.used = task.used;
      req.group = task.group;
      this.stats.placeCalls++;
      let placement = this.policy.place(req, this.cores);
      if (placement.kind === 'wait' && count > 1 && this.dynamic) {
        // The fault-domain cap can block the k-th pick: place what the pool would, one by one.
        req.count = 1;
        this.stats.placeCalls++;
        placement = this.policy.place(req, this.cores);
      }
      if (placement.kind === 'wait') return false;
      if (placement.kind === 'impossible') {
        task.wanted = 0;
        if (!task.started && placement.reason === 'not-enough-cores') this.settle(task, 'not-enough-cores');
        else if (task.inFlight === 0) this.noMajority(task);
        return true;
      }
      if (placement.group !== undefined) task.group = placement.group;
      const placed = placement.cores;
      for (let j = 0; j < placed.length; j++) this.dispatch(task, placed[j]!);
      task.wanted = Math.max(0, task.wanted - placed.length);
    }
    return true;
  }

  /** A replica finished (value, wrong value, crash or timeout): vote, or judge it late. */
  protected finished(task: SimTask, id: number, status: number, ms: number, ballot: Ballot): void {
    task.inFlight--;
    task.fin.push(id);
    task.finStatus.push(status);
    task.finMs.push(ms);
    task.ballots.push(ballot);
    this.noteSpeed(task);
    if (task.settled) this.judgeLate(task, ballot);
    else this.evaluate(task);
    // Reuse the record only once nothing refers to it any more.
    if (task.settled && task.inFlight === 0 && !task.inRetries && task !== this.head) this.spare.push(task);
  }

  /** health-bridge.noteSpeed: this replica's time over the task's fastest, smoothed per core. */
  private noteSpeed(task: SimTask): void {
    const last = task.fin.length - 1;
    if (task.finStatus[last] !== 0) return;
    const ms = task.finMs[last]!;
    let fastest = ms;
    for (let i = 0; i < last; i++) if (task.finStatus[i] === 0 && task.finMs[i]! < fastest) fastest = task.finMs[i]!;
    if (fastest < 0.02) return;
    const core = this.cores[task.fin[last]!]!;
    core.speed = core.speed * 0.9 + (ms / fastest) * 0.1;
  }

  private evaluate(task: SimTask): void {
    const verdict = decide(task.ballots, task.inFlight, this.needed);
    if (verdict.kind === 'agreed') {
      this.agreed(task, verdict.group, verdict.groups.length > 1);
      return;
    }
    if (verdict.groups.length > 1) this.markDisagreement(task);
    if (verdict.kind === 'waiting') return;
    const next = afterShortVote(verdict.missing, task.wanted, task.used.length + task.wanted - this.k, this.maxAttempts);
    if (next.kind === 'wait') return;
    if (next.kind === 'give-up') {
      this.noMajority(task);
      return;
    }
    task.extra += next.more;
    task.wanted += next.more;
    this.stats.retries += next.more;
    if (!task.inRetries) {
      task.inRetries = true;
      this.retries.push(task);
    }
  }

  private markDisagreement(task: SimTask): void {
    if (task.disagreed) return;
    task.disagreed = true;
    this.stats.disagreements++;
  }

  private agreed(task: SimTask, winner: VoteGroup, split: boolean): void {
    task.winner = winner;
    if (split) this.markDisagreement(task);
    const members = winner.members;
    const corrected = task.fin.length > members.length;
    for (let i = 0; i < task.fin.length; i++) {
      if (members.includes(i)) this.success(task.fin[i]!, task.kind);
      else this.charge(task, i, winner);
    }
    if (corrected) this.stats.corrected++;
    this.settle(task, winner.key === OK_KEY ? 'correct' : 'sdc');
  }

  /** A replica that answered after the verdict: charge it if it disagrees (TMR's third). */
  private judgeLate(task: SimTask, ballot: Ballot): void {
    const winner = task.winner;
    if (winner === undefined) return; // failed without a majority: nobody can be blamed
    const index = task.fin.length - 1;
    if (agreesWith(task.ballots, winner, ballot)) {
      winner.members.push(index);
      this.success(task.fin[index]!, task.kind);
      return;
    }
    if (!task.disagreed) this.markDisagreement(task);
    this.charge(task, index, winner);
  }

  private noMajority(task: SimTask): void {
    if (task.settled) return;
    this.markDisagreement(task);
    this.settle(task, 'no-majority');
  }

  /** Settles a task exactly once (asserted), and feeds the closed loop. */
  protected settle(task: SimTask, outcome: Outcome): void {
    if (task.settled) throw new Error(`simulator invariant: task ${task.id} settled twice`);
    task.settled = true;
    task.wanted = 0; // the pump drops it from the retries list (never splice under its loop)
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
