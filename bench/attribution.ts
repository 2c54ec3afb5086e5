/**
 * Fault attribution in the simulator (the pool's own health model and binding code on virtual
 * time): for each row, 40 seeded trials; how often the bad cores were disabled, after how many
 * of their replicas, and how many healthy cores were disabled. Writes
 * bench/results/attribution.json and prints the table the README shows.
 *
 *   npm run bench:attribution [-- --trials 40] [--false-alarm 1e-9] [--only stuck]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolveConfig, simulate } from '../dist/sim/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function text(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Row {
  name: string;
  cores: number;
  tasks: number;
  /** Cores that are bad on the deterministic kind. */
  bad: number[];
  faults: Record<string, unknown>;
}

const union = (a: number, b: number): number => 1 - (1 - a) * (1 - b);

function mercurial(rate: number, background: number, cores: number[], tasks: number): Row {
  const perCore = cores.map((core) => ({ core, rate: union(rate, background) }));
  const name = `${cores.length} mercurial of 12, wrong on ${rate * 100} % + ${background * 100} % background`;
  return { name, cores: 12, tasks, bad: cores, faults: { transient: { rate: background, perCore } } };
}

function flaky(cores: number, stuck: boolean): Row {
  const name = stuck ? `flaky kind (5 %) + deterministic kind with a stuck core, ${cores} cores` : `flaky kind alone (5 % of replicas diverge), ${cores} cores`;
  const faults = stuck ? { flaky: { share: 0.5, rate: 0.05 }, failed: [0] } : { flaky: { share: 1, rate: 0.05 } };
  return { name, cores, tasks: 10_000, bad: stuck ? [0] : [], faults };
}

const ROWS: Row[] = [
  { name: '1 stuck of 12, 0.1 % background', cores: 12, tasks: 2_000, bad: [3], faults: { failed: [3], transient: { rate: 0.001 } } },
  mercurial(0.01, 0.001, [3], 60_000),
  mercurial(0.01, 0.005, [3], 60_000),
  mercurial(0.1, 0.001, [3], 10_000),
  mercurial(0.1, 0.005, [3], 10_000),
  mercurial(0.1, 0.001, [2, 5, 9], 20_000),
  mercurial(0.01, 0.001, [2, 5, 9], 60_000),
  ...[3, 4, 6, 12].flatMap((n) => [flaky(n, false), flaky(n, true)]),
  { name: '1 core always crashes, 12 cores', cores: 12, tasks: 2_000, bad: [3], faults: { failed: [3], failureMode: 'crash' } },
  { name: '1 core always hangs, 12 cores', cores: 12, tasks: 2_000, bad: [3], faults: { failed: [3], failureMode: 'hang' } },
];

interface Measured {
  name: string;
  trials: number;
  /** Trials in which every bad core was disabled. */
  caught: number;
  replicasToDisable: { median: number | null; max: number | null };
  healthyDisabled: number;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
}

function measure(row: Row, trials: number): Measured {
  const replicas: number[] = [];
  let caught = 0;
  let healthy = 0;
  for (let seed = 1; seed <= trials; seed++) {
    const config = resolveConfig({
      cores: row.cores,
      cpus: row.cores,
      faultDomain: 'cpu', // every core its own CPU and domain: the binding code enforces distinct domains
      redundancy: 'tmr',
      taskTimeout: 100,
      tasks: { count: row.tasks, service: { dist: 'constant', mean: 1 } },
      faults: row.faults,
      health: { falseAlarm },
      seed,
    });
    const result = simulate(config);
    const disabled = new Map(result.disables.map((d) => [d.core, d.replicas]));
    if (row.bad.every((core) => disabled.has(core))) caught++;
    for (const core of row.bad) if (disabled.has(core)) replicas.push(disabled.get(core)!);
    for (const core of disabled.keys()) if (!row.bad.includes(core)) healthy++;
  }
  const replicasToDisable = { median: median(replicas), max: replicas.length === 0 ? null : Math.max(...replicas) };
  return { name: row.name, trials, caught, replicasToDisable, healthyDisabled: healthy };
}

const trials = arg('trials', 40);
const falseAlarm = arg('false-alarm', 1e-9);
const only = text('only');
const rows = ROWS.filter((row) => only === undefined || row.name.includes(only)).map((row) => measure(row, trials));
console.log(`falseAlarm ${falseAlarm}, ${trials} trials per row\n`);
console.log(`| row | bad cores disabled | replicas to disable (median / max) | healthy cores disabled |`);
console.log(`|---|---|---|---|`);
for (const r of rows) {
  const rtd = r.replicasToDisable.median === null ? '–' : `${r.replicasToDisable.median} / ${r.replicasToDisable.max}`;
  console.log(`| ${r.name} | ${r.caught} of ${r.trials} trials | ${rtd} | ${r.healthyDisabled} |`);
}
const dir = new URL('../bench/results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const file = new URL(falseAlarm === 1e-9 ? 'attribution.json' : `attribution-${falseAlarm}.json`, dir);
if (only === undefined) writeFileSync(file, `${JSON.stringify({ trials, falseAlarm, rows }, null, 2)}\n`);
