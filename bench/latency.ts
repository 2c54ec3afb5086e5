/**
 * Latency under a slow core: TMR answers at the first two agreeing replicas, so one core slowed
 * 3x (process variation) should barely move p99. Fault-free vs one slow core, same pool size and
 * load (one task per k cores in flight), side by side. Target: p99 within 1.2x of fault-free.
 *
 *   npm run bench:latency -- [--cores 6] [--us 500] [--tasks 2000]
 */
import { fileURLToPath } from 'node:url';
import { Triplex } from '../dist/index.js';
import { arg, latencies } from './harness.js';
import { calibrate, machineInfo, saveResults } from './machine.js';

const tasksFile = fileURLToPath(new URL('../bench/tasks.mjs', import.meta.url));
const { work } = (await import(tasksFile)) as { work: (n: number) => number };
const machine = machineInfo();
const cores = arg('cores', Math.max(6, machine.cpus));
const us = arg('us', 500);
const count = arg('tasks', 2000);
const iterations = Math.round(us * calibrate(work));

console.log(machine.line);
console.log(`${cores} cores, ~${us} µs tasks, ${count} tasks per measurement, ${Math.max(1, Math.floor(cores / 3))} in flight`);
const rows: Record<string, string | number>[] = [];
for (const redundancy of ['tmr', 'dmr'] as const) {
  const k = redundancy === 'tmr' ? 3 : 2;
  const window = Math.max(1, Math.floor(cores / k));
  const measured: Record<string, { p50: number; p99: number }> = {};
  for (const [label, slowCore] of [
    ['fault-free', -1],
    ['core 0 slowed 3x', 0],
  ] as const) {
    const pool = new Triplex({ filename: tasksFile, redundancy, cores, faultDomain: 'none' }); // cores share CPUs
    await pool.ready;
    const input = { iterations, slowCore, factor: 3 };
    await latencies((x) => pool.run(x, { name: 'workOn' }), input, 200, window); // warm-up
    measured[label] = await latencies((x) => pool.run(x, { name: 'workOn' }), input, count, window);
    await pool.destroy();
  }
  const base = measured['fault-free']!;
  const slow = measured['core 0 slowed 3x']!;
  rows.push({
    redundancy: redundancy.toUpperCase(),
    'p50 fault-free ms': Number(base.p50.toFixed(3)),
    'p99 fault-free ms': Number(base.p99.toFixed(3)),
    'p50 slow core ms': Number(slow.p50.toFixed(3)),
    'p99 slow core ms': Number(slow.p99.toFixed(3)),
    'p99 ratio': Number((slow.p99 / base.p99).toFixed(3)),
  });
}
console.table(rows);
console.log(`raw results: ${saveResults('latency', { machine, cores, us, count, rows })}`);
