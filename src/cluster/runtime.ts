/**
 * The coordinator's side of a cluster below the pool: the Redis connection, the registry poll
 * and the host links. It gives the pool its cores (one RemoteCore slot per host core) through
 * a CoreSource; everything above (scheduler, voting, health) is the pool's own.
 */
import { randomBytes } from 'node:crypto';
import { RedisConnection, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PoolCore } from '../cores/types.js';
import type { HostEvent } from '../pool/events.js';
import type { CoreSource } from '../pool/core-source.js';
import { CLOSE_GRACE_MS, HostLink } from './host-link.js';
import { Membership } from './membership.js';
import { checkReachable, closeWithin, ClusterKeys, unreachable } from './redis.js';
import { Reachability } from './reachability.js';
import { RemoteCore } from './remote-core.js';
import type { ResolvedCluster } from './options.js';
import { asError } from '../errors.js';

/** What the runtime asks of the pool above it. */
export interface RuntimeHooks {
  online(slot: number): void;
  offline(slot: number): void;
  emit(event: HostEvent): void;
  /** An error no task carries (the registry could not be read): the pool's 'error' listeners. */
  report(error: Error): void;
}

export class ClusterRuntime {
  /** One remote core per slot, built with the pool (each reads its serving state from the pool's health model). */
  slots: RemoteCore[] = [];
  private client: Redis | undefined;
  readonly keys: ClusterKeys;
  membership: Membership | undefined;
  hooks: RuntimeHooks | undefined;
  /** Whether Redis answers the coordinator: failures while it does not are charged to nobody. */
  readonly redis = new Reachability();
  /** Called after every look at the registry (run() waits on it for enough hosts). */
  onPoll: () => void = () => {};
  private connection: RedisConnection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Job ids of this coordinator start with it: results meant for another coordinator are ignored. */
  private readonly coordinator = randomBytes(6).toString('hex');

  constructor(private readonly o: ResolvedCluster) {
    this.keys = new ClusterKeys(o.prefix);
  }

  readonly source: CoreSource = {
    create: (_, health) => {
      this.slots = Array.from({ length: this.o.maxCores }, (_, id) => new RemoteCore(id, health(id), this.redis));
      return this.slots as PoolCore[];
    },
    // Exports are not known until a host joins: a task a module lacks rejects on every host alike.
    start: async () => {
      await this.connect();
      return undefined;
    },
  };

  private async connect(): Promise<void> {
    await checkReachable(this.o.connection, 'connection', this.o.prefix, this.o.connectTimeout);
    if (this.closed) return;
    this.connection = new RedisConnection(this.o.connection as ConnectionOptions);
    this.connection.on('error', () => {}); // ioredis reconnects; a Redis away shows as late replicas
    let redis: Redis;
    try {
      redis = (await this.connection.client) as unknown as Redis;
    } catch (error) {
      throw unreachable(this.o.connection, 'connection', error);
    }
    this.watch(redis);
    this.client = redis;
    await this.keepJobsMark();
    const hooks = this.hooks!;
    this.membership = new Membership({
      redis,
      keys: this.keys,
      digest: this.o.digest,
      moduleUrl: String(this.o.pool.filename),
      heartbeatInterval: this.o.heartbeatInterval,
      heartbeatTimeout: this.o.heartbeatTimeout,
      slots: this.slots,
      openLink: (host) => HostLink.open(host, { connection: this.o.connection, prefix: this.o.prefix, keys: this.keys, coordinator: this.coordinator, redis }),
      online: (slot) => hooks.online(slot.id),
      offline: (slot) => hooks.offline(slot.id),
      emit: (event) => hooks.emit(event),
    });
    await this.poll();
  }

  /** The connection's own news: ioredis drops and reconnects on its own. */
  private watch(redis: Redis): void {
    for (const lost of ['close', 'reconnecting', 'end']) redis.on(lost, () => this.redis.down());
    redis.on('ready', () => this.redis.up());
  }

  /**
   * Looks at the registry now, then every heartbeatInterval until closed. A look that takes longer
   * than heartbeatTimeout (commands wait in ioredis' queue while it reconnects) counts as Redis away.
   */
  private async poll(): Promise<void> {
    if (this.closed) return;
    const slow = setTimeout(() => this.redis.down(), this.o.heartbeatTimeout);
    slow.unref();
    try {
      await this.membership!.poll(Date.now(), this.redis.steadyFor(this.o.heartbeatTimeout));
      await this.checkJobsKept();
      this.redis.up();
    } catch (error) {
      // Redis away: hosts cannot be judged; they keep their state until it answers again.
      this.redis.down();
      this.hooks!.report(asError(error));
    } finally {
      clearTimeout(slow);
    }
    this.onPoll();
    if (this.closed) return;
    this.timer = setTimeout(() => void this.poll(), this.o.heartbeatInterval);
    this.timer.unref();
  }

  /**
   * A Redis restarted empty has lost the jobs and results it held: no answer will come for the
   * replicas in flight, and with no taskTimeout they would wait forever. The coordinator's own key
   * is gone then: the replicas in flight are re-run (no charge: Redis was away meanwhile).
   */
  private async checkJobsKept(): Promise<void> {
    // One round trip while Redis kept it: XX renews the key only if it is still there.
    if ((await this.client!.set(this.keys.coordinator(this.coordinator), '1', 'PX', this.markTtl(), 'XX')) === 'OK') return;
    await this.keepJobsMark();
    this.redis.down(); // it was away (restarted), whatever the connection said: no replica in flight is charged
    for (const slot of this.slots) slot.jobsLost();
  }

  /** The coordinator's key, with a TTL it renews each poll (a coordinator gone leaves nothing behind). */
  private async keepJobsMark(): Promise<void> {
    await this.client!.set(this.keys.coordinator(this.coordinator), '1', 'PX', this.markTtl());
  }

  private markTtl(): number {
    return Math.max(60_000, 10 * this.o.heartbeatTimeout);
  }

  /** Distinct hosts that can take a replica now. */
  serving(): number {
    return this.membership?.serving() ?? 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    // Redis away: drop the connections at once rather than queue a QUIT nobody will answer.
    const grace = this.redis.outage() > 0 ? 0 : CLOSE_GRACE_MS;
    await this.membership?.close(grace);
    const connection = this.connection;
    if (connection !== undefined) await closeWithin(connection.close(), () => connection.disconnect(false), grace);
  }
}
