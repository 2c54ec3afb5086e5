/**
 * Fault-free overhead: plain piscina on the same cores vs triplex DMR and TMR, side by side
 * in one run, for ~10 µs, ~100 µs and ~1 ms tasks. Prints triplex / (piscina / k): 1.0 is
 * the physical limit of running every task k times.
 *
 *   npm run bench            (all benchmarks)
 *   node dist-bench/overhead.js [--cores 6] [--seconds 2]
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { Triplex } from '../dist/index.js';
import { calibrate, machineInfo } from './machine.js';

const tasksFile = fileURLToPath(new URL('../bench/tasks.mjs', import.meta.url));
const { work } = (await import(tasksFile)) as { work: (n: number) => number };

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const machine = machineInfo();
const cores = arg('cores', Math.max(6, machine.cpus));
const seconds = arg('seconds', 2);
const perUs = calibrate(work);
const sizes = [
  { label: '10 µs', us: 10 },
  { label: '100 µs', us: 100 },
  { label: '1 ms', us: 1000 },
];

interface Runner {
  name: string;
  k: number;
  run(n: number): Promise<unknown>;
  close(): Promise<void>;
}

async function makeRunners(): Promise<Runner[]> {
  const piscina = new Piscina({ filename: tasksFile, name: 'work', minThreads: cores, maxThreads: cores, idleTimeout: Infinity });
  const dmr = new Triplex({ filename: tasksFile, redundancy: 'dmr', cores });
  const tmr = new Triplex({ filename: tasksFile, redundancy: 'tmr', cores });
  await Promise.all([dmr.ready, tmr.ready]);
  return [
    { name: 'piscina', k: 1, run: (n) => piscina.run(n), close: () => piscina.destroy() },
    { name: 'triplex DMR', k: 2, run: (n) => dmr.run(n, { name: 'work' }), close: () => dmr.destroy() },
    { name: 'triplex TMR', k: 3, run: (n) => tmr.run(n, { name: 'work' }), close: () => tmr.destroy() },
  ];
}

/** Tasks per second with `window` tasks kept in flight for `ms` milliseconds. */
async function throughput(runner: Runner, iterations: number, ms: number, window: number): Promise<number> {
  let done = 0;
  let stop = false;
  const start = performance.now();
  const lane = async (): Promise<void> => {
    while (!stop) {
      await runner.run(iterations);
      done++;
      if (performance.now() - start >= ms) stop = true;
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return done / ((performance.now() - start) / 1000);
}

const runners = await makeRunners();
console.log(`machine: ${machine.cpus} CPUs (${machine.cpuModel}), affinity [${machine.affinity?.join(',') ?? '?'}], ${machine.node}, pinning ${machine.pinning}`);
console.log(`cores (worker threads) per pool: ${cores}; ${seconds}s per measurement, interleaved, best of 3`);
const rows: Record<string, unknown>[] = [];
for (const size of sizes) {
  const iterations = Math.round(size.us * perUs);
  const best = new Map<string, number>();
  // Warm-up, then three interleaved rounds so drift hits every runner alike.
  for (const runner of runners) await throughput(runner, iterations, 300, cores * 4);
  for (let round = 0; round < 3; round++) {
    for (const runner of runners) {
      const rate = await throughput(runner, iterations, seconds * 1000, cores * 4);
      best.set(runner.name, Math.max(best.get(runner.name) ?? 0, rate));
    }
  }
  const base = best.get('piscina')!;
  for (const runner of runners.slice(1)) {
    const rate = best.get(runner.name)!;
    rows.push({ task: size.label, pool: runner.name, tasksPerSec: Math.round(rate), piscinaPerSec: Math.round(base), ratioToLimit: Number((rate / (base / runner.k)).toFixed(3)) });
  }
}
await Promise.all(runners.map((r) => r.close()));
console.table(rows);
mkdirSync(new URL('../bench/results/', import.meta.url), { recursive: true });
const file = new URL(`../bench/results/overhead-${machine.cpus}cpu.json`, import.meta.url);
writeFileSync(file, JSON.stringify({ machine, cores, seconds, rows }, null, 2));
console.log(`raw results: ${fileURLToPath(file)}`);
