/** The public class: a thin front over options, cores, policies, the scheduler and the health bridge. */
import { serialize } from 'node:v8';
import { createBinding } from '../binding/index.js';
import type { BindingPolicy } from '../binding/types.js';
import { Core } from '../cores/core.js';
import { invalidOption, TriplexError } from '../errors.js';
import { CoreHealth } from '../health/core-health.js';
import type { HealthSnapshot } from '../health/types.js';
import { systemClock } from '../util/clock.js';
import { SeededRandom } from '../util/random.js';
import { TypedEmitter, type CoreState } from './events.js';
import { HealthBridge } from './health-bridge.js';
import { DeterminismJournal } from './determinism-options.js';
import { resolveOptions, type ResolvedOptions, type TriplexOptions } from './options.js';
import { Scheduler } from './scheduler.js';
import { Stats, type StatsSnapshot } from './stats.js';
import { TaskRun, type DetailedResult } from './task.js';
import type { OpsHost } from '../ops/host.js';
import { Operations } from '../ops/operations.js';
import type { AuditLevel, PoolMetrics, VerifyOptions, VerifyReport } from '../ops/types.js';

export interface RunOptions {
  /** Export of the task module to run. @default 'default' */
  name?: string;
  /** Aborts the task, queued or running (running replicas are terminated). */
  signal?: AbortSignal;
  /** What its cores are judged on (attribution counts evidence per core and kind). @default the task name */
  kind?: string;
}

/** Snapshot of one core (`pool.cores` returns copies). */
export interface CoreInfo {
  id: number;
  /** CPU the core is pinned to. */
  cpu: number;
  /** Its fault domain (option faultDomain); absent with faultDomain 'none'. */
  domain?: number;
  /** Whether the worker pinned itself; null until it reported in. */
  pinned: boolean | null;
  /** CPU observed by sched_getcpu inside the worker at start-up, -1 when unknown. */
  observedCpu: number;
  state: CoreState;
  /** Evidence against it: its largest attribution test statistic over the threshold (1 disables). */
  score: number;
  /** Charges so far. */
  faults: number;
  /** Replicas run. */
  tasks: number;
  /** Static binding: the group the core serves (as member or spare). */
  group?: number;
  role: 'member' | 'spare' | 'stranded' | 'free';
  /** Task kinds this core no longer serves (software core salvaging). */
  excludedKinds: string[];
  /** Relative slowness (1 = as fast as the fastest replica of the same tasks). */
  speed: number;
  /** Time spent running replicas, ms. */
  busyMs: number;
  /** Has replicas placed on it that have not answered yet. */
  busy: boolean;
}

export class Triplex extends TypedEmitter {
  private readonly options: ResolvedOptions;
  private readonly coreList: Core[];
  private readonly healthModel: CoreHealth;
  private readonly policy: BindingPolicy;
  private readonly bridge: HealthBridge;
  private readonly scheduler: Scheduler;
  private readonly readyPromise: Promise<void>;
  private exports: Set<string> | undefined;
  private startError: TriplexError | undefined;
  private nextId = 0;
  private readonly journal: DeterminismJournal;
  private destroying: Promise<void> | undefined;

  constructor(options: TriplexOptions) {
    super();
    this.options = resolveOptions(options);
    const o = this.options;
    if (o.cores < o.k) throw invalidOption('cores', `at least ${o.k} for ${o.redundancy.toUpperCase()}`, o.cores, 'range');
    if (o.binding === 'static' && o.cores - o.spares < o.k) {
      throw invalidOption('spares', `at most ${o.cores - o.k} (static binding needs one group of ${o.k} cores beside the spares)`, o.spares, 'range');
    }
    o.faults?.validateFor(o.cores);
    this.journal = new DeterminismJournal(o.determinism, o.seed);
    const stats = new Stats();
    this.coreList = Array.from({ length: o.cores }, (_, id) => new Core(id, o.cpus[id % o.cpus.length]!, o.pin, o.moduleUrl));
    for (const core of this.coreList) core.domain = o.cpuDomains?.[core.id % o.cpus.length];
    this.healthModel = new CoreHealth(this.coreList.map((c) => c.id), o.health, systemClock, o.restore);
    this.policy = createBinding(o.binding, this.coreList, o.k, o.spares, new SeededRandom(o.seed));
    this.bridge = new HealthBridge(this.healthModel, this.policy, this.coreList, o, this, stats);
    this.scheduler = new Scheduler(o, this.coreList, this.policy, this.bridge, this, stats);
    this.bridge.onCapacityChange = () => this.scheduler.coresChanged();
    this.bridge.loadOf = (core) => this.scheduler.load(core);
    this.ops = this.startOperations(); // issue #6: audit log, metrics, state scan (see the Operations block)
    this.readyPromise = this.startCores();
    // Callers who never await `ready` must not see an unhandled rejection; run() reports it too.
    this.readyPromise.catch(() => {});
  }

  private async startCores(): Promise<void> {
    const enabled = this.coreList.filter((core) => core.enabled);
    const hellos = await Promise.all(enabled.map((core) => core.start()));
    const exports = new Set<string>();
    for (const [i, hello] of hellos.entries()) {
      const core = enabled[i]!;
      if (hello.loadError !== undefined) {
        this.startError = new TriplexError('ERR_TASK_NOT_FOUND', `The task module ${this.options.moduleUrl} failed to load: ${hello.loadError.message}`, { filename: this.options.moduleUrl });
      }
      if (this.options.pin === 'required' && !hello.pinned) {
        this.startError = new TriplexError('ERR_PINNING', `Core ${core.id} could not be pinned to CPU ${core.cpu}: ${hello.pinError ?? 'unknown reason'}`, { core: core.id, cpu: core.cpu });
      }
      for (const name of hello.exports) exports.add(name);
    }
    this.exports = exports;
    if (this.startError !== undefined) throw this.startError;
    if (this.has('start')) {
      const { faults, equals, ...plain } = this.options;
      this.emit('start', { options: { ...plain, faults: faults !== undefined, equals: equals !== undefined } });
    }
  }

  /** Resolves when every core's worker has started, pinned itself and loaded the task module. */
  get ready(): Promise<void> {
    return this.readyPromise;
  }

  /** Runs `input` through the task `name` on k distinct cores and resolves with the voted value. */
  run<T = unknown>(input: unknown, options: RunOptions = {}): Promise<T> {
    return this.submit(input, options, false) as Promise<T>;
  }

  /** Like run(), with every replica's core, CPU, digest and time, the extra attempts and whether a fault was corrected. */
  runDetailed<T = unknown>(input: unknown, options: RunOptions = {}): Promise<DetailedResult<T>> {
    return this.submit(input, options, true) as Promise<DetailedResult<T>>;
  }

  private submit(input: unknown, options: RunOptions, detailed: boolean): Promise<unknown> {
    if (typeof options !== 'object' || options === null) return Promise.reject(invalidOption('run options', 'an object { name?, signal? }', options, 'type'));
    const name = options.name ?? 'default';
    if (typeof name !== 'string') return Promise.reject(invalidOption('name', 'a string (an export of the task module)', name, 'type'));
    const kind = options.kind ?? name;
    if (typeof kind !== 'string') return Promise.reject(invalidOption('kind', 'a string (what cores are judged on)', kind, 'type'));
    const signal = options.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) return Promise.reject(invalidOption('signal', 'an AbortSignal', signal, 'type'));
    if (this.destroying !== undefined) return Promise.reject(new TriplexError('ERR_DESTROYED', 'The pool is destroyed'));
    if (this.startError !== undefined) return Promise.reject(this.startError);
    if (this.exports !== undefined && !this.exports.has(name)) {
      return Promise.reject(new TriplexError('ERR_TASK_NOT_FOUND', `Task "${name}" is not exported by ${this.options.moduleUrl} (exports: ${[...this.exports].filter((e) => !e.startsWith('__triplex')).join(', ') || 'none'})`, { name }));
    }
    const id = this.nextId++;
    // Fault injection (issue #4): offline/online maintenance faults scheduled by task count or time; one check when no injector is set.
    if (this.options.faults !== undefined) this.options.faults.beforeTask?.(id, this);
    if (signal?.aborted) return Promise.reject(new TriplexError('ERR_ABORTED', `Task "${name}" (#${id}) was aborted before it was queued`, { taskId: id, reason: String(signal.reason) }));
    let bytes: Uint8Array;
    try {
      // Serialized once for all replicas: cloneability is checked here, and every core gets identical bytes.
      bytes = serialize(input);
    } catch (error) {
      return Promise.reject(new TriplexError('ERR_NOT_CLONEABLE', `The input of task "${name}" cannot be cloned to a worker: ${(error as Error).message}`, { name }));
    }
    return new Promise((resolve, reject) => {
      const task = new TaskRun(id, name, bytes, this.options.k, detailed, resolve, reject, signal);
      task.kind = kind;
      task.det = this.journal.next();
      if (signal !== undefined) {
        task.onAbort = () => this.scheduler.abort(task, signal.reason);
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      this.scheduler.submit(task);
    });
  }

  /** Snapshot copies of every core. */
  get cores(): CoreInfo[] {
    return this.coreList.map((core) => {
      const record = this.healthModel.record(core.id);
      const binding = this.policy.binding(core.id);
      const info: CoreInfo = {
        id: core.id,
        cpu: core.cpu,
        pinned: core.pinned,
        observedCpu: core.observedCpu,
        state: this.bridge.stateOf(core.id),
        score: record.score,
        faults: record.faults,
        tasks: core.tasks,
        role: binding.role,
        excludedKinds: [...record.excludedKinds],
        speed: core.speed,
        busyMs: core.busyMs,
        busy: this.scheduler.load(core) > 0,
      };
      if (binding.group !== undefined) info.group = binding.group;
      if (core.domain !== undefined) info.domain = core.domain;
      return info;
    });
  }

  /** Counter snapshot. */
  get stats(): StatsSnapshot {
    return { ...this.scheduler.stats.snapshot(), queued: this.scheduler.queued } as StatsSnapshot;
  }

  /** Export and inspect core health (restore with the `health.restore` option). */
  get health(): { export(): HealthSnapshot } {
    return { export: () => this.healthModel.export() };
  }

  /** The fully resolved options (a copy). */
  get resolvedOptions(): Readonly<ResolvedOptions> {
    return { ...this.options, cpus: [...this.options.cpus] };
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
    // Resolves once the audit log is flushed and closed, even if a worker failed to stop.
    this.destroying = Promise.allSettled(this.coreList.map((core) => core.stop())).then(() => this.ops.close());
    return this.destroying;
  }

  // ── Operations (issue #6): audit log, metrics, reliability figures, state scan. Delegates to src/ops. ──
  private readonly ops: Operations;

  private startOperations(): Operations {
    const pool = this;
    const host: OpsHost = {
      events: this,
      options: this.options,
      cores: this.coreList,
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
