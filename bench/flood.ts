/**
 * Memory under a flood: `--tasks` tasks submitted at once with no `maxQueue`. Reports the
 * resident set and the V8 heap before, with all tasks queued, at the peak while they drain (sampled
 * every 100 ms), and after the drain (full GCs with idle time), and the cost per queued task beyond
 * its input's bytes (what the caller keeps, a counter, is all the benchmark adds).
 * Target: ≤ 1 KB per queued task, and back near the baseline after the drain.
 * `maxQueue` is the way to bound memory: with it, excess tasks are rejected at once.
 *
 *   npm run bench:flood -- [--tasks 1000000] [--cores 2]
 */
import { fileURLToPath } from 'node:url';
import { serialize } from 'node:v8';
import { Triplex } from '../dist/index.js';
import { arg } from './harness.js';
import { machineInfo, saveResults } from './machine.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench:flood does)');
const tasksFile = fileURLToPath(new URL('../bench/tasks.mjs', import.meta.url));
const machine = machineInfo();
const count = arg('tasks', 1_000_000);
const cores = arg('cores', 2);
const input = 7;
const inputBytes = serialize(input).byteLength;

function sample(): { rss: number; heap: number; external: number } {
  const usage = process.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed, external: usage.external + usage.arrayBuffers };
}

/** Full GCs with idle time between them: V8 hands freed pages back to the system when idle. */
async function settle(): Promise<ReturnType<typeof sample>> {
  for (let i = 0; i < 10; i++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return sample();
}

const MB = 1024 * 1024;
console.log(machine.line);
console.log(`${count.toLocaleString('en-US')} tasks submitted at once (DMR, ${cores} cores, input ${inputBytes} bytes)`);
const pool = new Triplex({ filename: tasksFile, redundancy: 'dmr', cores });
await pool.ready;
await Promise.all(Array.from({ length: 1000 }, () => pool.run(input, { name: 'echo' })));
const before = await settle();
let done = 0;
const started = performance.now();
// The caller keeps nothing but a counter: what is measured is the pool's cost per queued task.
for (let i = 0; i < count; i++) void pool.run(input, { name: 'echo' }).then(() => done++);
const queued = sample();
let peak = queued;
const watch = setInterval(() => {
  const now = sample();
  if (now.rss > peak.rss) peak = now;
}, 100);
const submitMs = performance.now() - started;
while (done < count) await new Promise((resolve) => setTimeout(resolve, 50));
const drainMs = performance.now() - started;
clearInterval(watch);
const after = await settle();
await pool.destroy();

const perTask = (queued.heap + queued.external - before.heap - before.external) / count - inputBytes;
const rows = [
  { when: 'before', 'rss MB': before.rss / MB, 'heap MB': before.heap / MB, 'external MB': before.external / MB },
  { when: 'all queued', 'rss MB': queued.rss / MB, 'heap MB': queued.heap / MB, 'external MB': queued.external / MB },
  { when: 'peak while draining', 'rss MB': peak.rss / MB, 'heap MB': peak.heap / MB, 'external MB': peak.external / MB },
  { when: 'after drain + gc', 'rss MB': after.rss / MB, 'heap MB': after.heap / MB, 'external MB': after.external / MB },
].map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(1)) : v])));
console.table(rows);
console.log(`per queued task beyond its input: ${perTask.toFixed(0)} bytes (heap + external)`);
console.log(`submit ${submitMs.toFixed(0)} ms, drain ${(drainMs / 1000).toFixed(1)} s`);
console.log(`raw results: ${saveResults('flood', { machine, count, cores, inputBytes, rows, perTaskBytes: Math.round(perTask), submitMs, drainMs })}`);
