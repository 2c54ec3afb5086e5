/** Public types of the operations layer: audit log, metrics, reliability figures and the state scan. */
import type { Writable } from 'node:stream';
import type { FaultKind, HealthSnapshot } from '../health/types.js';
import type { CoreState, TaskOutcome } from '../pool/events.js';

/**
 * How much the audit log records. Each level includes the ones before it.
 * - off: nothing (no listener is attached).
 * - actions: every fault-tolerance action (charges, disagreements, retries, state changes,
 *   spares, self-tests, suspicions, drift, pool start/ready/stop).
 * - tasks: plus one line per settled task.
 * - debug: plus task failures with their error and internal errors.
 */
export type AuditLevel = 'off' | 'actions' | 'tasks' | 'debug';

export const AUDIT_LEVELS: readonly AuditLevel[] = ['off', 'actions', 'tasks', 'debug'];

/** A level's place in AUDIT_LEVELS (each records what the ones before it do, and more); 0 for anything else, as 'off'. */
export function auditLevelRank(level: unknown): number {
  return Math.max(0, AUDIT_LEVELS.indexOf(level as AuditLevel));
}

export interface AuditOptions {
  /** Append JSON lines to this file (created if missing). */
  file?: string | URL;
  /** Write JSON lines to this stream too (it is not ended by destroy()). */
  stream?: Writable;
  /** @default 'actions' */
  level?: AuditLevel;
}

export interface ResolvedAuditOptions {
  /** Absolute path, when logging to a file. */
  file: string | undefined;
  /** Non-enumerable, so the resolved options stay JSON-safe (the `start` event carries them). */
  readonly stream: Writable | undefined;
  level: AuditLevel;
}

/** One line of the audit log. `type` says which other fields it has (see the README). */
export interface AuditLine {
  /** 1, 2, 3 … per pool: contiguous, so a gap means lost lines. */
  seq: number;
  /** Wall-clock time, ISO 8601. */
  ts: string;
  /** Monotonic ms since the pool was constructed. */
  t: number;
  type: string;
  [field: string]: unknown;
}

/** Buckets are upper bounds in ms; `counts[i]` is the number of samples ≤ bounds[i] (cumulative, Prometheus style). */
export interface HistogramSnapshot {
  count: number;
  /** Sum of all samples, ms. */
  sum: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Estimated from the buckets (linear inside a bucket). */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  bounds: number[];
  /** Cumulative counts per bound; the +Inf bucket is `count`. */
  counts: number[];
}

export interface CoreMetrics {
  id: number;
  cpu: number;
  state: CoreState;
  /** Replicas run (self-tests included). */
  tasks: number;
  /** Time spent running replicas, ms. */
  busyMs: number;
  /** busyMs / wall time since the pool was constructed. */
  utilization: number;
  /** Faults detected by voting, by kind. */
  faults: Record<'wrong-result' | 'crash' | 'timeout', number>;
  selfTests: { passed: number; failed: number };
}

export interface CoreReliability {
  id: number;
  /** Time in a serving state (healthy, suspect, probation, stranded), ms. */
  operatingMs: number;
  /** Time disabled, retired or offline, ms. */
  downMs: number;
  /** Faults charged to it (vote-detected, charged; failed self-tests included). */
  failures: number;
  /** operatingMs / failures; null with no failure. */
  mtbfMs: number | null;
  /** Mean time from a fault of this core being detected to its task completing elsewhere, ms. */
  mttrMs: number | null;
}

export interface ReliabilitySnapshot {
  /** Observed time: pool construction → now (or destroy), ms. */
  windowMs: number;
  /** Fraction of windowMs during which enough cores could serve (capacity ≥ replicas per task). */
  availability: number;
  /** Times capacity dropped below the redundancy. */
  outages: number;
  /** Time with capacity below the redundancy, ms. */
  downtimeMs: number;
  /** Mean outage length (downtimeMs / outages), ms; null with no outage. */
  meanOutageMs: number | null;
  /** Service MTBF: windowMs / faults detected (any core); null with none. */
  mtbfMs: number | null;
  /** Service MTTR: fault detected → its task completed with a voted answer (repair by re-execution elsewhere). */
  mttrMs: number | null;
  /** Fault detected → task completed, distribution (ms). */
  recovery: HistogramSnapshot;
  /** First replica of the faulty task dispatched → fault detected (a crash or timeout when observed, a wrong result when out-voted), distribution (ms). */
  detection: HistogramSnapshot;
  /** Faults detected after their task already had its answer (an out-voted late replica: nothing to repair). */
  masked: number;
  /** Faults whose task then failed (no majority, destroyed, …): never repaired. */
  unrepaired: number;
  cores: CoreReliability[];
}

export interface PoolMetrics {
  /** ms since the pool was constructed. */
  uptimeMs: number;
  /** False when the pool was built with `metrics: false`: event-derived figures stay empty. */
  collecting: boolean;
  tasks: {
    submitted: number;
    /** Settled tasks by outcome (value + error = answered). */
    byOutcome: Record<TaskOutcome, number>;
    corrected: number;
    disagreements: number;
    queued: number;
  };
  replicas: {
    total: number;
    /** Replicas beyond the first k (tie-breaks and re-executions). */
    extra: number;
    /** Replicas per settled task. */
    perTask: HistogramSnapshot;
  };
  faults: {
    /** Faults detected by voting (= stats.faults). */
    total: number;
    /** Of those, how many were charged (the rest were forgiven as non-determinism). */
    charged: number;
    byKind: Record<'wrong-result' | 'crash' | 'timeout', number>;
    injected: number;
  };
  selfTests: { passed: number; failed: number };
  /** Task run time: first replica dispatched → settled, ms (the vote latency). */
  voteLatency: HistogramSnapshot;
  /** Submit → first replica dispatched, ms. */
  queueWait: HistogramSnapshot;
  cores: CoreMetrics[];
  reliability: ReliabilitySnapshot;
}

/** What a core should be, per the pool's own records. */
export interface IntendedCoreState {
  cpu: number;
  /** The worker thread should be pinned to `cpu` (pin is not 'off' and pinning is available). */
  pinned: boolean;
  state: CoreState;
  /** Takes new replicas. */
  enabled: boolean;
  /** A worker thread should run: true, false, or null when either is fine (offline, probing, finishing a replica). */
  worker: boolean | null;
  /** Task kinds the health model excludes it from. */
  excludedKinds: string[];
}

/** What a core is, observed now (the worker answers a probe from inside its thread). */
export interface ActualCoreState {
  worker: boolean;
  /** The worker answered the probe (false: no worker, or busy past the probe timeout). */
  answered: boolean;
  busy: boolean;
  threadId: number | null;
  /** sched_getcpu inside the worker, -1 when unknown. */
  cpu: number;
  /** sched_getaffinity of the worker thread; null when unknown. */
  affinity: number[] | null;
  enabled: boolean;
  /** Kinds the scheduler actually skips this core for. */
  excludedKinds: string[];
}

export interface CoreCheck {
  id: number;
  intended: IntendedCoreState;
  actual: ActualCoreState;
  /** One sentence per mismatch; empty when the core is as intended. */
  drift: string[];
}

export interface VerifyReport {
  ok: boolean;
  /** ISO time of the scan. */
  at: string;
  cores: CoreCheck[];
}

export interface VerifyOptions {
  /** ms to wait for a busy core's worker to answer. @default 2000 */
  timeout?: number;
}

/** `triplex audit` / summarizeAudit(): one core as the log shows it. */
export interface CoreReplay {
  core: number;
  cpu: number | null;
  /** Final public state (a health state, or 'stranded'). */
  state: string;
  /** Faults the log shows by kind (vote-detected; 'self-test' for failed known-answer tests). */
  faultsByKind: Record<string, number>;
  /** Faults the log shows that were not charged (kind suspected non-deterministic). */
  forgiven: number;
  selfTests: { passed: number; failed: number };
  history: { seq: number; t: number; type: string; from: string; to: string; reason: string }[];
}

export interface KindReplay {
  /** The task kind: a line's taskKind (the run option `kind`), else the task name. */
  name: string;
  disagreements: number;
  faults: number;
  tieBreaks: number;
  reExecutions: number;
  /** From 'task' lines (level 'tasks' and above). */
  tasks: number;
  failed: number;
  nondeterministic: boolean;
}

export interface AuditSummary {
  lines: number;
  /** Pools that wrote to this log (pool-start lines; an appended file holds one run per start). */
  runs: number;
  /** Lines whose seq did not follow the previous one within a run. */
  gaps: { afterSeq: number; seq: number }[];
  malformed: { line: number; message: string }[];
  types: Record<string, number>;
  startedAt: string | undefined;
  stoppedAt: string | undefined;
  options: Record<string, unknown> | undefined;
  cores: CoreReplay[];
  kinds: KindReplay[];
  spares: Record<string, unknown>[];
  drift: number;
  /** The last run's final state per core, rebuilt from its action lines only. */
  snapshot: HealthSnapshot;
  /** The health export the pool wrote when it stopped, if the log has its pool-stop line. */
  recorded: HealthSnapshot | undefined;
  /**
   * Where a run's replay disagrees with its pool-stop line: a core's state or faults, or the fault
   * and task lines against its stats (prefixed "run N:" from the second run on; null: no run
   * recorded anything to compare with).
   */
  mismatches: string[] | null;
  /** Missing lines the structure shows: a log or run not beginning with pool-start at seq 1, a run with no pool-stop before the next run. */
  problems: string[];
}

/** Emitted by the periodic scan (`scanInterval`) when it finds drift. */
export type DriftEvent = VerifyReport;

export type { FaultKind };
