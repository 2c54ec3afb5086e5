/**
 * One logical core: a single-thread piscina instance whose worker pins itself to one CPU.
 * Replicas reach the worker through a shared-memory channel (channel.ts), served inside a piscina
 * task; the worker runs them one at a time, in order, so a crash or a terminate() hits the
 * replica that was running (the progress counter says which).
 */
import { Piscina } from 'piscina';
import { CoreChannel } from '../transport/channel.js';
import type { ExecutingCore } from './types.js';
import { ServingCore, type ServingView } from '../health/serving.js';
import { wrapWorkerData, type CoreWorkerOptions } from '../worker/context.js';
import {
  PROGRESS,
  type CoreRequest,
  type CoreWorkerData,
  type EarlyReplies,
  type HelloReply,
  type PinMode,
  type ProbeReply,
  type RunReply,
  type RunRequest,
} from '../transport/protocol.js';

const workerEntry = new URL('../worker/entry.js', import.meta.url).href;

export class Core extends ServingCore implements ExecutingCore {
  busy = false;
  speed = 1;
  /** Fault domain (faultDomain option); undefined when replicas need only distinct threads. */
  domain: number | undefined = undefined;
  /** Replicas this core has run. */
  tasks = 0;
  busyMs = 0;
  /** null until the worker reported in. */
  pinned: boolean | null = null;
  /** CPU observed by sched_getcpu in the worker, -1 when unknown. */
  observedCpu = -1;
  pinError: string | undefined;
  /** Worker deaths while serving (crashes and terminations), counted by the channel. */
  deaths = 0;

  private pool: Piscina | null = null;
  private channel: CoreChannel | null = null;
  private starting: Promise<HelloReply> | undefined;
  private readonly progress = new SharedArrayBuffer(PROGRESS.bytes);
  private readonly progressSlots = new Int32Array(this.progress, 0, 4);
  private readonly progressTime = new Float64Array(this.progress, PROGRESS.latestStartAt, 1);
  private closing: Promise<void> | undefined;

  constructor(
    readonly id: number,
    readonly cpu: number,
    private readonly pin: PinMode,
    private readonly moduleUrl: string,
    /** The health model's record of this core: its serving state is read there, never copied. */
    health: ServingView,
    /** piscina's Worker options (env, argv, execArgv, resourceLimits, niceIncrement, the user's workerData). */
    private readonly workerOptions: CoreWorkerOptions = {},
  ) {
    super(health);
  }

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
      Atomics.store(this.progressSlots, PROGRESS.closing, 0);
      const workerData: CoreWorkerData = { coreId: this.id, cpu: this.cpu, pin: this.pin, moduleUrl: this.moduleUrl, progress: this.progress };
      const { workerData: userData, ...threadOptions } = this.workerOptions;
      this.pool = new Piscina({
        ...threadOptions,
        filename: workerEntry,
        minThreads: 1,
        maxThreads: 1,
        idleTimeout: Number.POSITIVE_INFINITY,
        concurrentTasksPerWorker: 1,
        // Replicas travel through the core's rings, not piscina's queue; without piscina's blocking
        // wait an idle worker's event loop keeps turning (its loads finish, its timers fire).
        atomics: 'disabled',
        workerData: wrapWorkerData(workerData, userData),
      });
      // A worker that dies between tasks surfaces as an 'error' event; the next run restarts it.
      this.pool.on('error', () => {});
      const pool = this.pool;
      this.channel = new CoreChannel(
        (request, transfer) => pool.run(request, { transferList: transfer as never }),
        () => {
          this.deaths++;
        },
      );
    }
    const hello = (await this.pool.run({ kind: 'hello' } satisfies CoreRequest)) as HelloReply;
    this.pinned = hello.pinned;
    this.observedCpu = hello.cpu;
    this.pinError = hello.pinError;
    return hello;
  }

  /** Runs one replica. Rejects when the worker died or was terminated. */
  execute(request: RunRequest): Promise<RunReply> {
    return this.executeBatch([request]).then((replies) => replies[0]!);
  }

  wantReplies(on: boolean): void {
    this.channel?.setReplyWait(on);
  }

  awaited(): boolean {
    return this.channel?.awaited ?? false;
  }

  /** State scan: asks the worker thread where it runs (not counted as a replica); undefined when no worker runs. */
  probe(): Promise<ProbeReply> | undefined {
    return this.channel?.probe();
  }

  executeBatch(requests: RunRequest[], early?: EarlyReplies): Promise<RunReply[]> {
    const channel = this.channel;
    if (channel === null || this.starting !== undefined) {
      return this.starting === undefined ? notStarted(this.id) : this.starting.then(() => this.executeBatch(requests, early));
    }
    this.tasks += requests.length;
    return channel.run(requests, early);
  }

  startedCount(): number {
    return Atomics.load(this.progressSlots, PROGRESS.started);
  }

  latestStart(): number {
    return this.progressTime[0]!;
  }

  /** Kills the worker running the current replica; piscina starts a fresh one, which pins again. */
  terminateCurrent(): boolean {
    // A worker still loading is a replacement (the one that ran the replica is already gone), or
    // a task module whose import hangs: only the latter is terminated, once it is clearly stuck.
    const loaded = (this.pool?.threads ?? []).filter((thread) => this.hasLoaded(thread) || stuckLoading(thread));
    for (const thread of loaded) void thread.terminate();
    return loaded.length > 0;
  }

  /** Shuts the worker down (disabled core, destroy). */
  stop(): Promise<void> {
    const pool = this.pool;
    if (pool === null) return this.closing ?? Promise.resolve();
    this.pool = null;
    this.channel?.close(new Error(`core ${this.id} stopped`));
    this.channel = null;
    this.closing = this.quiesce(pool)
      .then(() => pool.destroy())
      .finally(() => {
        this.closing = undefined;
      });
    return this.closing;
  }

  /**
   * Marks the core closing, then waits (bounded) until every worker of it has loaded: terminating
   * a thread while it loads modules or koffi aborts the process (see entry.ts).
   */
  private async quiesce(pool: Piscina): Promise<void> {
    Atomics.store(this.progressSlots, PROGRESS.closing, 1);
    const deadline = Date.now() + QUIESCE_LIMIT_MS;
    while (pool.threads.some((thread) => thread.threadId >= 0 && !this.hasLoaded(thread)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** One worker per core at a time: the latest that reported in (entry.ts) is the live one. */
  private hasLoaded(thread: { threadId: number }): boolean {
    return thread.threadId >= 0 && thread.threadId === Atomics.load(this.progressSlots, PROGRESS.loadedThread);
  }
}

/** When each worker was first seen loading (by terminateCurrent). */
const loadingSince = new WeakMap<object, number>();

function stuckLoading(thread: { threadId: number }): boolean {
  if (thread.threadId < 0) return false;
  const since = loadingSince.get(thread);
  if (since === undefined) loadingSince.set(thread, Date.now());
  return since !== undefined && Date.now() - since >= QUIESCE_LIMIT_MS;
}

/** A native library load takes milliseconds; a worker stuck longer than this is terminated anyway. */
const QUIESCE_LIMIT_MS = 2_000;

/**
 * A core with no worker and no start under way (stopped for good, or a start that failed). The
 * rejection waits a turn of the event loop: rejecting at once let lanes re-place the lost replica
 * on the same core in a microtask loop that starved everything else.
 */
function notStarted(id: number): Promise<never> {
  return new Promise((_, reject) => setImmediate(() => reject(new Error(`core ${id} is not started`))));
}
