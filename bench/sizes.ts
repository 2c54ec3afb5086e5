/**
 * Result size: ~100 µs tasks returning 1 KB, 100 KB and 1 MB, through plain piscina, the naive
 * "run k times and deep-compare", and triplex (a byte vote: equal bytes agree without decoding,
 * only the winner is decoded; payloads are transferred, not copied back).
 *
 *   npm run bench:sizes -- [--cores 6] [--ms 1000] [--rounds 2]
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
const rounds = arg('rounds', 2);
const iterations = Math.round(100 * calibrate(work));

const piscina = new Piscina({ filename: tasksFile, name: 'workBig', minThreads: cores, maxThreads: cores, idleTimeout: Infinity });
const dmr = new Triplex({ filename: tasksFile, redundancy: 'dmr', cores, faultDomain: 'none' }); // cores share CPUs
const tmr = new Triplex({ filename: tasksFile, redundancy: 'tmr', cores, faultDomain: 'none' });
await Promise.all([dmr.ready, tmr.ready]);

async function naive(k: number, input: unknown): Promise<unknown> {
  const results = await Promise.all(Array.from({ length: k }, () => piscina.run(input)));
  for (let i = 0; i < results.length; i++) for (let j = i + 1; j < results.length; j++) if (isDeepStrictEqual(results[i], results[j])) return results[i];
  throw new Error('no majority');
}

const runners: Runner[] = [
  { name: 'piscina', k: 1, run: (x) => piscina.run(x) },
  { name: 'naive 2x piscina', k: 2, run: (x) => naive(2, x) },
  { name: 'naive 3x piscina', k: 3, run: (x) => naive(3, x) },
  { name: 'triplex DMR', k: 2, run: (x) => dmr.run(x, { name: 'workBig' }) },
  { name: 'triplex TMR', k: 3, run: (x) => tmr.run(x, { name: 'workBig' }) },
];

console.log(machine.line);
console.log(`pools of ${cores} threads/cores, ~100 µs of work per task plus the result; tinybench ${ms} ms, best of ${rounds}`);
const rows: Record<string, string | number>[] = [];
for (const bytes of [1024, 100 * 1024, 1024 * 1024]) {
  const input = { iterations, bytes };
  const results = await measure(runners, input, { batch: cores * 8, window: cores * 4, ms, rounds });
  const base = results.get('piscina')!.tasksPerSec;
  for (const runner of runners.filter((r) => r.name.startsWith('triplex'))) {
    const rate = results.get(runner.name)!.tasksPerSec;
    const naiveRate = results.get(`naive ${runner.k}x piscina`)!.tasksPerSec;
    rows.push({
      result: bytes >= 1024 * 1024 ? '1 MB' : `${bytes / 1024} KB`,
      pool: runner.name,
      'tasks/s': Math.round(rate),
      'naive tasks/s': Math.round(naiveRate),
      'vs naive (same k)': Number((rate / naiveRate).toFixed(3)),
      'vs limit (piscina/k)': Number((rate / (base / runner.k)).toFixed(3)),
    });
  }
}
await Promise.all([piscina.destroy(), dmr.destroy(), tmr.destroy()]);
console.table(rows);
console.log(`raw results: ${saveResults('sizes', { machine, cores, ms, rounds, rows })}`);
