/**
 * Stepped tasks (voted checkpoints, sparing, output commit), measured on this machine:
 *   overhead  — fault-free cost of checkpoints vs the interval, 1 MB state (README curve)
 *   mercurial — a core corrupts the state at one step: found at the next checkpoint, charged
 *   crash     — a ~60 s task whose core crashes half-way, with and without checkpoints, DMR and TMR
 *
 *   npm run bench:stepped -- [overhead|mercurial|crash] [dmr|tmr] [--seconds 60] [--work 10] [--repeats 3]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Triplex, type CheckpointEvent, type FaultEvent, type TriplexOptions } from '../dist/index.js';
import { arg } from './harness.js';
import { machineInfo, saveResults } from './machine.js';

const TASKS = fileURLToPath(new URL('../bench/stepped-tasks.mjs', import.meta.url));
const machine = machineInfo();
const modes = ['overhead', 'mercurial', 'crash'].filter((m) => process.argv.includes(m));
const dmr = process.argv.includes('dmr');
const dir = mkdtempSync(path.join(tmpdir(), 'triplex-stepped-bench-'));
let markers = 0;
const marker = (): string => path.join(dir, `m${markers++}`);
/** A one-step-spanning count: a task of one segment (checkpoints off). */
const NONE = { steps: 2 ** 40 };

/** Iterations of the xorshift loop per ms on this thread. */
function perMs(): number {
  let x = 1;
  const n = 5_000_000;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x === 0 ? n : n / (performance.now() - start);
}

// Cores share this machine's CPUs (2 here): 'none' lets TMR's 3 replicas run on 2 CPUs.
function pool(options: Partial<TriplexOptions>): Triplex {
  return new Triplex({ filename: TASKS, cores: 4, faultDomain: 'none', determinism: false, health: { falseAlarm: 0 }, ...options });
}

interface Timed {
  ms: number;
  /** CPU time of the whole process (main thread and every worker thread), ms: blind to other processes' load. */
  cpuMs: number;
  value: unknown;
  checkpoints: number;
  lostMs: number;
}

async function timed(p: Triplex, input: unknown, checkpoint: unknown): Promise<Timed> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const r = await p.runDetailed(input, { name: 'simulate', checkpoint: checkpoint as never });
  const used = process.cpuUsage(cpu);
  return {
    ms: performance.now() - start,
    cpuMs: (used.user + used.system) / 1000,
    value: r.value,
    checkpoints: r.stepped?.checkpoints ?? 0,
    lostMs: r.stepped?.lostMs ?? 0,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export {};
const results: Record<string, unknown> = { machine };
console.log(machine.line);
const rate = perMs();
if (modes.includes('overhead')) results.overhead = await overhead();
if (modes.includes('mercurial')) results.mercurial = await mercurial();
if (modes.includes('crash')) results.crash = await crash();
const only = ['dmr', 'tmr'].filter((r) => process.argv.includes(r));
console.log(`raw results: ${saveResults(['stepped', ...modes, ...only].join('-'), results as never)}`);

/** Fault-free TMR, 1 MB state, ~1 ms steps: wall time per interval against one single segment. */
async function overhead(): Promise<unknown> {
  const seconds = arg('work', 10);
  const steps = seconds * 1000;
  const input = { steps, iterations: Math.round(rate), bytes: 1 << 20 };
  // DMR on one core per CPU measures the checkpoints alone; TMR's 3 replicas share 2 CPUs here, and
  // where they land decides when the second finishes (a one-segment baseline of TMR is bimodal).
  const p = pool(dmr ? { redundancy: 'dmr', cores: 2 } : {});
  await p.ready;
  await timed(p, { ...input, steps: 500 }, NONE); // warm-up
  const cost = await checkpointCost(p);
  console.log(`cost of one checkpoint (1 MB state, ${dmr ? 'DMR' : 'TMR'}, segments of one step): ${cost.toFixed(2)} ms`);
  const intervals = [10, 30, 100, 300, 1000, 3000, 5000];
  const repeats = arg('repeats', 3);
  const rows: Record<string, number>[] = [];
  for (const ms of intervals) {
    // Interleaved with the baseline (one segment): load from other processes on this shared machine moves both alike.
    const base: Timed[] = [];
    const runs: Timed[] = [];
    for (let i = 0; i < repeats; i++) {
      base.push(await timed(p, input, NONE));
      runs.push(await timed(p, input, { ms }));
    }
    const [b, r, bc, rc] = [median(base.map((x) => x.ms)), median(runs.map((x) => x.ms)), median(base.map((x) => x.cpuMs)), median(runs.map((x) => x.cpuMs))];
    const row = {
      intervalMs: ms,
      checkpoints: runs[0]!.checkpoints,
      wallMs: Math.round(r),
      baselineMs: Math.round(b),
      predictedPct: Number(((cost / ms) * 100).toFixed(2)),
      wallOverheadPct: Number((((r - b) / b) * 100).toFixed(2)),
      cpuOverheadPct: Number((((rc - bc) / bc) * 100).toFixed(2)),
    };
    rows.push(row);
    console.log(row);
  }
  await p.destroy();
  console.table(rows);
  return { seconds, stateBytes: 1 << 20, redundancy: dmr ? 'dmr' : 'tmr', checkpointCostMs: cost, rows };
}

/**
 * The cost C of one checkpoint: segments of a single step of (almost) no work over a 1 MB state,
 * so the wall time per segment is what a checkpoint costs (dispatch, state transfer, vote, decode,
 * encode). Median of three runs of 100 segments.
 */
async function checkpointCost(p: Triplex): Promise<number> {
  const input = { steps: 100, iterations: 1, bytes: 1 << 20 };
  const per: number[] = [];
  for (let i = 0; i < 3; i++) per.push((await timed(p, input, { steps: 1 })).ms / 100);
  return median(per);
}

/** A core corrupts its state at step 1,234 (of 5,000, checkpoints every 500 steps): found at 1,500. */
async function mercurial(): Promise<unknown> {
  const p = pool({});
  const checkpoints: CheckpointEvent[] = [];
  const faults: FaultEvent[] = [];
  p.on('checkpoint', (e) => checkpoints.push(e));
  p.on('fault', (e) => faults.push(e));
  const input = { steps: 5000, iterations: Math.round(rate / 4), bytes: 1 << 16 };
  const clean = await timed(p, input, NONE);
  const faulty = await timed(p, { ...input, corrupt: { step: 1234, marker: marker() } }, { steps: 500 });
  await new Promise((resolve) => setTimeout(resolve, 200)); // a late replica's charge
  await p.destroy();
  const found = checkpoints.filter((c) => c.corrected).map((c) => c.step);
  const out = {
    corruptedAtStep: 1234,
    detectedAtCheckpoints: found,
    charged: faults.map((f) => ({ core: f.core, kind: f.kind })),
    correct: JSON.stringify(clean.value) === JSON.stringify(faulty.value),
  };
  console.log(out);
  return out;
}

/** ~60 s fault-free; a replica's worker dies at ~30 s; with checkpoints (default, ~1 s) and without. */
async function crash(): Promise<unknown> {
  const seconds = arg('seconds', 60);
  const rows: Record<string, unknown>[] = [];
  const only = (['dmr', 'tmr'] as const).filter((r) => process.argv.includes(r));
  for (const redundancy of only.length > 0 ? only : (['dmr', 'tmr'] as const)) {
    // DMR: one replica per CPU, wall = work; TMR: 3 replicas on 2 CPUs, one CPU runs two, wall = 2 × work.
    const stepMs = 10;
    const steps = Math.round(((redundancy === 'tmr' ? seconds / 2 : seconds) * 1000) / stepMs);
    const input = { steps, iterations: Math.round(rate * stepMs), bytes: 1 << 16 };
    for (const [label, checkpoint, faulty] of [
      ['fault-free', undefined, false],
      ['crash, checkpoints', undefined, true],
      ['crash, no checkpoints', NONE, true],
    ] as const) {
      const p = pool({ redundancy, taskTimeout: 10 * seconds * 1000 });
      await p.ready;
      const crashAt = { atMs: Date.now() + (seconds * 1000) / 2, marker: marker() };
      const r = await timed(p, faulty ? { ...input, crash: crashAt } : input, checkpoint);
      await p.destroy();
      const row = { redundancy, run: label, wallS: Number((r.ms / 1000).toFixed(2)), checkpoints: r.checkpoints, lostS: Number((r.lostMs / 1000).toFixed(2)) };
      rows.push(row);
      console.log(row);
    }
  }
  console.table(rows);
  return { seconds, rows };
}
