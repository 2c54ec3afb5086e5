/**
 * What the operations layer reads of its pool. The pool builds ops (ops sits below it), so ops
 * names here, in its own terms, everything it needs: the pool's Core and resolved options satisfy
 * these shapes, and ops never imports the pool, the cores or the worker at run time.
 */
import type { CoreHealthRecord, HealthSnapshot } from '../health/types.js';
import type { CoreState, TypedEmitter } from '../pool/events.js';
import type { StatsSnapshot } from '../pool/stats.js';
import type { ResolvedAuditOptions } from './types.js';
import type { Clock } from '../util/clock.js';

/** A core's answer to a state probe, from inside its worker thread. */
export interface OpsProbeReply {
  /** sched_getcpu now, -1 when unknown. */
  readonly cpu: number;
  readonly threadId: number;
  /** sched_getaffinity now, null when unknown. */
  readonly affinity: number[] | null;
}

/** One core as ops reads it (live, read only). */
export interface OpsCore {
  readonly id: number;
  readonly cpu: number;
  readonly pinned: boolean | null;
  readonly observedCpu: number;
  /** Running a replica now. */
  readonly busy: boolean;
  readonly busyMs: number;
  readonly tasks: number;
  /** Its worker thread runs. */
  readonly started: boolean;
  /** The scheduler's view: places replicas on it, and the kinds it skips it for. */
  readonly enabled: boolean;
  readonly excludedKinds: ReadonlySet<string>;
  /** Asks the worker; undefined when there is none. */
  probe(): Promise<OpsProbeReply> | undefined;
}

/** The resolved options ops acts on. */
export interface OpsOptions {
  /** Replicas per task: the pool is available while at least k cores can serve. */
  readonly k: number;
  readonly pin: 'auto' | 'off' | 'required';
  readonly audit: ResolvedAuditOptions | undefined;
  readonly metrics: boolean;
  readonly scanInterval: number;
  /** Self-tests configured: a disabled core's worker may be running known-answer tests. */
  readonly health: { readonly selfTest: unknown };
}

export interface OpsHost {
  readonly events: TypedEmitter;
  /** The pool's monotonic clock (ms). */
  readonly clock: Clock;
  readonly options: OpsOptions;
  /** The live cores (read only). */
  readonly cores: readonly OpsCore[];
  /** The resolved options as the pool's `start` event shows them (JSON-safe): the audit log's pool-start line. */
  describeOptions(): Record<string, unknown>;
  /** The process affinity mask (null when unknown) and whether this platform can pin threads. */
  pinning(): { processMask: number[] | null; available: boolean };
  /** Public state (health state, or 'stranded'). */
  state(core: number): CoreState;
  /** The health model's record of a core, now. */
  record(core: number): CoreHealthRecord;
  /** Cores that can serve tasks now (the binding policy's capacity). */
  capacity(): number;
  stats(): StatsSnapshot;
  health(): HealthSnapshot;
  /** destroy() has begun. */
  destroyed(): boolean;
  readonly ready: Promise<void>;
}

/** States in which a core runs user tasks (or would, for a stranded static core). */
export const OPERATING: ReadonlySet<CoreState> = new Set<CoreState>(['healthy', 'suspect', 'probation', 'stranded']);
