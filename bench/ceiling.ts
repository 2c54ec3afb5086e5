/**
 * The machine's ceiling for a compute-bound task: one thread pinned to each CPU runs it back to
 * back, with no pool, no message per task and no vote (the threads claim runs from a shared
 * counter, so a slower CPU takes fewer). Its fraction of the compute limit is the most any pool
 * could reach here; what it misses of 1 is the machine's own (CPUs that slow each other down, the
 * hypervisor, the timer tick), not a pool's.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const workerFile = fileURLToPath(new URL('../bench/ceiling-worker.mjs', import.meta.url));

interface Done {
  runs: number;
}

export class Ceiling {
  private readonly claimed: Int32Array;

  private constructor(
    private readonly threads: Worker[],
    counter: SharedArrayBuffer,
    /** Why a thread could not pin itself, if one could not. */
    readonly pinError: string | undefined,
  ) {
    this.claimed = new Int32Array(counter);
  }

  /** One thread per CPU of `cpus`, each pinned to it. */
  static async start(cpus: number[]): Promise<Ceiling> {
    const counter = new SharedArrayBuffer(4);
    const threads = cpus.map((cpu) => new Worker(workerFile, { workerData: { cpu, counter } }));
    const started = await Promise.all(threads.map((thread) => next<{ pinError?: string }>(thread)));
    return new Ceiling(threads, counter, started.find((s) => s.pinError !== undefined)?.pinError);
  }

  /** Runs the task `count` times over all threads; resolves when every run is done. */
  async runBatch(name: string, input: unknown, count: number): Promise<void> {
    Atomics.store(this.claimed, 0, 0);
    const done = await Promise.all(
      this.threads.map((thread) => {
        const reply = next<Done>(thread);
        thread.postMessage({ name, input, count });
        return reply;
      }),
    );
    const runs = done.reduce((sum, d) => sum + d.runs, 0);
    if (runs !== count) throw new Error(`ceiling ran ${runs} of ${count} runs`);
  }

  async destroy(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.terminate()));
  }
}

function next<T>(thread: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T): void => {
      thread.off('error', onError);
      resolve(message);
    };
    const onError = (error: Error): void => {
      thread.off('message', onMessage);
      reject(error);
    };
    thread.once('message', onMessage);
    thread.once('error', onError);
  });
}
