/**
 * Throughput against the compute limit. With k replicas of a task that takes t of CPU, a machine
 * with C CPUs runs at most C / (k · t) voted tasks per second; every pool is reported as a fraction
 * of that limit and of plain piscina / k, with its CPU overhead per task (process CPU minus task
 * work) split into main thread and workers. Peers are the naive "run it k times and deep-compare"
 * on piscina, tinypool and workerpool, measured side by side in one run (tinybench, interleaved),
 * each pool in a process of its own (isolated.ts).
 * Beside them, for compute-bound tasks, the machine's ceiling (ceiling.ts): one pinned thread per
 * CPU running the task back to back, the most any pool could reach here; every row also says what
 * fraction of it it reaches.
 *
 *   npm run bench:limit -- [--ms 400] [--rounds 3] [--window 32] [--threads CPUs] [--only tasks|sizes] [--warmup 3000]
 *                          [--baseline path/to/other/dist/index.js]   (A/B: another build of triplex, same run)
 *
 * Raw results: bench/results/limit[-tasks|-sizes][-w<window>]-<CPUs>cpu.json.
 */
import os from 'node:os';
import { arg, measure, type Measurement } from './harness.js';
import { IsolatedPool } from './isolated.js';
import type { ContenderSpec } from './limit-host.js';
import { calibrate, fastestCpuMs, machineInfo, saveResults } from './machine.js';
import { PEER_NAMES, tasksFile } from './peers.js';

type TaskFn = (input: unknown) => unknown;
const tasks = (await import(tasksFile)) as { work: (n: number) => number; workBig: TaskFn };
const machine = machineInfo();
const ms = arg('ms', 400);
const rounds = arg('rounds', 3);
const window = arg('window', 32);
/** Unmeasured closed-loop run of each pool before anything is measured, ms (see warmFor). */
const warmupMs = arg('warmup', 3000);
const threads = arg('threads', machine.cpus);
const only = textArg('only');
const baseline = textArg('baseline');
const perUs = calibrate(tasks.work);

interface Scenario {
  group: 'tasks' | 'sizes';
  label: string;
  name: 'work' | 'workBig';
  input: unknown;
  /** Nominal work, µs (sets the batch size). */
  us: number;
}

const scenarios: Scenario[] = [
  ...[10, 100, 1000].map((us): Scenario => ({ group: 'tasks', label: us < 1000 ? `${us} µs` : '1 ms', name: 'work', input: Math.round(us * perUs), us })),
  ...[1024, 100 * 1024, 1024 * 1024].map((bytes): Scenario => ({
    group: 'sizes',
    label: `100 µs → ${bytes < 1024 * 1024 ? `${bytes / 1024} KB` : '1 MB'}`,
    name: 'workBig',
    input: { iterations: Math.round(100 * perUs), bytes },
    us: 100,
  })),
].filter((s) => only === undefined || s.group === only);

/** limit[-tasks|-sizes][-w<window>]: a run of one group, or at another window, keeps its own file. */
function resultName(): string {
  return ['limit', only, window === 32 ? undefined : `w${window}`].filter((part) => part !== undefined).join('-');
}

function textArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * CPU time of one task's work, µs: the fastest of 7 timed batches on the process CPU clock (the
 * pools are idle meanwhile, in their own processes). Not the thread's schedstat: Linux updates a
 * running thread's figure only at scheduler ticks, so a 20 ms batch could read up to a tick (4 ms)
 * short, and the fastest of 7 rounds picks such a reading.
 */
function workCost(fn: TaskFn, input: unknown, us: number): number {
  const calls = Math.max(10, Math.round(20_000 / us));
  const batch = (): void => {
    for (let i = 0; i < calls; i++) fn(input);
  };
  return (fastestCpuMs(batch, 7) * 1000) / calls;
}

/** Options of the voted pools: DMR on one core per CPU; TMR needs 3 domains, else it shares a CPU with faultDomain 'none'. */
function votedOptions(): { name: string; k: number; options: Record<string, unknown> }[] {
  const voted = (k: 2 | 3) => ({
    filename: tasksFile,
    redundancy: k === 2 ? 'dmr' : 'tmr',
    cores: Math.max(k, machine.cpus),
    faultDomain: machine.physicalCores >= k ? 'physical-core' : 'none',
  });
  return [
    { name: 'triplex DMR', k: 2, options: voted(2) },
    { name: 'triplex TMR', k: 3, options: voted(3) },
  ];
}

/** Every contender, each in its own process (isolated.ts), started and warmed one after another. */
async function startPools(): Promise<IsolatedPool[]> {
  const specs: { name: string; k: number; spec: ContenderSpec }[] = [
    { name: CEILING, k: 1, spec: { kind: 'ceiling', cpus: machine.affinity ?? Array.from({ length: machine.cpus }, (_, cpu) => cpu) } },
    { name: 'piscina', k: 1, spec: { kind: 'peer', peer: 'piscina', k: 1, threads } },
  ];
  for (const k of [2, 3]) for (const peer of PEER_NAMES) specs.push({ name: `naive ${k}x ${peer}`, k, spec: { kind: 'peer', peer, k, threads } });
  for (const v of votedOptions()) specs.push({ name: v.name, k: v.k, spec: { kind: 'triplex', options: v.options } });
  if (baseline !== undefined)
    for (const v of votedOptions()) specs.push({ name: `${v.name} (baseline)`, k: v.k, spec: { kind: 'triplex', dist: baseline, options: v.options } });
  const pools = await Promise.all(specs.map((s) => IsolatedPool.start(s.name, s.k, s.spec)));
  const pinError = pools.find((pool) => pool.name === CEILING)?.pinError;
  if (pinError !== undefined) console.log(`ceiling threads run unpinned: ${pinError}`);
  // Threads started and code compiled before anything is measured (startup and compilation would
  // count as overhead): every pool runs ~10 µs tasks closed-loop for warmupMs, one pool at a time.
  // 200 tasks each, as before, left triplex's larger code to be compiled during the first rounds.
  for (const pool of pools) if (pool.name !== CEILING) await pool.warm(Math.round(10 * perUs), warmupMs, window);
  return pools;
}

/** The contenders of a scenario: the ceiling only for compute-bound tasks. */
function contenders(pools: IsolatedPool[], scenario: Scenario): IsolatedPool[] {
  // Bare threads that allocate and drop large results contend in the kernel (page faults of fresh
  // buffers), and there two of them ran fewer runs than one alone.
  return pools.filter((pool) => pool.name !== CEILING || scenario.group === 'tasks');
}

const CEILING = 'ceiling: a bare thread per CPU';

type Row = Record<string, string | number>;
const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

async function rowsFor(scenario: Scenario, pools: IsolatedPool[], results: Map<string, Measurement>, t: number): Promise<Row[]> {
  const piscina = results.get('piscina')!.tasksPerSec;
  const ceiling = results.get(CEILING)?.tasksPerSec;
  const voted = (pool: IsolatedPool): boolean => pool.name.startsWith('triplex');
  const rows: Row[] = [];
  for (const pool of pools) {
    const rate = results.get(pool.name)!.tasksPerSec;
    const limit = machine.cpus / ((pool.k * t) / 1e6);
    const naives = pools.filter((p) => p.k === pool.k && p.name.startsWith('naive')).map((p) => results.get(p.name)!.tasksPerSec);
    const cpu = await pool.split(scenario.label, pool.k * t);
    rows.push({
      scenario: scenario.label,
      pool: pool.name,
      k: pool.k,
      'work µs': round(t, 1),
      'tasks/s': Math.round(rate),
      'vs compute limit': round(rate / limit),
      // Runs per second against the ceiling's: how much of what this machine can reach.
      'vs ceiling': ceiling === undefined ? '-' : round((rate * pool.k) / ceiling),
      'vs piscina/k': round(rate / (piscina / pool.k)),
      'vs best naive': voted(pool) ? round(rate / Math.max(...naives)) : '-',
      'overhead µs/task': round(cpu.process, 1),
      'main µs/task': round(cpu.main, 1),
      'main ELU µs/task': round(cpu.mainElu, 1),
      'workers µs/task': round(cpu.workers, 1),
      'main GC µs/task': round(cpu.mainGc, 1),
    });
  }
  return rows;
}

async function run(): Promise<void> {
  const pools = await startPools();
  console.log(machine.line);
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(
        ' ',
      )}; ceiling: ${machine.cpus} pinned threads; peers: ${threads} threads each; triplex DMR on ${Math.max(2, machine.cpus)} cores, TMR on ${Math.max(3, machine.cpus)} cores (faultDomain ${machine.physicalCores >= 3 ? "'physical-core'" : "'none': fewer than 3 physical cores"}); ${window} tasks in flight; each pool warmed ${warmupMs} ms; tinybench ${ms} ms, best of ${rounds} interleaved rounds, each round started by another runner`,
  );
  const rows: Row[] = [];
  for (const scenario of scenarios) {
    // t is timed before every round and the fastest kept, as the throughputs are the best of the
    // rounds: the VM's speed drifts by several % within a run, and the limit is what it can reach.
    let t = Number.POSITIVE_INFINITY;
    const timeWork = (): void => {
      t = Math.min(t, workCost(tasks[scenario.name] as TaskFn, scenario.input, scenario.us));
    };
    const scenarioPools = contenders(pools, scenario);
    const runners = scenarioPools.map((pool) => pool.runner(scenario.name, scenario.label));
    // Each iteration ends by draining its window (fewer tasks in flight at its end): with at least
    // 8 windows per iteration that edge stays small; at 2 windows it cost every pool ~10 % at 1 ms.
    const batch = Math.max(window * 8, Math.round((ms * 1000) / scenario.us / 50));
    const results = await measure(runners, scenario.input, { batch, window, ms, rounds, beforeRound: timeWork });
    const scenarioRows = await rowsFor(scenario, scenarioPools, results, t);
    console.table(scenarioRows.map(({ scenario: _, ...rest }) => rest));
    rows.push(...scenarioRows);
  }
  await Promise.all(pools.map((pool) => pool.close()));
  const loadAfter = os.loadavg();
  console.log(`load average after: ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
  console.log(
    `raw results: ${saveResults(resultName(), { machine, threads, window, ms, rounds, warmupMs, baseline: baseline ?? null, loadavg: loadAfter, rows })}`,
  );
}

await run();
