import type { Clock } from '../util/clock.js';

/**
 * Health state of one core.
 * - healthy: no recent charge.            - suspect: 0 < score < disableAt.
 * - disabled: score reached disableAt; serves no user task, may be probed by self-tests.
 * - probation: passed its self-tests; serves tasks, one more fault retires it.
 * - retired: permanently out of service.  - offline: taken out for maintenance by the operator.
 */
export type HealthState = 'healthy' | 'suspect' | 'disabled' | 'probation' | 'retired' | 'offline';

/** Why a core is charged. */
export type FaultKind = 'wrong-result' | 'crash' | 'timeout' | 'self-test';

/** What a charge is based on, kept for events and the audit log. */
export interface FaultEvidence {
  kind: FaultKind;
  /** Task name (the module export); salvage keys charges on it. */
  taskName: string;
  taskId?: number;
  /** Digest produced by the charged core, when it produced one. */
  digest?: string;
  /** Digest the majority agreed on. */
  majorityDigest?: string;
  /** For a crash or timeout: why the worker died (exit code, uncaught error) or how long it ran. */
  detail?: string;
}

export interface HealthTransition {
  core: number;
  from: HealthState;
  to: HealthState;
  reason: string;
  at: number;
  evidence?: FaultEvidence;
}

/** A core excluded from one task kind only (software core salvaging). */
export interface KindExclusion {
  core: number;
  taskName: string;
  at: number;
  evidence?: FaultEvidence;
}

export interface NondeterminismSuspicion {
  taskName: string;
  /** Distinct cores blamed for this task kind within the window. */
  cores: number[];
  at: number;
}

/** Everything one health call changed, for events. Empty arrays when nothing happened. */
export interface HealthEffects {
  transitions: HealthTransition[];
  exclusions: KindExclusion[];
  suspicions: NondeterminismSuspicion[];
  /** False when the charge was suppressed (task kind suspected non-deterministic). */
  charged: boolean;
}

export interface ResolvedHealthOptions {
  /** Fault score that disables a core. @default 3 */
  disableAt: number;
  /** Half-life of the fault score in ms (exponential decay). @default 60_000 */
  halfLife: number;
  /** Software core salvaging: charges are kept per (core, task name). */
  salvage: false | { maxKinds: number };
  /** Reintegration by known-answer tests; false disables the way back. */
  selfTest: false | ResolvedSelfTestOptions;
  /** Blame concentration: stop charging a task kind whose disagreements spread over many cores. */
  blame: { window: number; minCores: number; maxShare: number } | false;
}

export interface ResolvedSelfTestOptions {
  /** Known-answer tasks run on a disabled core. */
  tasks: readonly { name: string; input: unknown; expected: unknown }[];
  /** Delay after disabling (and between failed rounds) before probing, ms. @default 10_000 */
  after: number;
  /** Clean KAT runs in a row needed to move to probation. @default 3 */
  passes: number;
  /** Probations allowed before a core is retired for good. @default 2 */
  maxProbations: number;
  /** Clean replicas that end a probation (back to healthy). @default 50 */
  probationTasks: number;
}

export interface CoreHealthRecord {
  core: number;
  state: HealthState;
  score: number;
  faults: number;
  excludedKinds: string[];
  probations: number;
  /** Time of the last charge, or null. */
  lastFaultAt: number | null;
  /** Only while offline: the state the core returns to on setOnline (kept so a snapshot loses nothing). */
  onlineState?: Exclude<HealthState, 'offline'>;
}

/** Serializable snapshot (pool.health.export()); restoring it keeps known-bad cores out after a restart. */
export interface HealthSnapshot {
  version: 1;
  cores: CoreHealthRecord[];
  /** Task kinds suspected non-deterministic (no longer charged); absent when none. */
  nondeterministic?: string[];
}

/**
 * The health model: a pure state machine per core (cockatiel-breaker style). No threads,
 * no timers: time comes from the injected clock, so the pool and the simulator share it.
 */
export interface IHealth {
  readonly clock: Clock;
  state(core: number): HealthState;
  /** Decayed fault score now. */
  score(core: number): number;
  /** May this core run a user task of this kind? (hot path: must be cheap) */
  canServe(core: number, taskName: string): boolean;
  /** Charge a fault to a core (only ever called when a majority exists to blame it). */
  charge(core: number, evidence: FaultEvidence): HealthEffects;
  /** A replica on this core agreed with the majority (counts toward ending probation). */
  success(core: number, taskName: string): HealthEffects;
  /** Cores that are disabled and due for a known-answer probe now. */
  dueForSelfTest(): number[];
  /** Result of one known-answer probe on a disabled core. */
  selfTestResult(core: number, passed: boolean, detail?: string): HealthEffects;
  setOffline(core: number): HealthEffects;
  setOnline(core: number): HealthEffects;
  record(core: number): CoreHealthRecord;
  export(): HealthSnapshot;
}
