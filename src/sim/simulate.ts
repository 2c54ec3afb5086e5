/** One run of the simulator: builds the real policy, health model and fault model, runs the engine. */
import { createBinding } from '../binding/index.js';
import { CoreHealth } from '../health/core-health.js';
import { DEFAULT_HEALTH, DEFAULT_SELF_TESTS } from '../health/defaults.js';
import type { ResolvedHealthOptions } from '../health/types.js';
import { ManualClock } from '../util/clock.js';
import { SeededRandom } from '../util/random.js';
import type { SimConfig } from './config.js';
import { Engine } from './engine.js';
import { FaultModel } from './faults.js';
import { Metrics } from './metrics.js';
import { buildResult, type SimResult } from './result.js';
import { SimCore } from './task.js';

function healthOptions(c: SimConfig): ResolvedHealthOptions {
  const h = c.health;
  return {
    ...DEFAULT_HEALTH,
    falseAlarm: h.falseAlarm,
    nondeterministic: h.nondeterministic,
    selfTest:
      h.selfTest === false
        ? false
        : {
            tasks: DEFAULT_SELF_TESTS,
            after: h.selfTest.after,
            passes: h.selfTest.passes,
            maxProbations: h.selfTest.maxProbations,
            probationTasks: h.selfTest.probationTasks,
          },
  };
}

/** Runs one configuration to the end (every task settled) and returns its metrics. */
export function simulate(config: SimConfig, label: { variant?: string; point?: number | string | boolean } = {}): SimResult {
  const random = new SeededRandom(config.seed);
  const k = config.redundancy === 'tmr' ? 3 : 2;
  const clock = new ManualClock(0);
  const ids = Array.from({ length: config.cores }, (_, id) => id);
  const health = new CoreHealth(ids, healthOptions(config), clock);
  const cores = ids.map((id) => new SimCore(id, id % config.cpus, health.view(id), config.faultDomain === 'cpu' ? id % config.cpus : undefined));
  const policy = createBinding(config.binding, cores, k, config.spares, random.fork());
  const faults = new FaultModel(config.faults, config.cores, random.fork());
  const metrics = new Metrics(config.cores, k, config.tasks.count, config.buckets);
  const engine = new Engine(config, cores, policy, health, clock, faults, metrics, k, random);
  const wall = performance.now();
  const cpu = process.cpuUsage();
  engine.run();
  const used = process.cpuUsage(cpu);
  // CPU time as well as wall time: on a shared machine the wall time says little.
  return buildResult(engine.view(), label, performance.now() - wall, (used.user + used.system) / 1000);
}
