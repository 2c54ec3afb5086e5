/**
 * Voted tasks across hosts (TriplexCluster: BullMQ on Redis, each host a `triplex worker`
 * process) against the local pool (Triplex, worker threads) on the same machine, TMR, at ~100 µs
 * and ~10 ms tasks: throughput (tasks/s with `window` tasks in flight), latency p50/p99 (one
 * task at a time), and the per-task engine overhead (an empty task's p50 latency).
 *
 *   npm run bench:cluster -- [--hosts 3] [--window 4] [--seconds 3]
 *
 * Needs redis-server on the PATH. Hosts run one unpinned core each (a 2-CPU machine cannot give
 * 3 hosts a CPU each); the local pool runs as many cores, faultDomain 'none', likewise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Triplex } from '../dist/index.js';
import { TriplexCluster } from '../dist/cluster.js';
import { arg, latencies } from './harness.js';
import { calibrate, machineInfo, saveResults } from './machine.js';

const tasksFile = fileURLToPath(new URL('../bench/tasks.mjs', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const { work } = (await import(tasksFile)) as { work: (n: number) => number };
const machine = machineInfo();
const hostCount = arg('hosts', 3);
const window = arg('window', 4);
const seconds = arg('seconds', 3);
const perUs = calibrate(work);
/** Other work on the machine moves every figure here: recorded with them. */
const loadBefore = os.loadavg()[0] ?? 0;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      server.close(() => resolve(address.port));
    });
  });
}

/** Spawns a process and resolves once a line of its stdout matches. */
function started(proc: ChildProcess, text: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(text)) resolve(proc);
    });
    proc.once('exit', (code) => reject(new Error(`exited with ${code} before "${text}"`)));
  });
}

/** Tasks completed in `seconds` with `window` in flight. */
async function throughput(run: (input: unknown) => Promise<unknown>, input: unknown): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const lane = async (): Promise<void> => {
    while (performance.now() < until) {
      await run(input);
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: window }, lane));
  return done / ((performance.now() - t0) / 1000);
}

async function measure(run: (input: unknown) => Promise<unknown>): Promise<Record<string, number>> {
  const row: Record<string, number> = {};
  await latencies((x) => run(x), 0, 50, 1); // warm-up
  row['empty task p50 ms'] = Number((await latencies((x) => run(x), 0, 300, 1)).p50.toFixed(3));
  for (const us of [100, 10_000]) {
    const input = Math.round(us * perUs);
    const label = us < 1000 ? `${us} µs` : `${us / 1000} ms`;
    const lat = await latencies((x) => run(x), input, us < 1000 ? 300 : 60, 1);
    row[`${label} p50 ms`] = Number(lat.p50.toFixed(3));
    row[`${label} p99 ms`] = Number(lat.p99.toFixed(3));
    row[`${label} tasks/s`] = Number((await throughput(run, input)).toFixed(1));
  }
  return row;
}

const redisPort = await freePort();
const redis = await started(spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']), 'Ready to accept');
const hosts: ChildProcess[] = [];
const rows: Record<string, string | number>[] = [];
try {
  for (let i = 0; i < hostCount; i++) {
    const argv = [
      cli,
      'worker',
      '--redis',
      `redis://127.0.0.1:${redisPort}`,
      '--filename',
      tasksFile,
      '--cores',
      '1',
      '--pin',
      'off',
      '--host-id',
      `bench${i}`,
    ];
    hosts.push(await started(spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] }), '"event":"ready"'));
  }
  console.log(`${machine.line}, load average ${loadBefore.toFixed(1)}`);
  console.log(
    `TMR; cluster: redis-server + ${hostCount} hosts x 1 core (unpinned) on this machine; ` +
      `local: ${hostCount} cores (faultDomain 'none'); ${window} tasks in flight for throughput`,
  );
  const cluster = new TriplexCluster({ connection: { host: '127.0.0.1', port: redisPort }, filename: tasksFile });
  await cluster.ready;
  rows.push({ engine: `cluster (${hostCount} hosts)`, ...(await measure((x) => cluster.run(x, { name: 'work' }))) });
  await cluster.destroy();
  const pool = new Triplex({ filename: tasksFile, redundancy: 'tmr', cores: hostCount, faultDomain: 'none' });
  await pool.ready;
  rows.push({ engine: `local pool (${hostCount} cores)`, ...(await measure((x) => pool.run(x, { name: 'work' }))) });
  await pool.destroy();
} finally {
  for (const host of hosts) host.kill('SIGKILL');
  redis.kill('SIGKILL');
}
const [c, l] = rows as [Record<string, number>, Record<string, number>];
const overheadMs = Number((c['empty task p50 ms']! - l['empty task p50 ms']!).toFixed(3));
console.table(rows);
console.log(`per-task engine overhead of the cluster (empty task p50, cluster - local): ${overheadMs} ms`);
console.log(
  `raw results: ${saveResults('cluster', {
    machine,
    loadavg: [loadBefore, os.loadavg()[0]],
    hosts: hostCount,
    coresPerHost: 1,
    window,
    seconds,
    rows,
    overheadMs,
  })}`,
);
