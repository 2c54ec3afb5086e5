/** The public class: a thin front over options, cores, policies, the scheduler and the health bridge. */
import { randomInt } from 'node:crypto';
import { createBinding } from '../binding/index.js';
import type { BindingPolicy } from '../binding/types.js';
import type { PoolCore as Core } from '../cores/types.js';
import { localCores, type CoreSource } from './core-source.js';
import { invalidOption, isTriplexError, TriplexError } from '../errors.js';
import { CoreHealth } from '../health/core-health.js';
import type { HealthSnapshot } from '../health/types.js';
import { systemTimers, TurnClock } from '../util/clock.js';
import { SeededRandom } from '../util/random.js';
import { TRANSFERABLE, VALUE } from '../util/movable.js';
import { packageVersion } from '../util/package-version.js';
import { copyPlain } from '../util/copy-plain.js';
import { TypedEmitter } from './events.js';
import { HealthBridge } from './health-bridge.js';
import { DeterminismJournal } from './determinism-options.js';
import { describeOptions, resolveOptions, type ResolvedOptions, type TriplexOptions } from './options.js';
import { Scheduler } from './scheduler.js';
import { workerStartError } from './core-start.js';
import { Stats, type StatsSnapshot } from './stats.js';
import type { DetailedResult } from './task.js';
import type { OpsHost } from '../ops/host.js';
import { Operations } from '../ops/operations.js';
import type { AuditLevel, PoolMetrics, VerifyOptions, VerifyReport } from '../ops/types.js';
import { move } from './run-options.js';
import type { AbortSignalAny, Movable, RunOptions } from './run-options.js';
import { PoolSurface, type PoolHistogram } from './surface.js';
import { coreInfo, threadInfo, type CoreInfo, type ThreadInfo } from './core-info.js';
import { isWorkerThread } from '../worker.js';
import { affinityMask, pinningUnavailableReason } from '../worker/affinity.js';
import * as threads from 'node:worker_threads';
import { SteppedRuns, type SteppedStream } from './stepped-runs.js';
import { Admission, type StreamSlot } from './admission.js';
import type { SteppedReport } from '../stepped/types.js';

export type { AbortSignalAny, RunOptions, Movable, SteppedStream };
export type { CoreInfo, ThreadInfo };

/** runDetailed of a stepped task: the replicas of every segment, and the stepped report. */
export type SteppedDetailedResult<T = unknown> = DetailedResult<T> & { stepped: SteppedReport };

/** The iterator of a runStream that never started: it ends when the task settles, or throws its error. */
// eslint-disable-next-line require-yield -- an iteration with no items: it only waits for the task
async function* settledIterator(result: Promise<unknown>): AsyncGenerator<unknown, void, undefined> {
  await result;
}

/**
 * A voted worker pool. `TInput`/`TOutput` type run() as piscina's `Piscina<T, R>` does; for one
 * type per task of a module, see `typedTasks`.
 */
export class Triplex<TInput = unknown, TOutput = unknown> extends TypedEmitter {
  private readonly options: ResolvedOptions;
  private readonly coreList: Core[];
  private readonly healthModel: CoreHealth;
  private readonly policy: BindingPolicy;
  private readonly bridge: HealthBridge;
  private readonly scheduler: Scheduler;
  private readonly readyPromise: Promise<void>;
  private exports: Set<string> | undefined;
  private startError: TriplexError | undefined;
  private readonly journal: DeterminismJournal;
  private destroying: Promise<void> | undefined;
  /** Exports of the pool's module that are stepped tasks (known once the cores started). */
  private readonly steppedNames = new Set<string>();
  private readonly stepped: SteppedRuns;
  private readonly admission: Admission;
  /** One clock for the scheduler, the health model, the surface and metrics, read once per wake of the main thread (see TurnClock). */
  private readonly clock = new TurnClock();

  /**
   * `source` is internal: the cluster (triplex/cluster) passes remote cores; a pool's own are
   * local pinned worker threads.
   */
  constructor(
    options: TriplexOptions = {},
    private readonly source: CoreSource = localCores,
  ) {
    super();
    this.options = resolveOptions(options);
    const o = this.options;
    // Replayable only when asked: otherwise every pool's tasks draw fresh streams (IDs, samples never repeat across runs).
    this.journal = new DeterminismJournal(o.determinism, options.seed === undefined ? randomInt(2 ** 32) : o.seed);
    const stats = new Stats();
    const ids = Array.from({ length: o.cores }, (_, id) => id);
    this.healthModel = new CoreHealth(ids, o.health, this.clock, o.restore);
    this.coreList = source.create(o, (id) => this.healthModel.view(id));
    this.policy = createBinding(o.binding, this.coreList, o.k, o.spares, new SeededRandom(o.seed));
    this.bridge = new HealthBridge(this.healthModel, this.policy, this.coreList, o, this, stats, this.clock);
    this.scheduler = new Scheduler(o, this.coreList, this.policy, this.bridge, this, stats, systemTimers, this.clock);
    this.bridge.onCapacityChange = () => this.scheduler.coresChanged();
    this.bridge.loadOf = (core) => this.scheduler.load(core);
    this.surface = new PoolSurface(o.compat, { slots: () => this.scheduler.slots(), emit: (name) => this.emitSafely(name) }, this.clock);
    this.scheduler.onSettled = (task) => this.surface.settled(task);
    this.scheduler.waitsForCores = (task) => this.waitsForCores(task);
    this.scheduler.journal = this.journal;
    this.stepped = this.steppedRuns(stats);
    this.admission = new Admission({
      options: o,
      scheduler: this.scheduler,
      surface: this.surface,
      stepped: this.stepped,
      journal: this.journal,
      pool: this,
      refusal: () => this.refusal(),
      exports: () => this.exports,
      steppedNames: this.steppedNames,
    });
    this.ops = this.startOperations(); // audit log, metrics, state scan (see the Operations block)
    this.readyPromise = this.startCores();
    // Callers who never await `ready` must not see an unhandled rejection; run() reports it too.
    this.readyPromise.catch(() => {});
  }

  private async startCores(): Promise<void> {
    try {
      await this.startEnabledCores();
    } catch (error) {
      // Every pending and later task rejects with the start error: none waits on cores that cannot serve.
      this.startError = isTriplexError(error) ? error : workerStartError(error);
      this.scheduler.halt(this.startError);
      throw this.startError;
    }
  }

  private async startEnabledCores(): Promise<void> {
    this.exports = await this.source.start(
      this.coreList.filter((core) => core.enabled),
      this.options,
      this.steppedNames,
    );
    if (this.has('start')) {
      this.emit('start', { options: describeOptions(this.options) });
    }
  }

  /** Resolves when every core's worker has started, pinned itself and loaded the task module. */
  get ready(): Promise<void> {
    return this.readyPromise;
  }

  /** Runs `input` through the task `name` on k distinct cores and resolves with the voted value. */
  run<T = TOutput>(input: TInput | Movable<TInput>, options: RunOptions = {}): Promise<T> {
    return this.admission.submit(input, options, false) as Promise<T>;
  }

  /** Like run(), with every replica's core, CPU, digest and time, the extra attempts and whether a fault was corrected. */
  runDetailed<T = TOutput>(input: TInput | Movable<TInput>, options: RunOptions = {}): Promise<DetailedResult<T>> {
    return this.admission.submit(input, options, true) as Promise<DetailedResult<T>>;
  }

  /**
   * A stepped task with its outputs as an async iterator (each once its checkpoint is voted, in
   * order) and its value as `result`. The iterator throws the task's error if it fails.
   */
  runStream<T = TOutput>(input: TInput | Movable<TInput>, options: RunOptions = {}): SteppedStream<T> {
    const stream: StreamSlot = {};
    const result = this.admission.submit(input, options, false, stream) as Promise<T>;
    result.catch(() => {}); // a caller who only iterates gets the error there
    return { result, [Symbol.asyncIterator]: () => stream.iterate?.() ?? settledIterator(result) };
  }

  private steppedRuns(stats: Stats): SteppedRuns {
    return new SteppedRuns({
      options: this.options,
      cores: this.coreList,
      scheduler: this.scheduler,
      events: this,
      surface: this.surface,
      stats,
      journal: this.journal,
      nextId: () => this.admission.takeId(),
      checkOpen: () => {
        if (this.destroying !== undefined) throw new TriplexError('ERR_DESTROYED', 'The pool is destroyed');
        if (this.startError !== undefined) throw this.startError;
      },
    });
  }

  /** Why the pool takes no run now, if it does not. */
  private refusal(): Error | undefined {
    if (this.destroying !== undefined || this.closing !== undefined) {
      return new TriplexError('ERR_DESTROYED', `The pool is ${this.destroying !== undefined ? 'destroyed' : 'closing'}`);
    }
    return this.startError;
  }

  /** Snapshot copies of every core. */
  get cores(): CoreInfo[] {
    return this.coreList.map((core) =>
      coreInfo(core, {
        record: this.healthModel.record(core.id),
        binding: this.policy.binding(core.id),
        state: this.bridge.stateOf(core.id),
        busy: this.scheduler.load(core) > 0,
      }),
    );
  }

  /** Counter snapshot. */
  get stats(): StatsSnapshot {
    return { ...this.scheduler.stats.snapshot(), queued: this.scheduler.backlog } as StatsSnapshot;
  }

  /** Export and inspect core health (restore with the `health.restore` option). */
  get health(): { export(): HealthSnapshot } {
    return { export: () => this.healthModel.export() };
  }

  /** The fully resolved options (a copy). */
  get resolvedOptions(): Readonly<ResolvedOptions> {
    // A copy all the way down (the pool keeps reading its own); the user's workerData and health snapshot are theirs.
    return copyPlain(this.options, new Set([this.options.compat.worker.workerData, this.options.restore]));
  }

  /** Every task not settled yet rejects with its error (a cluster whose Redis stays away); the pool goes on. */
  protected failPending(errorFor: (task: { id: number; name: string }) => Error): void {
    this.scheduler.failPending(errorFor);
  }

  /**
   * Whether a task the cores cannot serve now (too few, or none unused) waits for more instead of
   * failing. A pool's cores do not come back on their own: no; a cluster waits for hosts.
   */
  protected waitsForCores(_task: { readonly submittedAt: number }): boolean {
    return false;
  }

  /** Every waiting task is placed or, if waitsForCores now says no, fails (its wait for cores is over). */
  protected recheckCores(): void {
    this.scheduler.coresChanged();
  }

  /** Maintenance: the core takes no new replicas; the one it runs finishes. */
  setOffline(coreId: number): void {
    this.bridge.setOffline(this.coreById(coreId, 'setOffline'));
  }

  /** Maintenance over: the core serves again (unless it is disabled or retired). */
  setOnline(coreId: number): void {
    this.bridge.setOnline(this.coreById(coreId, 'setOnline'));
    this.scheduler.pump();
  }

  private coreById(coreId: unknown, method: string): Core {
    if (typeof coreId !== 'number' || !Number.isInteger(coreId)) throw invalidOption(`${method}(coreId)`, 'a core id (integer)', coreId, 'type');
    const core = this.coreList[coreId];
    if (core === undefined) throw invalidOption(`${method}(coreId)`, `a core id from 0 to ${this.coreList.length - 1}`, coreId, 'range');
    return core;
  }

  /** Rejects every pending task with ERR_DESTROYED and stops every worker thread. */
  destroy(): Promise<void> {
    if (this.destroying !== undefined) return this.destroying;
    if (this.has('destroy')) this.emit('destroy', {});
    this.scheduler.destroy();
    this.bridge.close();
    // Settles once the audit log is flushed and closed, even if a worker failed to stop; rejects
    // (after 'close', every thread stopped) when the audit log lost lines (ERR_AUDIT_WRITE).
    this.destroying = Promise.allSettled(this.coreList.map((core) => core.stop()))
      .then(() =>
        this.ops.close().then(
          () => undefined,
          (error: unknown) => error,
        ),
      )
      .then((failure) => {
        this.emitSafely('close');
        if (failure !== undefined) throw failure;
      });
    return this.destroying;
  }

  // ── piscina's pool surface: close, backpressure, timing (see surface.ts) ──
  private readonly surface: PoolSurface;
  private closing: Promise<void> | undefined;

  /**
   * Lets running and queued tasks finish (at most `closeTimeout` ms, then destroys), then stops
   * every worker. New run() calls reject. `force`: tasks with no replica running in a worker (queued,
   * or placed in a core's ring) reject with an AbortError; a stepped run stops at the checkpoint of
   * the segment it is running (its outputs up to there are released) and rejects with an AbortError.
   */
  close(options: { force?: boolean } = {}): Promise<void> {
    if (typeof options !== 'object' || options === null) return Promise.reject(invalidOption('close options', 'an object { force? }', options, 'type'));
    if (options.force !== undefined && typeof options.force !== 'boolean') return Promise.reject(invalidOption('force', 'a boolean', options.force, 'type'));
    if (this.closing !== undefined) return this.closing;
    if (options.force === true) {
      // Placed is not running: under backlog a core's ring holds replicas its worker has not started yet.
      for (const task of [...this.surface.tasks]) {
        if (this.stepped.forceClose(task) || this.scheduler.hasRunningReplica(task)) continue;
        this.scheduler.abort(task, new TriplexError('ERR_ABORTED', 'The pool was closed with close({ force: true })'), 'was not running: the pool is closed');
      }
    }
    const timeout = this.options.compat.closeTimeout;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      if (Number.isFinite(timeout)) timer = setTimeout(resolve, timeout).unref();
    });
    this.closing = Promise.race([this.surface.whenIdle(), expired]).then(() => {
      clearTimeout(timer);
      return this.destroy();
    });
    return this.closing;
  }

  /** `await using pool = new Triplex(...)`: close() at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** `using pool = new Triplex(...)`: starts close() at the end of the scope without waiting, as piscina's does. */
  [Symbol.dispose](): void {
    // Nobody awaits it: an audit write failure was already reported on 'error' (or as a warning).
    this.close().catch(() => {});
  }

  /** piscina's `maxThreads` and `minThreads`: the cores, each of which keeps its pinned worker. */
  get maxThreads(): number {
    return this.coreList.length;
  }
  get minThreads(): number {
    return this.coreList.length;
  }

  /** piscina's `idleThreads`: enabled cores with no replica placed on them. */
  get idleThreads(): number {
    return this.coreList.filter((core) => core.enabled && this.scheduler.load(core) === 0).length;
  }

  /** The package's version (piscina's `Piscina.version`). */
  static get version(): string {
    return packageVersion();
  }

  /** piscina's symbols for a custom transferable: `[transferableSymbol]` lists its buffers, `[valueSymbol]` is the task's input. */
  static readonly transferableSymbol: typeof TRANSFERABLE = TRANSFERABLE;
  static readonly valueSymbol: typeof VALUE = VALUE;

  /** piscina's move(): `run(Triplex.move(buffer))` hands the buffer's ownership to the pool. */
  static move = move;

  /** True inside a triplex core's worker thread (task code). */
  static get isWorkerThread(): boolean {
    return isWorkerThread();
  }

  /** piscina's `Piscina.workerData`: inside a task, the pool's `workerData` option (the same on every core). */
  static get workerData(): unknown {
    return threads.workerData;
  }

  /** Tasks waiting for cores: accepted beyond the task slots, in the pool's queue or a core's ring. */
  get queueSize(): number {
    return this.scheduler.backlog;
  }

  /** Tasks settled since the pool started (values and rejections, as piscina counts). */
  get completed(): number {
    return this.surface.completed;
  }

  /** ms since the pool was created. */
  get duration(): number {
    return this.surface.duration;
  }

  /** Share of the cores' time spent running replicas since the pool started (0..1). */
  get utilization(): number {
    return this.surface.utilization(
      this.coreList.reduce((sum, core) => sum + core.busyMs, 0),
      this.coreList.length,
    );
  }

  /** Per-task run and wait times (option recordTiming), summarized as piscina does, in ms. */
  get histogram(): PoolHistogram {
    return this.surface.histogram;
  }

  /** True while every task slot (enabled cores / k) is taken: a producer should wait for 'drain'. */
  get needsDrain(): boolean {
    return this.surface.needsDrain;
  }

  /** piscina's threads: one per core (its worker thread), with the core's state. */
  get threads(): ThreadInfo[] {
    return this.coreList.map((core) => threadInfo(core, this.bridge.stateOf(core.id), this.scheduler.load(core) > 0, this.surface.perCore.get(core.id)));
  }

  /** piscina's payload-free events (a throwing listener is reported by TypedEmitter, never thrown into the pool). */
  private emitSafely(name: 'drain' | 'needsDrain' | 'close'): void {
    if (this.has(name)) this.emit(name, {});
  }
  // ── end piscina surface ──

  // ── Operations: audit log, metrics, reliability figures, state scan. Delegates to src/ops. ──
  private readonly ops: Operations;

  private startOperations(): Operations {
    const pool = this;
    const host: OpsHost = {
      events: this,
      options: this.options,
      cores: this.coreList,
      clock: this.clock,
      describeOptions: () => describeOptions(this.options),
      pinning: () => ({ processMask: affinityMask(), available: pinningUnavailableReason() === undefined }),
      state: (id) => this.bridge.stateOf(id),
      record: (id) => this.healthModel.record(id),
      capacity: () => this.policy.capacity(this.coreList),
      stats: () => this.stats,
      health: () => this.healthModel.export(),
      destroyed: () => this.destroying !== undefined,
      get ready() {
        return pool.readyPromise;
      },
    };
    try {
      return new Operations(host);
    } catch (error) {
      this.bridge.close(); // the audit file could not be opened: leave no self-test timer behind
      throw error;
    }
  }

  /** The audit log's current level ('off' when the pool has none). */
  get auditLevel(): AuditLevel {
    return this.ops.auditLevel;
  }

  /** Changes what the audit log records, at runtime. Throws ERR_INVALID_OPTION when the pool has no audit log. */
  setAuditLevel(level: AuditLevel): void {
    this.ops.setAuditLevel(level);
  }

  /** Counters, histograms, per-core utilization and reliability figures (MTBF, MTTR, availability). */
  metrics(): PoolMetrics {
    return this.ops.metrics();
  }

  /** State scan: each core's intended state against what its worker thread reports now. */
  verify(options?: VerifyOptions): Promise<VerifyReport> {
    return this.ops.verify(options);
  }
  // ── end Operations ──
}
