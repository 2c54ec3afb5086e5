/**
 * Fault-free overhead: plain piscina on the same cores vs triplex DMR and TMR (and the naive
 * "run it twice on piscina and deep-compare"), side by side in one run, for ~10 µs, ~100 µs
 * and ~1 ms tasks. Prints triplex / (piscina / k): 1.0 is the physical limit of running every
 * task k times on the same CPUs.
 *
 *   npm run bench:overhead -- [--cores 6] [--ms 1000] [--rounds 3] [--batch 8]
 */
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { Triplex } from '../dist/index.js';
import { arg, measure, type Runner } from './harness.js';
import { calibrate, machineInfo, saveResults } from './machine.js';

const tasksFile = fileURLToPath(new URL('../bench/tasks.mjs', import.meta.url));
const { work } = (await import(tasksFile)) as { work: (n: number) => number };

const machine = machineInfo();
const cores = arg('cores', Math.max(6, machine.cpus));
const ms = arg('ms', 1000);
const rounds = arg('rounds', 3);
const maxBatch = arg('batch', 8);
const perUs = calibrate(work);
const sizes = [
  { label: '10 µs', us: 10 },
  { label: '100 µs', us: 100 },
  { label: '1 ms', us: 1000 },
];

const piscina = new Piscina({ filename: tasksFile, name: 'work', minThreads: cores, maxThreads: cores, idleTimeout: Infinity });
const dmr = new Triplex({ filename: tasksFile, redundancy: 'dmr', cores, maxBatch, faultDomain: 'none' }); // cores share CPUs
const tmr = new Triplex({ filename: tasksFile, redundancy: 'tmr', cores, maxBatch, faultDomain: 'none' });
await Promise.all([dmr.ready, tmr.ready]);

/** What a user would write without triplex: run twice, deep-compare, run a third time on mismatch. */
async function naive2(input: unknown): Promise<unknown> {
  const [a, b] = await Promise.all([piscina.run(input), piscina.run(input)]);
  if (isDeepStrictEqual(a, b)) return a;
  const c = await piscina.run(input);
  if (isDeepStrictEqual(a, c) || isDeepStrictEqual(b, c)) return c;
  throw new Error('no majority');
}

/** The naive TMR: run three times, take the value two deep-equal. */
async function naive3(input: unknown): Promise<unknown> {
  const [a, b, c] = await Promise.all([piscina.run(input), piscina.run(input), piscina.run(input)]);
  if (isDeepStrictEqual(a, b) || isDeepStrictEqual(a, c)) return a;
  if (isDeepStrictEqual(b, c)) return b;
  throw new Error('no majority');
}

const runners: Runner[] = [
  { name: 'piscina', k: 1, run: (n) => piscina.run(n) },
  { name: 'naive 2x piscina', k: 2, run: naive2 },
  { name: 'naive 3x piscina', k: 3, run: naive3 },
  { name: 'triplex DMR', k: 2, run: (n) => dmr.run(n, { name: 'work' }) },
  { name: 'triplex TMR', k: 3, run: (n) => tmr.run(n, { name: 'work' }) },
];

console.log(machine.line);
console.log(
  `pools of ${cores} worker threads (triplex: ${cores} pinned cores, maxBatch ${maxBatch}); tinybench, ${ms} ms per measurement, best of ${rounds} interleaved rounds`,
);
const rows: Record<string, string | number>[] = [];
for (const size of sizes) {
  const iterations = Math.round(size.us * perUs);
  const batch = Math.max(cores * 4, Math.round((ms * 1000) / size.us / 20));
  const results = await measure(runners, iterations, { batch, window: cores * 4, ms, rounds });
  const base = results.get('piscina')!.tasksPerSec;
  for (const runner of runners.slice(1)) {
    const rate = results.get(runner.name)!.tasksPerSec;
    // Compare like with like: DMR against the naive 2x, TMR against the naive 3x.
    const naiveRate = results.get(`naive ${runner.k}x piscina`)!.tasksPerSec;
    rows.push({
      task: size.label,
      pool: runner.name,
      'tasks/s': Math.round(rate),
      'piscina tasks/s': Math.round(base),
      'vs limit (piscina/k)': Number((rate / (base / runner.k)).toFixed(3)),
      'vs naive (same k)': runner.name.startsWith('naive') ? '-' : Number((rate / naiveRate).toFixed(3)),
    });
  }
}
await Promise.all([piscina.destroy(), dmr.destroy(), tmr.destroy()]);
console.table(rows);
console.log(`raw results: ${saveResults(maxBatch === 8 ? 'overhead' : `overhead-batch${maxBatch}`, { machine, cores, maxBatch, ms, rounds, rows })}`);
