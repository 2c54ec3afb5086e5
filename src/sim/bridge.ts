/**
 * The simulator's health bridge (src/pool/health-bridge.ts on virtual time): successes and
 * charges go to the real CoreHealth, its transitions enable or disable cores, the real binding
 * policy is updated and capacity re-read, and waiting work is re-examined.
 */
import type { BindingPolicy } from '../binding/types.js';
import type { CoreHealth } from '../health/core-health.js';
import type { FaultEvidence, HealthEffects } from '../health/types.js';
import { isServing } from '../health/serving.js';
import type { ManualClock } from '../util/clock.js';
import type { VoteGroup } from '../replication/voter.js';
import type { FaultModel } from './faults.js';
import type { Metrics } from './metrics.js';
import { S_CRASH, S_TIMEOUT, type SimCore, type SimTask } from './task.js';

/** The deterministic task kind simulated (evidence and salvage are kept per kind). */
export const TASK_NAME = 'task';
/** Task kinds by SimTask.kind: `flaky` replicas diverge on their own (faults.flaky). */
export const KIND_NAMES: readonly string[] = [TASK_NAME, 'flaky'];
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
  /** Stepped tasks: segments voted (checkpoints), the final one of each task included. */
  checkpoints: number;
  /** Replica time discarded by charges (a wrong replica's segment, a crash or hang up to its end), ms. */
  lostWork: number;
}

export abstract class HealthGlue {
  now = 0;
  idleEnabled = 0;
  capacity = 0;
  /** New work may fit: a core or static group became idle, or capacity changed. */
  protected newDirty = true;
  readonly stats: Counters = {
    submitted: 0,
    settled: 0,
    correct: 0,
    sdc: 0,
    noMajority: 0,
    notEnoughCores: 0,
    replicas: 0,
    retries: 0,
    faults: 0,
    disagreements: 0,
    corrected: 0,
    timeouts: 0,
    crashes: 0,
    selfTests: 0,
    placeCalls: 0,
    checkpoints: 0,
    lostWork: 0,
  };
  readonly suspicions: { at: number; cores: number[] }[] = [];

  constructor(
    protected readonly cores: SimCore[],
    protected readonly policy: BindingPolicy,
    protected readonly health: CoreHealth,
    protected readonly clock: ManualClock,
    protected readonly faults: FaultModel,
    protected readonly metrics: Metrics,
    protected readonly k: number,
  ) {}

  /** Re-examines waiting work (scheduler.pump). */
  abstract pump(): void;
  /** A core left or rejoined service (self-test polling, static group book-keeping). */
  protected abstract enabledChanged(id: number, on: boolean): void;
  /** The policy's roles may have changed (static groups stranded or restored). */
  protected abstract capacityChanged(): void;

  protected success(task: SimTask, index: number): void {
    const fx = this.health.success(task.fin[index]!, KIND_NAMES[task.kind]!, this.takeTicket(task, index));
    if (fx.transitions.length > 0 || fx.exclusions.length > 0 || fx.suspicions.length > 0) this.apply(fx);
  }

  /** Finished replicas of a settled task that were not judged (and will not be) hold nothing up. */
  protected forgoUnjudged(task: SimTask): void {
    for (let i = 0; i < task.fin.length; i++) {
      const ticket = task.finTicket[i]!;
      if (ticket < 0) continue;
      task.finTicket[i] = -1;
      this.apply(this.health.forgo(task.fin[i]!, ticket));
    }
  }

  private takeTicket(task: SimTask, index: number): number | undefined {
    const ticket = task.finTicket[index]!;
    task.finTicket[index] = -1;
    return ticket < 0 ? undefined : ticket;
  }

  protected charge(task: SimTask, index: number, winner: VoteGroup): void {
    const status = task.finStatus[index];
    const evidence: FaultEvidence = {
      kind: status === S_CRASH ? 'crash' : status === S_TIMEOUT ? 'timeout' : 'wrong-result',
      taskName: KIND_NAMES[task.kind]!,
      taskId: task.id,
      majorityDigest: winner.key,
    };
    const key = task.ballots[index]!.key;
    if (key !== undefined) evidence.digest = key;
    this.stats.faults++;
    this.stats.lostWork += task.finMs[index]!;
    this.apply(this.health.charge(task.fin[index]!, evidence, this.takeTicket(task, index)));
  }

  /** health-bridge.apply: enable/disable cores, update the policy, re-examine waiting work. */
  protected apply(fx: HealthEffects): void {
    let changed = false;
    for (const t of fx.transitions) {
      const core = this.cores[t.core]!;
      // The health model already moved the core (SimCore reads it): only the change matters here.
      const serving = isServing(t.to);
      if (serving === isServing(t.from)) continue;
      changed = true;
      if (!core.busy) this.idleEnabled += serving ? 1 : -1;
      this.metrics.enabled(core.id, this.now, serving);
      if (!serving) {
        const cause = this.faults.cause(core.id, this.now);
        const onset = cause === 'permanent' ? this.faults.onset[core.id]! : this.faults.firstBad[core.id]!;
        const out = t.to === 'disabled' || t.to === 'retired';
        const record = out ? { core: core.id, at: this.now, cause, onset, timeToDisable: this.now - onset, replicas: core.replicas } : undefined;
        this.metrics.disabled(record, this.now, 1);
      } else this.metrics.disabled(undefined, this.now, -1);
      this.enabledChanged(core.id, serving);
    }
    for (const s of fx.suspicions) this.suspicions.push({ at: this.now, cores: s.cores });
    if (changed || fx.exclusions.length > 0) {
      this.policy.update(this.cores);
      this.capacity = this.policy.capacity(this.cores);
      this.metrics.capacity(this.now, this.capacity);
      this.newDirty = true;
      this.capacityChanged();
      this.pump();
    }
  }
}
