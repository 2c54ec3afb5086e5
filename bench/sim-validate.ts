/**
 * Validates the simulator against the real pool on this machine: the same workload (a fixed
 * amount of work per task, a closed loop of 4 tasks per core), the same cores pinned to the
 * same CPUs (so several cores share a CPU), the same faults (FaultInjector stuck / transient
 * vs the simulator's failed / transient), the same health options. Compares throughput and
 * time to disable a stuck core; target: within 10 %.
 *
 * Calibration, measured here and reported: the service time s is the median replica time the
 * workers report at concurrency 1 (no sharing). Two per-replica costs are fitted on the first
 * two rows only (DMR, no faults): with 3 cores per CPU a CPU never waits for messages, so its
 * rate gives the CPU overhead o (CPUs / (k·rate) = s + o); with 1 core per CPU each core also
 * idles while its next request travels, which gives the latency l (1 / rate = s + o + l).
 * Every other row is a prediction.
 *
 *   npm run build && npx tsc -p tsconfig.bench.json && node dist-bench/sim-validate.js [--ms 1] [--seconds 1.5] [--repeat 3]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FaultInjector, Triplex, type TriplexOptions } from '../dist/index.js';
import { resolveConfig, simulate } from '../dist/sim/index.js';
import { calibrate, machineInfo } from './machine.js';

const tasksFile = fileURLToPath(new URL('../bench/tasks.mjs', import.meta.url));
const { work } = (await import(tasksFile)) as { work: (n: number) => number };

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Case {
  name: string;
  redundancy: 'dmr' | 'tmr';
  binding: 'static' | 'dynamic';
  cores: number;
  stuck?: number;
  transient?: number;
}

const CASES: Case[] = [
  { name: 'fit o: dmr-dyn-6', redundancy: 'dmr', binding: 'dynamic', cores: 6 },
  { name: 'fit l: dmr-dyn-2', redundancy: 'dmr', binding: 'dynamic', cores: 2 },
  { name: 'dmr-dyn-4', redundancy: 'dmr', binding: 'dynamic', cores: 4 },
  { name: 'dmr-static-2', redundancy: 'dmr', binding: 'static', cores: 2 },
  { name: 'tmr-dyn-3', redundancy: 'tmr', binding: 'dynamic', cores: 3 },
  { name: 'tmr-static-3', redundancy: 'tmr', binding: 'static', cores: 3 },
  { name: 'tmr-dyn-6', redundancy: 'tmr', binding: 'dynamic', cores: 6 },
  { name: 'tmr-static-6', redundancy: 'tmr', binding: 'static', cores: 6 },
  { name: 'tmr-dyn-6 stuck', redundancy: 'tmr', binding: 'dynamic', cores: 6, stuck: 2 },
  { name: 'dmr-static-4 stuck', redundancy: 'dmr', binding: 'static', cores: 4, stuck: 1 },
  { name: 'tmr-dyn-4 transient', redundancy: 'tmr', binding: 'dynamic', cores: 4, transient: 0.01 },
];

const machine = machineInfo();
const CPUS = [0, 1].slice(0, machine.cpus);
const targetMs = arg('ms', 1);
const seconds = arg('seconds', 1.5);
const repeat = arg('repeat', 3);
const iterations = Math.round(calibrate(work) * targetMs * 1000);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function poolOptions(c: Case, faults?: FaultInjector): TriplexOptions {
  // maxBatch 1: one replica per core at a time, the model the simulator implements.
  return { filename: tasksFile, redundancy: c.redundancy, binding: c.binding, cores: c.cores, cpus: CPUS, pin: 'auto', maxBatch: 1, ...(faults === undefined ? {} : { faults }) };
}

/** Closed loop of `window` lanes for `count` tasks: tasks/s, and ms from start to the first core disabled. */
async function measure(pool: Triplex, count: number, window: number): Promise<Real> {
  let ttd: number | null = null;
  const elu = performance.eventLoopUtilization();
  const replicas = pool.stats.replicas;
  const start = performance.now();
  pool.on('core-state', (e) => {
    if (e.to === 'disabled' && ttd === null) ttd = performance.now() - start;
  });
  let next = 0;
  const before = pool.stats.corrected;
  let failed = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      next++;
      // A task can fail (no majority, not enough cores left): counted, like in the simulator.
      await pool.run(iterations, { name: 'work' }).catch(() => failed++);
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  const wall = performance.now() - start;
  // Main-thread busy time per replica (dispatch, vote, messages): part of the overhead.
  const mainMs = (performance.eventLoopUtilization(elu).utilization * wall) / (pool.stats.replicas - replicas);
  return { rate: (count - failed) / (wall / 1000), ttd, corrected: pool.stats.corrected - before, mainMs };
}

interface Real {
  rate: number;
  ttd: number | null;
  corrected: number;
  mainMs: number;
}

async function realRun(c: Case, count: number, seed: number): Promise<Real> {
  const faults = c.stuck === undefined && c.transient === undefined ? undefined : new FaultInjector({ seed });
  if (c.stuck !== undefined) faults!.stuck({ core: c.stuck });
  if (c.transient !== undefined) faults!.transient({ rate: c.transient });
  const pool = new Triplex(poolOptions(c, faults));
  try {
    await pool.ready;
    // Warm the JIT of the workers without letting the faulty core be charged.
    if (c.stuck !== undefined) pool.setOffline(c.stuck);
    await measureWarm(pool, c);
    if (c.stuck !== undefined) pool.setOnline(c.stuck);
    return await measure(pool, count, c.cores * 4);
  } finally {
    await pool.destroy();
  }
}

async function measureWarm(pool: Triplex, c: Case): Promise<void> {
  if (c.transient !== undefined) return; // transients would charge cores during warm-up
  await Promise.all(Array.from({ length: c.cores * 2 }, async () => {
    for (let i = 0; i < 10; i++) await pool.run(iterations, { name: 'work' });
  }));
}

function simRun(c: Case, count: number, s: number, overhead: number, latency: number, seed: number) {
  const r = simulate(
    resolveConfig({
      cores: c.cores,
      cpus: CPUS.length,
      redundancy: c.redundancy,
      binding: c.binding,
      overhead,
      latency,
      batch: false,
      tasks: { count, arrival: { kind: 'closed', concurrency: c.cores * 4 }, service: { dist: 'constant', mean: s } },
      faults: { failed: c.stuck === undefined ? 0 : [c.stuck], transient: { rate: c.transient ?? 0 } },
      seed,
    }),
  );
  return { rate: r.throughput, ttd: r.disables[0]?.at ?? null, corrected: r.counters.corrected };
}

/** Median replica time reported by the workers, one task at a time (no CPU sharing). */
async function serviceTime(): Promise<number> {
  const pool = new Triplex({ filename: tasksFile, redundancy: 'dmr', cores: 2, cpus: CPUS, maxBatch: 1 });
  try {
    await pool.ready;
    const ms: number[] = [];
    for (let i = 0; i < 300; i++) {
      const r = await pool.runDetailed(iterations, { name: 'work' });
      if (i >= 50) for (const rep of r.replicas) ms.push(rep.ms);
    }
    return median(ms);
  } finally {
    await pool.destroy();
  }
}

const pct = (sim: number, real: number): string => `${(((sim - real) / real) * 100).toFixed(1)}%`;

console.log(machine.line);
const s = await serviceTime();
console.log(`work(${iterations}) ≈ ${targetMs} ms on the main thread; measured replica time in a pinned worker s = ${s.toFixed(3)} ms`);
const rows: Record<string, unknown>[] = [];
let overhead = 0;
let latency = 0;
for (const c of CASES) {
  const k = c.redundancy === 'tmr' ? 3 : 2;
  // Enough tasks for `seconds` at the CPU-bound rate.
  const count = Math.max(200, Math.round((seconds * 1000 * CPUS.length) / (k * s)));
  const real: Real[] = [];
  for (let i = 0; i < repeat; i++) real.push(await realRun(c, count, 11 + i));
  const rate = median(real.map((r) => r.rate));
  const ttds = real.map((r) => r.ttd).filter((t): t is number => t !== null);
  const ttd = ttds.length === 0 ? null : median(ttds);
  const fit = c.name.startsWith('fit');
  if (c.name.startsWith('fit o')) overhead = Math.max(0, (1000 * CPUS.length) / (k * rate) - s);
  if (c.name.startsWith('fit l')) latency = Math.max(0, 1000 / rate - s - overhead);
  const sims = [11, 12, 13].map((seed) => simRun(c, count, s, overhead, latency, seed));
  const simRate = median(sims.map((x) => x.rate));
  const simTtds = sims.map((x) => x.ttd).filter((t): t is number => t !== null);
  const simTtd = simTtds.length === 0 ? null : median(simTtds);
  const row = {
    case: c.name,
    tasks: count,
    'real tasks/s': Math.round(rate),
    'real min..max': `${Math.round(Math.min(...real.map((r) => r.rate)))}..${Math.round(Math.max(...real.map((r) => r.rate)))}`,
    'sim tasks/s': Math.round(simRate),
    'Δ throughput': fit ? `(fit) ${pct(simRate, rate)}` : pct(simRate, rate),
    'real TTD ms': ttd === null ? '-' : Number(ttd.toFixed(1)),
    'sim TTD ms': simTtd === null ? '-' : Number(simTtd.toFixed(1)),
    'Δ TTD': ttd === null || simTtd === null ? '-' : pct(simTtd, ttd),
    'real corrected': median(real.map((r) => r.corrected)),
    'sim corrected': median(sims.map((x) => x.corrected)),
    'main ms/replica': Number(median(real.map((r) => r.mainMs)).toFixed(3)),
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}
console.log(`fitted per replica: CPU overhead o = ${overhead.toFixed(3)} ms (${((overhead / s) * 100).toFixed(1)} % of s), dispatch latency l = ${latency.toFixed(3)} ms`);
console.table(rows);
const dir = new URL('../bench/results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const file = new URL('sim-validate.json', dir);
writeFileSync(file, `${JSON.stringify({ machine, targetMs, iterations, serviceMs: s, overheadMs: overhead, latencyMs: latency, repeat, cpus: CPUS, rows }, null, 2)}\n`);
console.log(`raw results: ${fileURLToPath(file)}`);
