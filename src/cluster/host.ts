/**
 * One host of a cluster (`triplex worker`): local pinned cores that serve replica jobs from the
 * host's own BullMQ queue, one replica per job, on the core the job names. It registers under
 * its id, heart-beats, and terminates a replica the coordinator gave up on (cancel channel).
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { RedisConnection, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { Core } from '../cores/core.js';
import { availableCpus } from '../worker/affinity.js';
import { invalidOption, TriplexError } from '../errors.js';
import { resolveModuleUrl } from '../pool/options.js';
import { numberOption } from '../options/validate.js';
import type { ServingView } from '../health/serving.js';
import type { PinMode } from '../transport/protocol.js';
import { CorruptMessage, open, requestOf, resultOf, seal, type ReplicaJob, type Sealed } from './envelope.js';
import { moduleDigest } from './options.js';
import { checkReachable, ClusterKeys, HOST_ID, PREFIX, resolveConnection, unreachable, type RedisConnection as ConnectionOption } from './redis.js';
import { beat, leave, type HostRegistration } from './registry.js';

/** The coordinator's health model judges this host's cores; here they run whatever they are sent. */
const ALWAYS_SERVING: ServingView = Object.freeze({ serving: true, excluded: new Set<string>(), lastFaultAt: null });

export interface ClusterHostOptions {
  /** The Redis server (ioredis options or a redis:// URL). */
  connection: ConnectionOption;
  /** The task module; the coordinator rejects a host whose module's sha256 differs from its own. */
  filename: string | URL;
  /** Local cores, one pinned worker thread each. @default CPUs available */
  cores?: number;
  /** Unique in the cluster while the host is alive. @default `${hostname}-${pid}` */
  hostId?: string;
  /** The cluster's name in Redis. @default 'triplex' */
  prefix?: string;
  /** @default 'auto' */
  pin?: PinMode;
  /** CPUs the cores are pinned to, round-robin. @default the process affinity mask */
  cpus?: number[];
  /** ms between heartbeats. @default 1_000 */
  heartbeatInterval?: number;
  /** ms a heartbeat stays valid in Redis. @default 5_000 */
  heartbeatTimeout?: number;
  /** Called when the host must stop: its id was taken over, or the coordinator rejected it. */
  onFatal?: (error: TriplexError) => void;
}

interface Resolved {
  connection: Record<string, unknown>;
  moduleUrl: string;
  digest: string;
  cores: number;
  hostId: string;
  prefix: string;
  pin: PinMode;
  cpus: number[];
  heartbeatInterval: number;
  heartbeatTimeout: number;
}

function resolveHost(o: ClusterHostOptions): Resolved {
  const moduleUrl = resolveModuleUrl(o.filename);
  const hostId = o.hostId ?? `${os.hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, '-');
  if (typeof hostId !== 'string' || !HOST_ID.test(hostId))
    throw invalidOption('hostId', 'letters, digits, ".", "_" or "-" (at most 64)', hostId, typeof hostId === 'string' ? 'range' : 'type');
  const prefix = o.prefix ?? 'triplex';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) throw invalidOption('prefix', 'letters, digits, ".", "_" or "-" (at most 64)', prefix, 'range');
  const pin = o.pin ?? 'auto';
  if (!['auto', 'off', 'required'].includes(pin)) throw invalidOption('pin', "one of 'auto', 'off', 'required'", pin, 'range');
  const mask = availableCpus();
  const cpus = o.cpus ?? mask;
  if (!Array.isArray(cpus) || cpus.length === 0 || cpus.some((c) => !mask.includes(c)))
    throw invalidOption('cpus', `CPUs from the affinity mask [${mask.join(', ')}]`, cpus, 'range');
  const heartbeatInterval = numberOption('heartbeatInterval', o.heartbeatInterval, 1_000, 10, { max: 60_000 });
  const heartbeatTimeout = numberOption('heartbeatTimeout', o.heartbeatTimeout, 5_000, 1, { max: 600_000 });
  if (heartbeatTimeout <= heartbeatInterval)
    throw invalidOption('heartbeatTimeout', `more than heartbeatInterval (${heartbeatInterval} ms)`, heartbeatTimeout, 'range');
  return {
    connection: resolveConnection('connection', o.connection),
    moduleUrl,
    digest: moduleDigest(moduleUrl, 'filename'),
    cores: numberOption('cores', o.cores, mask.length, 1, { integer: true, max: 1024 }),
    hostId,
    prefix,
    pin,
    cpus,
    heartbeatInterval,
    heartbeatTimeout,
  };
}

export class ClusterHost {
  private worker: Worker | undefined;
  private connection: RedisConnection | undefined;
  private subscriber: Redis | undefined;
  private timer: NodeJS.Timeout | undefined;
  private registration: HostRegistration | undefined;
  private readonly running = new Map<string, Core>();
  private readonly nonce = randomBytes(8).toString('hex');
  private readonly keys: ClusterKeys;
  private seq = 0;
  private served = 0;
  private failed = 0;
  /** stop() was called (replicas may still run: heartbeats go on); `stopped`: they finished, heartbeats end. */
  private stopping = false;
  private stopped = false;
  readonly cores: Core[];

  private constructor(
    private readonly o: Resolved,
    private readonly onFatal: (error: TriplexError) => void,
  ) {
    this.keys = new ClusterKeys(o.prefix);
    this.cores = Array.from({ length: o.cores }, (_, i) => new Core(i, o.cpus[i % o.cpus.length]!, o.pin, o.moduleUrl, ALWAYS_SERVING));
  }

  get id(): string {
    return this.o.hostId;
  }

  /** Checks Redis, starts the cores, registers (ERR_HOST_ID_TAKEN if the id is live elsewhere) and serves. */
  static async start(options: ClusterHostOptions): Promise<ClusterHost> {
    const o = resolveHost(options);
    await checkReachable(o.connection, 'connection', o.prefix);
    const host = new ClusterHost(o, options.onFatal ?? (() => {}));
    try {
      await host.startCores();
      await host.register();
      host.serve();
      return host;
    } catch (error) {
      await host.stop();
      throw error;
    }
  }

  private async startCores(): Promise<void> {
    const hellos = await Promise.all(this.cores.map((core) => core.start()));
    const failed = hellos.find((hello) => hello.loadError !== undefined);
    if (failed !== undefined)
      throw new TriplexError('ERR_TASK_NOT_FOUND', `The task module ${this.o.moduleUrl} failed to load: ${failed.loadError!.message}`, {
        filename: this.o.moduleUrl,
      });
    const unpinned = this.cores.find((core) => core.pinned !== true);
    if (this.o.pin === 'required' && unpinned !== undefined) {
      throw new TriplexError('ERR_PINNING', `Core ${unpinned.id} could not be pinned to CPU ${unpinned.cpu}: ${unpinned.pinError ?? 'unknown reason'}`, {
        core: unpinned.id,
        cpu: unpinned.cpu,
      });
    }
    this.registration = {
      host: this.o.hostId,
      nonce: this.nonce,
      digest: this.o.digest,
      exports: hellos[0]!.exports.filter((name) => !name.startsWith('__triplex')),
      cores: this.cores.map((core) => ({ core: core.id, cpu: core.cpu, pinned: core.pinned, observedCpu: core.observedCpu })),
      hostname: os.hostname(),
      pid: process.pid,
      startedAt: Date.now(),
      heartbeatInterval: this.o.heartbeatInterval,
      heartbeatTimeout: this.o.heartbeatTimeout,
    };
  }

  private async register(): Promise<void> {
    this.connection = new RedisConnection(this.o.connection as ConnectionOptions);
    this.connection.on('error', () => {}); // ioredis reconnects; heartbeats resume when Redis answers
    const redis = (await this.connection.client.catch((error: unknown) =>
      Promise.reject(unreachable(this.o.connection, 'connection', error)),
    )) as unknown as Redis;
    const answer = await beat(redis, this.keys, this.registration!, this.heartbeat(), this.o.heartbeatTimeout);
    if (answer.kind === 'taken') throw this.taken();
    if (answer.kind === 'rejected') throw new TriplexError(answer.rejection.code as 'ERR_MODULE_MISMATCH', answer.rejection.message, { host: this.o.hostId });
    this.subscriber = redis.duplicate();
    this.subscriber.on('error', () => {});
    this.subscriber.on('message', (_channel: string, job: string) => this.cancel(job));
    await this.subscriber.subscribe(this.keys.cancel(this.o.hostId));
    this.timer = setInterval(() => void this.beatOnce(redis), this.o.heartbeatInterval);
  }

  private taken(): TriplexError {
    return new TriplexError(
      'ERR_HOST_ID_TAKEN',
      `Option "hostId": host id ${JSON.stringify(this.o.hostId)} is registered by another live host (prefix ${this.o.prefix}); ` +
        `choose another, or wait ${this.o.heartbeatTimeout} ms after that host stopped`,
      { option: 'hostId', received: this.o.hostId },
    );
  }

  private heartbeat(): { nonce: string; seq: number; served: number; failed: number; running: number } {
    return { nonce: this.nonce, seq: this.seq++, served: this.served, failed: this.failed, running: this.running.size };
  }

  private async beatOnce(redis: Redis): Promise<void> {
    if (this.stopped) return;
    let answer;
    try {
      answer = await beat(redis, this.keys, this.registration!, this.heartbeat(), this.o.heartbeatTimeout);
    } catch {
      return; // Redis away: the next beat registers again (a Redis restarted empty learns of the host)
    }
    if (answer.kind === 'ok' || this.stopped) return;
    const error =
      answer.kind === 'taken'
        ? this.taken()
        : new TriplexError(answer.rejection.code as 'ERR_MODULE_MISMATCH', answer.rejection.message, { host: this.o.hostId });
    this.onFatal(error);
  }

  /** One BullMQ worker on the host's queue; a job stalled past its lock fails (maxStalledCount 0) so the coordinator re-executes it elsewhere. */
  private serve(): void {
    this.worker = new Worker(this.keys.queue(this.o.hostId), (job) => this.process(job), {
      connection: this.o.connection as ConnectionOptions,
      prefix: this.o.prefix,
      concurrency: this.cores.length * 2,
      maxStalledCount: 0,
      lockDuration: Math.max(1_000, this.o.heartbeatTimeout),
      stalledInterval: Math.max(1_000, this.o.heartbeatTimeout),
    });
    this.worker.on('error', () => {});
  }

  private async process(job: Job): Promise<Sealed> {
    try {
      const body = open<ReplicaJob>(job.data, `job ${job.id ?? '?'} on host ${this.o.hostId}`);
      if (body.job !== job.id) throw new CorruptMessage(`job ${job.id ?? '?'} carries the body of job ${body.job}`);
      const core = this.cores[body.core];
      if (core === undefined) throw new Error(`host ${this.o.hostId} has no core ${body.core}`);
      this.running.set(body.job, core);
      try {
        const [reply] = await core.executeBatch([requestOf(body)]);
        this.served++;
        return seal(resultOf(body.job, body.core, reply!));
      } finally {
        this.running.delete(body.job);
      }
    } catch (error) {
      this.failed++;
      throw error;
    }
  }

  /** The coordinator gave up on a replica (timeout, abort): terminate its worker thread so the core serves again. */
  private cancel(job: string): void {
    this.running.get(job)?.terminateCurrent();
  }

  /**
   * Finishes the replicas running, unregisters, stops the cores. It heart-beats until their results
   * are in Redis: a host whose heartbeat lapsed meanwhile would be lost and its healthy cores charged.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.worker?.close().catch(() => {});
    this.stopped = true;
    clearInterval(this.timer);
    const redis = (await this.connection?.client.catch(() => undefined)) as Redis | undefined;
    if (redis !== undefined && this.registration !== undefined) await leave(redis, this.keys, this.o.hostId, this.nonce).catch(() => {});
    this.subscriber?.disconnect();
    await this.connection?.close().catch(() => {});
    await Promise.allSettled(this.cores.map((core) => core.stop()));
  }
}
