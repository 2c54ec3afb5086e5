import type { AttributionEvidence } from './evidence.js';

export type { AttributionEvidence, Stream } from './evidence.js';

/**
 * Health state of one core.
 * - healthy: the evidence against it is weak. - suspect: its test statistic passed half the threshold.
 * - disabled: its fault rate stood out from its kind's base rate (the sequential test alarmed);
 *   serves no user task, may be probed by self-tests.
 * - probation: passed its self-tests; serves tasks, one more fault retires it.
 * - retired: permanently out of service.  - offline: taken out for maintenance by the operator.
 */
export type HealthState = 'healthy' | 'suspect' | 'disabled' | 'probation' | 'retired' | 'offline';

/** Why a core is charged. */
export type FaultKind = 'wrong-result' | 'crash' | 'timeout' | 'self-test';

/** What a charge is based on, kept for events and the audit log. */
export interface FaultEvidence {
  kind: FaultKind;
  /** Task name (the module export). */
  taskName: string;
  /** What the core is judged on (run option `kind`); the task name when absent. Salvage keys on it. */
  taskKind?: string;
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
  /** The test that moved it: counts, rates and the statistic. */
  attribution?: AttributionEvidence;
}

/** A core excluded from one task kind only (software core salvaging). */
export interface KindExclusion {
  core: number;
  taskName: string;
  at: number;
  evidence?: FaultEvidence;
  attribution?: AttributionEvidence;
}

/**
 * A task kind whose out-voted replicas are spread over the fleet at a high base rate (see
 * NONDETERMINISTIC_BASE). Information only: the test already judges each core against that
 * base. It ends (`ended: true`) when the kind's base rate falls again.
 */
export interface NondeterminismSuspicion {
  /** The task kind. */
  taskName: string;
  /** Cores that ran the kind. */
  cores: number[];
  /** The kind's base rate of out-voted replicas across the fleet. */
  base: number;
  at: number;
  ended?: boolean;
}

/** Everything one health call changed, for events. Empty arrays when nothing happened. */
export interface HealthEffects {
  transitions: HealthTransition[];
  exclusions: KindExclusion[];
  suspicions: NondeterminismSuspicion[];
  /** False when the replica was not evidence (a kind declared non-deterministic, out-voted). */
  charged: boolean;
  /** The evidence against the charged core on the charged stream (charge() only). */
  attribution?: AttributionEvidence;
}

export interface ResolvedHealthOptions {
  /**
   * False-alarm budget of the sequential test: the rate, per replica of a healthy core, at which
   * it may be disabled by chance (0: never disable on evidence). @default 1e-9
   */
  falseAlarm: number;
  /** Task kinds declared non-deterministic: their out-voted replicas are never charged (crashes and timeouts are). */
  nondeterministic: readonly string[];
  /** Software core salvaging: an alarm excludes the core from that kind only. */
  salvage: false | { maxKinds: number };
  /** Reintegration by known-answer tests; false disables the way back. */
  selfTest: false | ResolvedSelfTestOptions;
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
  /** Strongest evidence against the core now: its largest test statistic over the threshold (1 disables). */
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
  /** Written by older versions (kinds once suspected non-deterministic); accepted and ignored: nothing latches now. */
  nondeterministic?: string[];
}
