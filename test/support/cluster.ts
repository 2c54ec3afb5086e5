/**
 * Real processes for the cluster tests: a redis-server on a free loopback port (no persistence)
 * and `triplex worker` hosts started from dist/ (node dist/cli/main.js worker ...). Nothing is
 * mocked: the hosts are separate Node processes talking to Redis through BullMQ.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const CLUSTER_TASKS = fileURLToPath(new URL('../fixtures/cluster-tasks.mjs', import.meta.url));

/** The redis-server binary, or undefined where it is not installed (the tests then skip, saying so). */
export function redisServerPath(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

export interface RedisServer {
  port: number;
  stop(): Promise<void>;
}

/** Starts redis-server on a loopback port (a free one unless given), without persistence; resolves once it accepts connections. */
export async function startRedis(binary: string, port?: number): Promise<RedisServer> {
  port ??= await freePort();
  const proc = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForLine(proc, (line) => line.includes('Ready to accept connections'), 10_000, 'redis-server');
  return { port, stop: () => stopProcess(proc) };
}

export interface HostProcess {
  id: string;
  proc: ChildProcess;
  stderr: () => string;
}

export interface HostArgs {
  port: number;
  prefix: string;
  id: string;
  filename?: string;
  env?: Record<string, string>;
  /** --heartbeat and --heartbeat-timeout (default 100 and 1500 ms). */
  heartbeat?: [number, number];
}

/**
 * `triplex worker` with one core and no pinning: this machine has 2 CPUs and the tests run 3–4
 * hosts on it, so pinning every host's core 0 to CPU 0 would stack them on one CPU. The hosts are
 * the fault domains here (distinct processes), not the CPUs. Heartbeats every 100 ms, valid 1.5 s.
 */
export function spawnHost(args: HostArgs): HostProcess {
  const argv = [CLI, 'worker', '--redis', `redis://127.0.0.1:${args.port}`, '--filename', args.filename ?? CLUSTER_TASKS, '--cores', '1', '--pin', 'off'];
  const [every, ttl] = args.heartbeat ?? [100, 1500];
  argv.push('--host-id', args.id, '--prefix', args.prefix, '--heartbeat', String(every), '--heartbeat-timeout', String(ttl));
  const proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...args.env } });
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { id: args.id, proc, stderr: () => stderr };
}

/** Starts a host and waits for its `ready` line. */
export async function startHost(args: HostArgs): Promise<HostProcess> {
  const host = spawnHost(args);
  await waitForLine(host.proc, (line) => line.includes('"event":"ready"'), 20_000, `host ${args.id}`, host.stderr);
  return host;
}

/** Waits for a process to exit; resolves with its exit code and stderr. */
export function exited(host: HostProcess, ms = 20_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host ${host.id} did not exit within ${ms} ms`)), ms);
    const done = (code: number | null): void => {
      clearTimeout(timer);
      resolve({ code, stderr: host.stderr() });
    };
    if (host.proc.exitCode !== null) done(host.proc.exitCode);
    else host.proc.once('exit', done);
  });
}

/** SIGKILL (after SIGCONT, for a stopped one), and wait for the exit. */
export async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGCONT');
  proc.kill('SIGKILL');
  await gone;
}

function waitForLine(proc: ChildProcess, match: (line: string) => boolean, ms: number, what: string, stderr?: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => fail(new Error(`${what} not ready within ${ms} ms`)), ms);
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString();
      if (buffer.split('\n').some(match)) {
        clearTimeout(timer);
        proc.stdout!.off('data', onData);
        resolve();
      }
    };
    const onExit = (code: number | null): void => fail(new Error(`${what} exited (${code}) before it was ready: ${stderr?.() ?? ''}`));
    function fail(error: Error): void {
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      reject(error);
    }
    proc.stdout!.on('data', onData);
    proc.once('exit', onExit);
  });
}
