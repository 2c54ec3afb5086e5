/**
 * A runner in a process of its own (limit-host.ts builds it there), measured one round at a time.
 * Pools sharing a process slowed each other down: each collected the others' garbage, and one run
 * in a few read 10–20 % below its own run alone for the whole process. A process per pool is also
 * what a user runs, and its process CPU time is then that pool's alone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CpuSplit } from './cpu-meter.js';
import type { Measurement, RoundOptions, Runner } from './harness.js';
import type { ContenderSpec, HostReply, HostRequest } from './limit-host.js';

const hostFile = fileURLToPath(new URL('./limit-host.js', import.meta.url));

export class IsolatedPool {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly name: string,
    readonly k: number,
    private readonly child: ChildProcess,
    /** Why its threads run unpinned (the ceiling), if they do. */
    readonly pinError: string | undefined,
  ) {}

  /** Starts the host process and the pool in it (not warmed yet). */
  static async start(name: string, k: number, spec: ContenderSpec): Promise<IsolatedPool> {
    const child = fork(hostFile, { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const reply = await exchange(child, { type: 'start', spec });
    return new IsolatedPool(name, k, child, reply.type === 'ready' ? reply.pinError : undefined);
  }

  /** Runs ~10 µs tasks closed-loop for `ms`, unmeasured (see warmFor). */
  async warm(input: unknown, ms: number, window: number): Promise<void> {
    await this.request({ type: 'warm', input, ms, window });
  }

  /** A runner of task `task` for harness.measure, its CPU counted under `meter`. */
  runner(task: string, meter: string): Runner {
    return {
      name: this.name,
      k: this.k,
      run: () => Promise.reject(new Error(`${this.name} runs in its own process: measure it with round()`)),
      round: async (input: unknown, options: RoundOptions): Promise<Measurement> => {
        const reply = await this.request({ type: 'round', task, meter, input, options });
        if (reply.type !== 'measured') throw new Error(`${this.name}: unexpected reply ${reply.type}`);
        return { ...reply.measurement, name: this.name };
      },
    };
  }

  /** CPU per task counted under `meter`, `workUs` of task work per task subtracted. */
  async split(meter: string, workUs: number): Promise<CpuSplit> {
    const reply = await this.request({ type: 'split', meter, workUs });
    if (reply.type !== 'split') throw new Error(`${this.name}: unexpected reply ${reply.type}`);
    return reply.split;
  }

  async close(): Promise<void> {
    await this.request({ type: 'close' });
  }

  /** One request at a time: the host answers them in order. */
  private request(request: HostRequest): Promise<HostReply> {
    const reply = this.queue.then(() => exchange(this.child, request));
    this.queue = reply.catch(() => undefined);
    return reply;
  }
}

function exchange(child: ChildProcess, request: HostRequest): Promise<HostReply> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: HostReply): void => {
      child.off('exit', onExit);
      if (reply.type === 'error') reject(new Error(`benchmark host (${request.type}): ${reply.message}`));
      else resolve(reply);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      child.off('message', onMessage);
      if (request.type === 'close' && code === 0) resolve({ type: 'closed' });
      else reject(new Error(`benchmark host exited (code ${code}, signal ${signal}) during ${request.type}`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
    child.send(request);
  });
}
