/**
 * Shared throughput harness on tinybench: one tinybench iteration = `batch` tasks pushed
 * through a runner with `window` tasks kept in flight. Throughput = batch / mean iteration
 * time. Runners are measured side by side, in interleaved rounds, so drift hits all alike.
 */
import { Bench } from 'tinybench';

export interface Runner {
  name: string;
  /** Replicas per task (1 for plain piscina): the physical limit is piscina / k. */
  k: number;
  run(input: unknown): Promise<unknown>;
  /** Runs a whole batch its own way (the ceiling: no task is in flight, threads run back to back). */
  runBatch?(input: unknown, batch: number): Promise<void>;
  /** CPU accounting over the measured iterations (not the warm-up). */
  meter?: { start(): void; stop(): void; done(tasks: number): void };
  /** Measures one round its own way (a runner hosted in another process: see isolated.ts). */
  round?(input: unknown, options: RoundOptions): Promise<Measurement>;
}

export interface Measurement {
  name: string;
  tasksPerSec: number;
  /** Per-iteration relative margin of error, %. */
  rme: number;
}

async function closedLoop(run: (input: unknown) => Promise<unknown>, input: unknown, batch: number, window: number): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < batch) {
      next++;
      await run(input);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, batch) }, lane));
}

/**
 * Runs tasks closed-loop for `ms` of wall time, unmeasured: V8 compiles a pool's hot code on its
 * helper threads over its first few hundred thousand calls, and that compilation would otherwise
 * run beside, and be counted against, whichever runner is measured then.
 */
export async function warmFor(run: (input: unknown) => Promise<unknown>, input: unknown, ms: number, window: number): Promise<void> {
  const end = performance.now() + ms;
  const lane = async (): Promise<void> => {
    while (performance.now() < end) await run(input);
  };
  await Promise.all(Array.from({ length: window }, lane));
}

export interface RoundOptions {
  batch: number;
  window: number;
  ms: number;
  /** tinybench's own warm-up (the first round). */
  warmup: boolean;
}

/** Best throughput of each runner over `rounds` interleaved tinybench runs. */
export async function measure(
  runners: Runner[],
  input: unknown,
  options: { batch: number; window: number; ms: number; rounds: number; beforeRound?: () => void },
): Promise<Map<string, Measurement>> {
  const best = new Map<string, Measurement>();
  for (let round = 0; round < options.rounds; round++) {
    options.beforeRound?.();
    const roundOptions = { batch: options.batch, window: options.window, ms: options.ms, warmup: round === 0 };
    // Each round starts with another runner: a runner partly pays for collecting what the one
    // before it left, and the best of the rounds is then not always taken after the same one.
    // (Forcing a full collection before each runner was worse: pools idle through ten of them lost
    // their compiled code, and 10 µs DMR read 0.28 of the limit instead of 0.41. bench:limit now
    // runs each pool in its own process instead: isolated.ts.)
    for (const runner of runners.map((_, i) => runners[(i + round) % runners.length]!)) {
      const result = await (runner.round?.(input, roundOptions) ?? measureRound(runner, input, roundOptions));
      const previous = best.get(runner.name);
      if (previous === undefined || result.tasksPerSec > previous.tasksPerSec) best.set(runner.name, result);
    }
  }
  return best;
}

/** One tinybench run of one runner: its throughput, its CPU counted by its meter. */
export async function measureRound(runner: Runner, input: unknown, options: RoundOptions): Promise<Measurement> {
  const bench = new Bench({ time: options.ms, warmup: options.warmup, warmupTime: 200, iterations: 3 });
  const meter = runner.meter;
  const hooks =
    meter === undefined
      ? {}
      : {
          beforeAll: (mode?: string) => (mode === 'run' ? meter.start() : undefined),
          afterAll: (mode?: string) => (mode === 'run' ? meter.stop() : undefined),
        };
  const iteration = (): Promise<void> => runner.runBatch?.(input, options.batch) ?? closedLoop(runner.run, input, options.batch, options.window);
  // An async function: tinybench tells a sync one from an async one by calling it once when it is
  // added, and that stray batch would run, unmeasured, over the next runner's measurement.
  bench.add(
    runner.name,
    async () => {
      await iteration();
      meter?.done(options.batch);
    },
    hooks,
  );
  await bench.run();
  const result = bench.tasks[0]!.result as { latency?: { mean: number; rme: number }; error?: unknown } | undefined;
  if (result?.error !== undefined) throw result.error;
  if (result?.latency === undefined) throw new Error(`benchmark ${runner.name} failed`);
  return { name: runner.name, tasksPerSec: options.batch / (result.latency.mean / 1000), rme: result.latency.rme };
}

/** Percentiles of single-task latency (ms) with `window` tasks in flight, from `count` tasks. */
export async function latencies(
  run: (input: unknown) => Promise<unknown>,
  input: unknown,
  count: number,
  window: number,
): Promise<{ p50: number; p99: number; mean: number }> {
  const samples: number[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      next++;
      const start = performance.now();
      await run(input);
      samples.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  samples.sort((a, b) => a - b);
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: at(0.5), p99: at(0.99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value)) throw new Error(`--${name} must be a number`);
  return value;
}
