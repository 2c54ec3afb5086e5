/**
 * The simulator's scheduler glue: the same decisions as src/pool/scheduler.ts and
 * health-bridge.ts (retries before new work, the voter's verdicts, TMR's late third replica
 * judged after the answer, DMR tie-breaks on a further core, only minority replicas charged,
 * health transitions applied to the binding policy), over virtual time and plain records.
 */
import type { BindingPolicy, PlacementRequest } from '../binding/types.js';
import type { CoreHealth } from '../health/core-health.js';
import type { FaultEvidence, HealthEffects, HealthState } from '../health/types.js';
import type { ManualClock } from '../util/clock.js';
import { agreesWith, decide, type Ballot, type VoteGroup } from '../vote/voter.js';
import type { FaultModel } from './faults.js';
import type { Metrics } from './metrics.js';
import { S_CRASH, S_TIMEOUT, SimTask, type SimCore } from './task.js';

const SERVING: ReadonlySet<HealthState> = new Set(['healthy', 'suspect', 'probation']);
export const TASK_NAME = 'task';
export const OK_KEY = 'ok';

export interface Counters {
  submitted: number;
  settled: number;
  correct: number;
  sdc: number;
  noMajority: number;
  notEnoughCores: number;
  replicas: number;
  retries: number;
  faults: number;
  disagreements: number;
  corrected: number;
  timeouts: number;
  crashes: number;
  selfTests: number;
  placeCalls: number;
}

export abstract class Glue {
  now = 0;
  idleEnabled = 0;
  capacity = 0;
  /** New work may fit: a core or static group became idle, or capacity changed. */
  protected newDirty = true;
  protected readonly retries: SimTask[] = [];
  protected head: SimTask | undefined = undefined;
  private readonly spare: SimTask[] = [];
  private pumping = false;
  private again = false;
  /** Closed loop: tasks to submit once the current event is handled. */
  protected toSubmit = 0;
  readonly stats: Counters = { submitted: 0, settled: 0, correct: 0, sdc: 0, noMajority: 0, notEnoughCores: 0, replicas: 0, retries: 0, faults: 0, disagreements: 0, corrected: 0, timeouts: 0, crashes: 0, selfTests: 0, placeCalls: 0 };
  readonly suspicions: { at: number; cores: number[] }[] = [];
  protected readonly seen: Uint8Array;
  protected readonly dynamic: boolean;
  private readonly request: PlacementRequest;

  constructor(
    protected readonly cores: SimCore[],
    protected readonly policy: BindingPolicy,
    protected readonly health: CoreHealth,
    protected readonly clock: ManualClock,
    protected readonly faults: FaultModel,
    protected readonly metrics: Metrics,
    protected readonly k: number,
    protected readonly needed: number,
    protected readonly maxAttempts: number,
    count: number,
  ) {
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
  /** A core left or rejoined service (self-test polling, static group book-keeping). */
  protected abstract enabledChanged(id: number, on: boolean): void;

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
    const missing = verdict.missing - task.wanted;
    if (missing <= 0) return;
    const beyond = task.used.length + task.wanted - this.k;
    if (beyond + missing > this.maxAttempts) {
      this.noMajority(task);
      return;
    }
    task.extra += missing;
    task.wanted += missing;
    this.stats.retries += missing;
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
      if (members.includes(i)) this.success(task.fin[i]!);
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
      this.success(task.fin[index]!);
      return;
    }
    if (!task.disagreed) this.markDisagreement(task);
    this.charge(task, index, winner);
  }

  private success(id: number): void {
    const fx = this.health.success(id, TASK_NAME);
    if (fx.transitions.length > 0 || fx.suspicions.length > 0) this.apply(fx);
  }

  private charge(task: SimTask, index: number, winner: VoteGroup): void {
    const status = task.finStatus[index];
    const evidence: FaultEvidence = {
      kind: status === S_CRASH ? 'crash' : status === S_TIMEOUT ? 'timeout' : 'wrong-result',
      taskName: TASK_NAME,
      taskId: task.id,
      majorityDigest: winner.key,
    };
    const key = task.ballots[index]!.key;
    if (key !== undefined) evidence.digest = key;
    this.stats.faults++;
    const id = task.fin[index]!;
    const fx = this.health.charge(id, evidence);
    this.cores[id]!.lastFaultAt = this.now;
    this.apply(fx);
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

  /** The policy's roles may have changed (static groups stranded or restored). */
  protected abstract capacityChanged(): void;

  /** Called after each settle (the closed loop submits the next task). */
  protected abstract settledHook(failed: boolean): void;

  /** health-bridge.apply: enable/disable cores, update the policy, re-examine waiting work. */
  protected apply(fx: HealthEffects): void {
    let changed = false;
    for (const t of fx.transitions) {
      const core = this.cores[t.core]!;
      const serving = SERVING.has(t.to);
      if (serving === core.enabled) continue;
      changed = true;
      core.enabled = serving;
      if (!core.busy) this.idleEnabled += serving ? 1 : -1;
      this.metrics.enabled(core.id, this.now, serving);
      if (!serving) {
        const cause = this.faults.cause(core.id, this.now);
        const onset = cause === 'permanent' ? this.faults.onset[core.id]! : this.faults.firstBad[core.id]!;
        const record = t.to === 'disabled' || t.to === 'retired' ? { core: core.id, at: this.now, cause, onset, timeToDisable: this.now - onset } : undefined;
        this.metrics.disabled(record, this.now, 1);
      } else this.metrics.disabled(undefined, this.now, -1);
      this.enabledChanged(core.id, serving);
    }
    for (const s of fx.suspicions) this.suspicions.push({ at: this.now, cores: s.cores });
    if (changed) {
      this.policy.update(this.cores);
      this.capacity = this.policy.capacity(this.cores);
      this.metrics.capacity(this.now, this.capacity);
      this.newDirty = true;
      this.capacityChanged();
      this.pump();
    }
  }

  /** Submission (scheduler.submit): with fewer than k serving cores a task fails at once. */
  protected admit(id: number): boolean {
    this.stats.submitted++;
    if (this.capacity >= this.k) return true;
    this.record(id, this.now, 'not-enough-cores');
    return false;
  }
}

export type Outcome = 'correct' | 'sdc' | 'no-majority' | 'not-enough-cores';
