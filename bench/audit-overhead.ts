/**
 * Cost of the operations layer on the fault-free hot path, side by side in one run at ~100 µs
 * tasks: a pool without audit log vs audit level 'off' (no listener attached) vs 'actions'
 * (listeners attached, nothing to log without faults) vs 'tasks' (one JSON line per task),
 * plus `metrics: false` to show what metrics collection itself costs. Prints each lane's
 * throughput relative to the pool without audit log (1.000 = no overhead).
 *
 * Lane style: each round measures every lane for `ms` with `cores × 4` tasks in flight, in a
 * rotated order (so no lane always runs first or last); a lane's figure is its median round.
 *
 *   npm run build:bench && node dist-bench/audit-overhead.js [--cores 3] [--us 100] [--ms 1000] [--rounds 9]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Triplex, type TriplexOptions } from '../dist/index.js';
import { arg } from './harness.js';
import { calibrate, machineInfo, saveResults } from './machine.js';

const tasksFile = fileURLToPath(new URL('../bench/tasks.mjs', import.meta.url));
const { work } = (await import(tasksFile)) as { work: (n: number) => number };
const machine = machineInfo();
const cores = arg('cores', Math.max(3, machine.cpus));
const us = arg('us', 100);
const ms = arg('ms', 1000);
const rounds = arg('rounds', 9);
const iterations = Math.round(us * calibrate(work));
const dir = mkdtempSync(path.join(tmpdir(), 'triplex-audit-bench-'));

const lanes: { name: string; options: Partial<TriplexOptions> }[] = [
  { name: 'no audit', options: {} },
  { name: "audit 'off'", options: { audit: { file: path.join(dir, 'off.jsonl'), level: 'off' } } },
  { name: "audit 'actions'", options: { audit: { file: path.join(dir, 'actions.jsonl'), level: 'actions' } } },
  { name: "audit 'tasks'", options: { audit: { file: path.join(dir, 'tasks.jsonl'), level: 'tasks' } } },
  { name: 'no audit, metrics: false', options: { metrics: false } },
];

console.log(machine.line);
console.log(`TMR, ${cores} cores per pool, ~${us} µs tasks; ${rounds} rounds of ${ms} ms per lane, rotated order, median round`);
const pools = lanes.map((lane) => new Triplex({ filename: tasksFile, cores, faultDomain: 'none', ...lane.options }));
await Promise.all(pools.map((pool) => pool.ready));

/** Tasks per second through `pool` with `window` tasks in flight for `duration` ms. */
async function throughput(pool: Triplex, duration: number, window: number): Promise<number> {
  let done = 0;
  const start = performance.now();
  const lane = async (): Promise<void> => {
    while (performance.now() - start < duration) {
      await pool.run(iterations, { name: 'work' });
      done++;
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return done / ((performance.now() - start) / 1000);
}

const samples = lanes.map(() => [] as number[]);
for (const pool of pools) await throughput(pool, 300, cores * 4); // warm-up
for (let round = 0; round < rounds; round++) {
  for (let j = 0; j < lanes.length; j++) {
    const i = (round + j) % lanes.length;
    samples[i]!.push(await throughput(pools[i]!, ms, cores * 4));
  }
}
const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const base = median(samples[0]!);
const rows = lanes.map((lane, i) => {
  const xs = samples[i]!;
  const m = median(xs);
  const spread = (Math.max(...xs) - Math.min(...xs)) / m;
  return { lane: lane.name, tasksPerSec: Math.round(m), 'spread %': Number((spread * 100).toFixed(1)), ratio: Number((m / base).toFixed(3)) };
});

// Noise-free view of the same cost: the main-thread time one settled task's events take in each
// lane (the payload the scheduler builds only when someone listens, plus every listener).
const EMITS = 50_000;
const settled = { taskId: 0, taskName: 'work', outcome: 'value' as const, queueMs: 0.01, runMs: 0.3, replicas: 3, corrected: false };
for (const [i, pool] of pools.entries()) {
  const listening = pool.listenerCount('task-settled') > 0;
  let perTask = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 3; pass++) {
    // Best of three passes: the first warms the JIT up.
    const start = performance.now();
    for (let n = 0; n < EMITS; n++) if (pool.has('task-settled')) pool.emit('task-settled', { ...settled, taskId: n });
    perTask = Math.min(perTask, ((performance.now() - start) * 1e6) / EMITS);
    await new Promise((resolve) => setImmediate(resolve)); // let the audit file flush between passes
  }
  Object.assign(rows[i]!, {
    'task-settled listeners': listening ? pool.listenerCount('task-settled') : 0,
    'ns per task on the main thread': Math.round(perTask),
  });
}
await Promise.all(pools.map((pool) => pool.destroy()));
rmSync(dir, { recursive: true, force: true });
console.table(rows);
console.log(`raw results: ${saveResults('audit-overhead', { machine, cores, us, ms, rounds, rows })}`);
