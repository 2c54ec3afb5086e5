/**
 * One logical core: a single-thread piscina instance whose worker pins itself to one CPU.
 * The core runs at most one replica at a time (the scheduler guarantees it), so a crash or
 * a terminate() hits exactly the replica it was meant for.
 */
import { Piscina } from 'piscina';
import type { ExecutingCore } from './types.js';
import type { CoreRequest, CoreWorkerData, HelloReply, PinMode, ProbeReply, RunReply, RunRequest } from '../worker/protocol.js';

const workerEntry = new URL('../worker/entry.js', import.meta.url).href;

/** How a replica ended without a reply from the task. */
export type CoreFailure = 'crash' | 'terminated';

export class Core implements ExecutingCore {
  enabled = true;
  excludedKinds: ReadonlySet<string> = new Set();
  busy = false;
  speed = 1;
  lastFaultAt = Number.NEGATIVE_INFINITY;
  /** Replicas this core has run. */
  tasks = 0;
  busyMs = 0;
  /** null until the worker reported in. */
  pinned: boolean | null = null;
  /** CPU observed by sched_getcpu in the worker, -1 when unknown. */
  observedCpu = -1;
  pinError: string | undefined;
  /** Why the current replica is being terminated, so its rejection is classified right. */
  terminating: 'timeout' | 'abort' | undefined;

  private pool: Piscina | null = null;
  private starting: Promise<HelloReply> | undefined;
  private readonly progress = new SharedArrayBuffer(16);
  private readonly progressCount = new Int32Array(this.progress, 0, 1);
  private readonly progressTime = new Float64Array(this.progress, 8, 1);
  private closing: Promise<void> | undefined;

  constructor(
    readonly id: number,
    readonly cpu: number,
    private readonly pin: PinMode,
    private readonly moduleUrl: string,
  ) {}

  get started(): boolean {
    return this.pool !== null;
  }

  /** Starts the worker (idempotent) and returns what it reported: pinning, CPU, exports. */
  start(): Promise<HelloReply> {
    const starting = this.startWorker();
    // Replicas placed while a (re)start is under way wait for it instead of failing.
    this.starting = starting;
    const clear = (): void => {
      if (this.starting === starting) this.starting = undefined;
    };
    starting.then(clear, clear);
    return starting;
  }

  private async startWorker(): Promise<HelloReply> {
    if (this.closing !== undefined) await this.closing;
    if (this.pool === null) {
      const workerData: CoreWorkerData = { coreId: this.id, cpu: this.cpu, pin: this.pin, moduleUrl: this.moduleUrl, progress: this.progress };
      this.pool = new Piscina({
        filename: workerEntry,
        minThreads: 1,
        maxThreads: 1,
        idleTimeout: Number.POSITIVE_INFINITY,
        concurrentTasksPerWorker: 1,
        workerData,
      });
      // A worker that dies between tasks surfaces as an 'error' event; the next run restarts it.
      this.pool.on('error', () => {});
    }
    const hello = (await this.pool.run({ kind: 'hello' } satisfies CoreRequest)) as HelloReply;
    this.pinned = hello.pinned;
    this.observedCpu = hello.cpu;
    this.pinError = hello.pinError;
    return hello;
  }

  /** Runs one replica. Rejects with a CoreFailure when the worker died or was terminated. */
  execute(request: RunRequest): Promise<RunReply> {
    const pool = this.pool;
    if (pool === null) return this.starting === undefined ? notStarted(this.id) : this.starting.then(() => this.execute(request));
    this.tasks++;
    return pool.run(request) as Promise<RunReply>;
  }

  /** State scan: asks the worker thread where it runs (not counted as a replica); undefined when no worker runs. */
  probe(): Promise<ProbeReply> | undefined {
    return this.pool === null ? undefined : (this.pool.run({ kind: 'probe' } satisfies CoreRequest) as Promise<ProbeReply>);
  }

  executeBatch(requests: RunRequest[]): Promise<RunReply[]> {
    const pool = this.pool;
    if (pool === null) return this.starting === undefined ? notStarted(this.id) : this.starting.then(() => this.executeBatch(requests));
    this.tasks += requests.length;
    return pool.run({ kind: 'batch', requests } satisfies CoreRequest) as Promise<RunReply[]>;
  }

  startedCount(): number {
    return Atomics.load(this.progressCount, 0);
  }

  latestStart(): number {
    return this.progressTime[0]!;
  }

  /** Kills the worker running the current replica; piscina starts a fresh one, which pins again. */
  terminateCurrent(reason: 'timeout' | 'abort'): void {
    this.terminating = reason;
    for (const thread of this.pool?.threads ?? []) void thread.terminate();
  }

  /** Shuts the worker down (disabled core, destroy). */
  stop(): Promise<void> {
    const pool = this.pool;
    if (pool === null) return this.closing ?? Promise.resolve();
    this.pool = null;
    this.closing = pool.destroy().finally(() => {
      this.closing = undefined;
    });
    return this.closing;
  }
}

/**
 * A core with no worker and no start under way (stopped for good, or a start that failed). The
 * rejection waits a turn of the event loop: rejecting at once let lanes re-place the lost replica
 * on the same core in a microtask loop that starved everything else.
 */
function notStarted(id: number): Promise<never> {
  return new Promise((_, reject) => setImmediate(() => reject(new Error(`core ${id} is not started`))));
}
