/** The snapshots `pool.cores` and `pool.threads` return: copies built from the cores, the health model and the binding policy. */
import type { CoreBinding } from '../binding/types.js';
import type { PoolCore } from '../cores/types.js';
import type { CoreHealthRecord } from '../health/types.js';
import type { CoreState } from './events.js';
import { summarize, type TimingSummary } from './surface.js';
import type { RecordableHistogram } from 'node:perf_hooks';

/** piscina's `threads`, for a voted pool: one entry per core's worker thread. */
export interface ThreadInfo {
  core: number;
  cpu: number;
  state: CoreState;
  /** Has replicas placed on it that have not answered yet. */
  busy: boolean;
  /** Replica run times on this core (option workerHistogram); undefined otherwise. */
  histogram: TimingSummary | undefined;
}

/** Snapshot of one core (`pool.cores` returns copies). */
export interface CoreInfo {
  id: number;
  /** CPU the core is pinned to. */
  cpu: number;
  /** Its fault domain (option faultDomain); absent with faultDomain 'none'. */
  domain?: number;
  /** Whether the worker pinned itself; null until it reported in. */
  pinned: boolean | null;
  /** CPU observed by sched_getcpu inside the worker at start-up, -1 when unknown. */
  observedCpu: number;
  state: CoreState;
  /** Evidence against it: its largest attribution test statistic over the threshold (1 disables). */
  score: number;
  /** Charges so far. */
  faults: number;
  /** Replicas run. */
  tasks: number;
  /** Static binding: the group the core serves (as member or spare). */
  group?: number;
  role: 'member' | 'spare' | 'stranded' | 'free';
  /** Task kinds this core no longer serves (software core salvaging). */
  excludedKinds: string[];
  /** Relative slowness (1 = as fast as the fastest replica of the same tasks). */
  speed: number;
  /** Time spent running replicas, ms. */
  busyMs: number;
  /** Has replicas placed on it that have not answered yet. */
  busy: boolean;
}

/** What the pool knows of a core beyond the core object itself. */
export interface CoreFacts {
  record: CoreHealthRecord;
  binding: CoreBinding;
  state: CoreState;
  busy: boolean;
}

export function coreInfo(core: PoolCore, facts: CoreFacts): CoreInfo {
  const { record, binding } = facts;
  const info: CoreInfo = {
    id: core.id,
    cpu: core.cpu,
    pinned: core.pinned,
    observedCpu: core.observedCpu,
    state: facts.state,
    score: record.score,
    faults: record.faults,
    tasks: core.tasks,
    role: binding.role,
    excludedKinds: [...record.excludedKinds],
    speed: core.speed,
    busyMs: core.busyMs,
    busy: facts.busy,
  };
  if (binding.group !== undefined) info.group = binding.group;
  if (core.domain !== undefined) info.domain = core.domain;
  return info;
}

export function threadInfo(core: PoolCore, state: CoreState, busy: boolean, histogram: RecordableHistogram | undefined): ThreadInfo {
  return { core: core.id, cpu: core.cpu, state, busy, histogram: histogram === undefined ? undefined : summarize(histogram) };
}
