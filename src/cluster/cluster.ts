/**
 * TriplexCluster: the voted pool of `Triplex`, with hosts as fault domains. Each replica of a
 * task runs on a distinct host (tie-breaks and re-executions on an unused one); the scheduler,
 * binding policy, voter and health model are the pool's, the cores are remote (remote-core.ts).
 */
import { TriplexError } from '../errors.js';
import { Triplex, type CoreInfo } from '../pool/triplex.js';
import type { Movable, RunOptions } from '../pool/run-options.js';
import type { DetailedResult } from '../pool/task.js';
import type { HostState } from './membership.js';
import { resolveClusterOptions, type ResolvedCluster, type TriplexClusterOptions } from './options.js';
import { describeConnection } from './redis.js';
import { ClusterRuntime } from './runtime.js';

/** A core of the cluster: the pool's snapshot plus where it runs. */
export interface ClusterCoreInfo extends CoreInfo {
  /** Its host's id. */
  host: string;
  /** Its index on that host (`triplex worker --cores`). */
  hostCore: number;
  /** The CPU it is pinned to on that host (`cpu` is the cluster's slot number). */
  hostCpu: number;
}

/** One host as the coordinator sees it. `disabled`: up, but every one of its cores was disabled (out-voted). */
export interface HostInfo {
  id: string;
  state: HostState | 'disabled';
  cores: ClusterCoreInfo[];
  /** Charges against its cores, and replicas they ran. */
  faults: number;
  tasks: number;
  /** ms since its heartbeat last moved. */
  lastHeartbeat: number;
  /** sha256 of its task module. */
  digest: string;
  hostname: string;
  pid: number;
  /** Why it was rejected. */
  error?: TriplexError;
}

export class TriplexCluster<TInput = unknown, TOutput = unknown> extends Triplex<TInput, TOutput> {
  private readonly runtime: ClusterRuntime;
  private readonly cluster: ResolvedCluster;
  private readonly waiters = new Set<() => void>();
  private readonly readyHosts: Promise<void>;
  private stopping: Promise<void> | undefined;
  /** performance.now() when fewer than k hosts began to serve (see shortSince). */
  private short: number | undefined = performance.now();
  /** Replicas per task: hosts needed (read once; resolvedOptions is a deep copy). */
  private readonly k: number;
  /** Looks at how long Redis has been away, and whether hosts are short (tasks give up after waitForHosts of either). */
  private readonly outageWatch: NodeJS.Timeout;

  constructor(options: TriplexClusterOptions) {
    const cluster = resolveClusterOptions(options);
    const runtime = new ClusterRuntime(cluster);
    super(cluster.pool, runtime.source);
    this.cluster = cluster;
    this.runtime = runtime;
    this.k = this.resolvedOptions.k;
    runtime.hooks = {
      online: (slot) => this.setOnline(slot),
      offline: (slot) => this.setOffline(slot),
      emit: (event) => {
        if (this.has('host')) this.emit('host', event);
      },
      report: (error) => {
        if (this.has('error')) this.emit('error', error);
      },
    };
    runtime.onPoll = () => this.wake();
    // No host serves a slot yet: none takes a replica until one joins.
    for (const slot of runtime.slots) this.setOffline(slot.id);
    this.readyHosts = super.ready.then(() => this.whenServing());
    this.readyHosts.catch(() => {});
    this.outageWatch = setInterval(() => this.checkOutage(), Math.min(cluster.heartbeatInterval, 1_000));
    this.outageWatch.unref();
  }

  /**
   * While Redis is away nothing moves and nobody is charged (replicas in flight are re-run when it
   * answers). Once it has been away for waitForHosts, every task in flight rejects with
   * ERR_REDIS_UNREACHABLE, and so does run() until it answers.
   */
  private checkOutage(): void {
    const error = this.outageError();
    if (error !== undefined) this.failPending((task) => error(`Task "${task.name}" (#${task.id})`));
    // Hosts short: tasks whose wait for hosts is over fail now (waitsForCores says no to them).
    else if (this.shortSince() !== undefined) this.recheckCores();
  }

  private outageError(): ((what: string) => TriplexError) | undefined {
    const away = this.runtime.redis.outage();
    if (away <= this.cluster.waitForHosts || this.stopping !== undefined) return undefined;
    const where = describeConnection(this.cluster.connection);
    return (what) =>
      new TriplexError(
        'ERR_REDIS_UNREACHABLE',
        `${what}: Redis at ${where} has not answered for ${Math.round(away)} ms (waitForHosts ${this.cluster.waitForHosts} ms)`,
        {
          option: 'connection',
          received: where,
          outageMs: Math.round(away),
        },
      );
  }

  /**
   * Resolves once Redis answered and enough hosts (one per replica) have joined; rejects with
   * ERR_REDIS_UNREACHABLE or, after waitForHosts, ERR_NOT_ENOUGH_CORES.
   */
  override get ready(): Promise<void> {
    return this.readyHosts;
  }

  /**
   * Runs `input` through the task on k distinct hosts. The call is checked at once (options, input,
   * abort); while fewer than k hosts serve, the task waits (at most waitForHosts: see waitsForCores).
   */
  override run<T = TOutput>(input: TInput | Movable<TInput>, options: RunOptions = {}): Promise<T> {
    const refused = this.clusterRefusal(options);
    return refused === undefined ? super.run<T>(input, options) : Promise.reject(refused);
  }

  override runDetailed<T = TOutput>(input: TInput | Movable<TInput>, options: RunOptions = {}): Promise<DetailedResult<T>> {
    const refused = this.clusterRefusal(options);
    return refused === undefined ? super.runDetailed<T>(input, options) : Promise.reject(refused);
  }

  /** What a cluster refuses before the pool looks at a run: a module of its own, a Redis away for waitForHosts. */
  private clusterRefusal(options: RunOptions): TriplexError | undefined {
    if (options !== null && typeof options === 'object' && (options as { filename?: unknown }).filename != null) {
      return new TriplexError(
        'ERR_INVALID_OPTION',
        'Option "filename" of run() is not available in a cluster: every host serves the module it was started with',
        {
          option: 'filename',
        },
      );
    }
    return this.outageError()?.('run()');
  }

  /**
   * A task the hosts cannot serve (fewer than k up, or none unused for a re-execution) waits while
   * hosts are short, for waitForHosts from when they ran short or from its run(), whichever is later;
   * then the pool answers (ERR_NOT_ENOUGH_CORES, or ERR_NO_MAJORITY for one that already ran).
   */
  protected override waitsForCores(task: { readonly submittedAt: number }): boolean {
    const since = this.shortSince();
    if (since === undefined || this.stopping !== undefined) return false;
    return performance.now() - Math.max(since, task.submittedAt) < this.cluster.waitForHosts;
  }

  /** When fewer than k hosts began to serve (performance.now()), or undefined while k or more do. */
  private shortSince(): number | undefined {
    if (this.runtime.serving() >= this.k) this.short = undefined;
    else this.short ??= performance.now();
    return this.short;
  }

  /** Resolves when k hosts can serve; after waitForHosts, rejects with ERR_NOT_ENOUGH_CORES. */
  private whenServing(): Promise<void> {
    const k = this.k;
    if (this.runtime.serving() >= k) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = (): void => {
        // Destroyed: the pool itself answers ERR_DESTROYED at once.
        if (this.stopping === undefined && this.runtime.serving() < k && timer !== undefined) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        if (this.runtime.serving() >= k) resolve();
        else
          reject(
            new TriplexError(
              'ERR_NOT_ENOUGH_CORES',
              `${this.runtime.serving()} host(s) serve the cluster after ${this.cluster.waitForHosts} ms (waitForHosts); ` +
                `${k} needed for ${this.resolvedOptions.redundancy.toUpperCase()}`,
              { needed: k, hosts: this.runtime.serving() },
            ),
          );
      };
      this.waiters.add(check);
      if (Number.isFinite(this.cluster.waitForHosts)) {
        timer = setTimeout(() => {
          timer = undefined;
          check();
        }, this.cluster.waitForHosts);
      } else timer = setTimeout(() => {}, 0x7fffffff);
      timer.unref();
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** The cores hosts serve (slots no host ever served are left out). */
  override get cores(): ClusterCoreInfo[] {
    return super.cores.flatMap((info) => {
      const a = this.runtime.slots[info.id]?.assignment;
      return a === undefined ? [] : [{ ...info, host: a.host, hostCore: a.local, hostCpu: a.cpu }];
    });
  }

  /** Every host seen since the cluster started, with its cores and its charges. */
  get hosts(): HostInfo[] {
    const cores = this.cores;
    const now = Date.now();
    return [...(this.runtime.membership?.hosts.values() ?? [])].map((entry) => {
      const own = cores.filter((c) => c.host === entry.id && entry.slots.some((s) => s.id === c.id));
      const disabled = own.length > 0 && own.every((c) => c.state === 'disabled' || c.state === 'retired');
      const info: HostInfo = {
        id: entry.id,
        state: entry.state === 'up' && disabled ? 'disabled' : entry.state,
        cores: own,
        faults: own.reduce((sum, c) => sum + c.faults, 0),
        tasks: own.reduce((sum, c) => sum + c.tasks, 0),
        lastHeartbeat: now - entry.lastSeenAt,
        digest: entry.registration.digest,
        hostname: entry.registration.hostname,
        pid: entry.registration.pid,
      };
      if (entry.error !== undefined) info.error = entry.error;
      return info;
    });
  }

  /** Rejects pending tasks with ERR_DESTROYED, then closes the queues and Redis connections. Hosts keep running. */
  override destroy(): Promise<void> {
    clearInterval(this.outageWatch);
    // The queues and connections close even when the local pool's destroy rejects (its audit log lost lines).
    this.stopping ??= super
      .destroy()
      .then(
        () => this.runtime.close(),
        (error: unknown) =>
          this.runtime.close().then(() => {
            throw error;
          }),
      )
      .finally(() => this.wake());
    return this.stopping;
  }
}
