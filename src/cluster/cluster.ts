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
  /** Looks at how long Redis has been away (tasks give up after waitForHosts of it). */
  private readonly outageWatch: NodeJS.Timeout;

  constructor(options: TriplexClusterOptions) {
    const cluster = resolveClusterOptions(options);
    const runtime = new ClusterRuntime(cluster);
    super(cluster.pool, runtime.source);
    this.cluster = cluster;
    this.runtime = runtime;
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
    this.readyHosts = super.ready.then(() => this.whenServing(true));
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

  /** Runs `input` through the task on k distinct hosts; waits (at most waitForHosts) for enough hosts. */
  override run<T = TOutput>(input: TInput | Movable<TInput>, options: RunOptions = {}): Promise<T> {
    return this.gate(options).then(() => super.run<T>(input, options));
  }

  override runDetailed<T = TOutput>(input: TInput | Movable<TInput>, options: RunOptions = {}): Promise<DetailedResult<T>> {
    return this.gate(options).then(() => super.runDetailed<T>(input, options));
  }

  private gate(options: RunOptions): Promise<void> {
    if (options !== null && typeof options === 'object' && (options as { filename?: unknown }).filename != null) {
      return Promise.reject(
        new TriplexError('ERR_INVALID_OPTION', 'Option "filename" of run() is not available in a cluster: every host serves the module it was started with', {
          option: 'filename',
        }),
      );
    }
    return super.ready.then(() => {
      const outage = this.outageError();
      return outage === undefined ? this.whenServing(false) : Promise.reject(outage('run()'));
    });
  }

  /** Resolves when k hosts can serve; after waitForHosts, rejects (`strict`) or resolves so the pool answers ERR_NOT_ENOUGH_CORES. */
  private whenServing(strict: boolean): Promise<void> {
    const k = this.resolvedOptions.k;
    if (this.runtime.serving() >= k) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = (): void => {
        // Destroyed: the pool itself answers ERR_DESTROYED at once.
        if (this.stopping === undefined && this.runtime.serving() < k && timer !== undefined) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        if (this.runtime.serving() >= k || !strict) resolve();
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
