/**
 * Static vs dynamic core binding on the same cores and workload, side by side in one run:
 * throughput and p50/p99 latency with 0, 1 and 2 permanently faulty (stuck, then disabled)
 * cores, and with one core slowed 3x (process variation).
 *
 *   npm run bench:binding -- [--cores 6] [--us 200] [--ms 1000]
 */
import { fileURLToPath } from 'node:url';
import { FaultInjector, Triplex } from '../dist/index.js';
import { arg, latencies, measure } from './harness.js';
import { calibrate, machineInfo, saveResults } from './machine.js';

const tasksFile = fileURLToPath(new URL('../bench/tasks.mjs', import.meta.url));
const { work } = (await import(tasksFile)) as { work: (n: number) => number };
const machine = machineInfo();
const cores = arg('cores', Math.max(6, machine.cpus));
const us = arg('us', 200);
const ms = arg('ms', 1000);
const iterations = Math.round(us * calibrate(work));

interface Scenario {
  label: string;
  faulty: number[];
  slowCore: number;
}
// Faulty cores sit in different static groups (1 and k+1), the worst case for static binding.
function scenarios(k: number): Scenario[] {
  return [
    { label: 'fault-free', faulty: [], slowCore: -1 },
    { label: '1 faulty core', faulty: [1], slowCore: -1 },
    { label: '2 faulty cores', faulty: [1, k + 1], slowCore: -1 },
    { label: 'core 0 slowed 3x', faulty: [], slowCore: 0 },
  ];
}

async function prepare(binding: 'static' | 'dynamic', redundancy: 'dmr' | 'tmr', scenario: Scenario): Promise<Triplex> {
  const faults = new FaultInjector({ seed: 7 });
  for (const core of scenario.faulty) faults.stuck({ core });
  const pool = new Triplex({ filename: tasksFile, binding, redundancy, cores, faults, faultDomain: 'none' }); // cores share CPUs
  await pool.ready;
  const input = { iterations: 1000, slowCore: scenario.slowCore, factor: 3 };
  // Warm up until every faulty core is disabled: we measure the steady state after the faults.
  for (let round = 0; round < 200 && scenario.faulty.some((c) => pool.cores[c]!.state !== 'disabled'); round++) {
    await Promise.allSettled(Array.from({ length: cores }, () => pool.run(input, { name: 'workOn' })));
  }
  return pool;
}

console.log(machine.line);
console.log(`${cores} cores per pool, ~${us} µs tasks; tinybench ${ms} ms per throughput measurement`);
const rows: Record<string, string | number>[] = [];
for (const redundancy of ['tmr', 'dmr'] as const) {
  const k = redundancy === 'tmr' ? 3 : 2;
  for (const scenario of scenarios(k)) {
    const input = { iterations, slowCore: scenario.slowCore, factor: 3 };
    for (const binding of ['static', 'dynamic'] as const) {
      const pool = await prepare(binding, redundancy, scenario);
      const serving = pool.cores.filter((c) => c.state === 'healthy' || c.state === 'suspect').length;
      let tasksPerSec = 0;
      let p50 = Number.NaN;
      let p99 = Number.NaN;
      try {
        const result = await measure([{ name: binding, k, run: (x) => pool.run(x, { name: 'workOn' }) }], input, {
          batch: cores * 8,
          window: cores * 2,
          ms,
          rounds: 1,
        });
        tasksPerSec = result.get(binding)!.tasksPerSec;
        ({ p50, p99 } = await latencies((x) => pool.run(x, { name: 'workOn' }), input, 400, Math.max(1, Math.floor(cores / k))));
      } catch (error) {
        // Static binding with no group left: the pool refuses work (ERR_NOT_ENOUGH_CORES).
        if ((error as { code?: string }).code !== 'ERR_NOT_ENOUGH_CORES') throw error;
      }
      rows.push({
        redundancy: redundancy.toUpperCase(),
        scenario: scenario.label,
        binding,
        'cores serving': `${serving}/${cores}`,
        'tasks/s': Math.round(tasksPerSec),
        'p50 ms': Number(p50.toFixed(2)),
        'p99 ms': Number(p99.toFixed(2)),
      });
      await pool.destroy();
    }
  }
}
console.table(rows);
console.log(`raw results: ${saveResults('binding', { machine, cores, us, ms, rows })}`);
