/**
 * The coordinator's line to one host instance: a BullMQ queue that carries sealed replica jobs
 * to it, and that queue's event stream (QueueEvents) that carries the sealed results back. A
 * result that fails its digest, or that answers another job, rejects its replica as a fault.
 */
import { Queue, QueueEvents, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunReply, RunRequest } from '../transport/protocol.js';
import { CorruptMessage, jobOf, open, replyOf, seal, type ReplicaResult } from './envelope.js';
import type { ReplicaLink } from './remote-core.js';
import { closeWithin, type ClusterKeys } from './redis.js';
import { messageOf } from '../errors.js';

/** How long closing waits for Redis to acknowledge before it drops the connections. */
export const CLOSE_GRACE_MS = 2_000;

interface Pending {
  core: number;
  resolve(reply: RunReply): void;
  reject(error: Error): void;
}

export interface LinkContext {
  connection: Record<string, unknown>;
  prefix: string;
  keys: ClusterKeys;
  /** Makes job ids unique to this coordinator: a result for an earlier coordinator's job is ignored. */
  coordinator: string;
  /** The coordinator's plain connection (cancel messages). */
  redis: Redis;
}

export class HostLink implements ReplicaLink {
  private readonly pending = new Map<string, Pending>();
  private seq = 0;
  private closed = false;

  private constructor(
    readonly host: string,
    private readonly ctx: LinkContext,
    readonly queue: Queue,
    readonly events: QueueEvents,
  ) {
    events.on('completed', ({ jobId, returnvalue }) => this.completed(jobId, returnvalue));
    events.on('failed', ({ jobId, failedReason }) => this.failed(jobId, failedReason));
  }

  /** Opens the host's queue and its event stream (read from now on), and drops jobs an earlier instance left waiting. */
  static async open(host: string, ctx: LinkContext): Promise<HostLink> {
    const [seconds, micros] = await ctx.redis.time();
    // Redis' own clock: every event after this instant, none of a previous run of this queue.
    const lastEventId = `${Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)}-0`;
    const connection = ctx.connection as ConnectionOptions;
    const queue = new Queue(ctx.keys.queue(host), { connection, prefix: ctx.prefix });
    const events = new QueueEvents(ctx.keys.queue(host), { connection, prefix: ctx.prefix, lastEventId });
    // Connection errors are reported by the replicas they delay (timeouts); ioredis reconnects.
    queue.on('error', () => {});
    events.on('error', () => {});
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    await queue.drain(true).catch(() => {});
    return new HostLink(host, ctx, queue, events);
  }

  send(core: number, request: RunRequest): { job: string; reply: Promise<RunReply> } {
    const job = `${this.ctx.coordinator}.${(this.seq++).toString(36)}`;
    const reply = new Promise<RunReply>((resolve, reject) => this.pending.set(job, { core, resolve, reject }));
    const options = { jobId: job, removeOnComplete: true, removeOnFail: true, attempts: 1 };
    this.queue.add('replica', seal(jobOf(job, core, request)), options).catch((error: unknown) => {
      this.settle(job, new Error(`host ${this.host}: the replica could not be queued: ${messageOf(error)}`));
    });
    return { job, reply };
  }

  cancel(job: string): void {
    this.pending.delete(job);
    this.ctx.redis.publish(this.ctx.keys.cancel(this.host), job).catch(() => {});
  }

  private completed(job: string, returnvalue: unknown): void {
    const pending = this.pending.get(job);
    if (pending === undefined) return;
    this.pending.delete(job);
    try {
      const result = open<ReplicaResult>(returnvalue, `the result of job ${job} from host ${this.host}`);
      if (result.job !== job || result.core !== pending.core) {
        throw new CorruptMessage(`host ${this.host} answered job ${job} (core ${pending.core}) with the result of job ${result.job} (core ${result.core})`);
      }
      pending.resolve(replyOf(result));
    } catch (error) {
      pending.reject(error as Error);
    }
  }

  private failed(job: string, reason: string): void {
    this.settle(job, new Error(`host ${this.host}: ${reason}`));
  }

  private settle(job: string, error: Error): void {
    const pending = this.pending.get(job);
    if (pending === undefined) return;
    this.pending.delete(job);
    pending.reject(error);
  }

  /** The host is gone: replicas still waiting fail (their slots were detached first). */
  abandon(reason: string): void {
    for (const job of [...this.pending.keys()]) this.settle(job, new Error(reason));
  }

  /** Closes its queue and event stream; after `graceMs` without Redis answering, drops their connections. */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abandon(`host ${this.host}: the cluster was destroyed`);
    const graceful = Promise.allSettled([this.queue.close(), this.events.close()]);
    // Not queue.disconnect(): it waits for an 'end' that ioredis never emits while it is between reconnection attempts.
    const drop = (): Promise<unknown> => Promise.all([this.queue.client, this.events.client]).then((clients) => clients.forEach((c) => c.disconnect()));
    await closeWithin(graceful, drop, graceMs);
  }
}
