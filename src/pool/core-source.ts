/**
 * Where a pool's cores come from. A `Triplex` pool runs local pinned worker threads; the cluster
 * (triplex/cluster) passes remote cores, one per core of each host, with the host as the fault
 * domain. Everything above the cores (scheduler, binding, voting, health) is the same code.
 */
import { Core } from '../cores/core.js';
import type { PoolCore } from '../cores/types.js';
import type { ServingView } from '../health/serving.js';
import { startCores } from './core-start.js';
import type { ResolvedOptions } from './options.js';

export interface CoreSource {
  /** Builds the pool's cores (ids 0..n-1, in order); each reads its serving state from the health model's view of it. */
  create(options: ResolvedOptions, health: (id: number) => ServingView): PoolCore[];
  /**
   * Starts the enabled cores; resolves with the task module's exports, or undefined while they are
   * not known. Adds the module's stepped tasks to `stepped` when it learns them.
   */
  start(cores: readonly PoolCore[], options: ResolvedOptions, stepped: Set<string>): Promise<Set<string> | undefined>;
}

/** Local cores: one pinned worker thread each, spread over the CPUs and their fault domains. */
export const localCores: CoreSource = {
  create(o, health) {
    const cores = Array.from({ length: o.cores }, (_, id) => new Core(id, o.cpus[id % o.cpus.length]!, o.pin, o.moduleUrl, health(id), o.compat.worker));
    for (const core of cores) core.domain = o.cpuDomains?.[core.id % o.cpus.length];
    return cores;
  },
  start: (cores, o, stepped) => startCores(cores, o, stepped),
};
