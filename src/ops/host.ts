/** What the operations layer reads of its pool. Triplex builds one; the ops modules never reach further in. */
import type { PoolCore as Core } from '../cores/types.js';
import type { CoreHealthRecord, HealthSnapshot } from '../health/types.js';
import type { CoreState, TypedEmitter } from '../pool/events.js';
import type { ResolvedOptions } from '../pool/options.js';
import type { StatsSnapshot } from '../pool/stats.js';

export interface OpsHost {
  readonly events: TypedEmitter;
  readonly options: ResolvedOptions;
  /** The live cores (read only). */
  readonly cores: readonly Core[];
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
