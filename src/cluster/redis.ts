/**
 * Redis for the cluster: the connection option, the reachability check that turns "cannot
 * connect" into ERR_REDIS_UNREACHABLE, and the names of everything the cluster keeps there.
 * Queues, locks and result events are BullMQ's; triplex adds a host registry and heartbeats.
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { invalidOption, isTriplexError, messageOf, TriplexError } from '../errors.js';

/** ioredis connection options (host, port, username, password, db, tls, ...), or a redis:// URL. */
export type RedisConnection = { host?: string; port?: number; [option: string]: unknown } | string;

/** A plain ioredis options object from the option (a URL is parsed: redis[s]://[user:pass@]host[:port][/db]). */
export function resolveConnection(option: string, value: unknown): Record<string, unknown> {
  if (typeof value === 'string') return fromUrl(option, value);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidOption(option, 'an object { host, port } or a redis:// URL', value, 'type');
  }
  const o = value as Record<string, unknown>;
  if (o.host !== undefined && typeof o.host !== 'string') throw invalidOption(`${option}.host`, 'a string', o.host, 'type');
  if (o.port !== undefined && (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 1 || o.port > 65535)) {
    throw invalidOption(`${option}.port`, 'an integer port from 1 to 65535', o.port, typeof o.port === 'number' ? 'range' : 'type');
  }
  return { ...o };
}

function fromUrl(option: string, text: string): Record<string, unknown> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidOption(option, 'a redis:// or rediss:// URL', text, 'range');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw invalidOption(option, 'a redis:// or rediss:// URL', text, 'range');
  const out: Record<string, unknown> = { host: url.hostname || '127.0.0.1', port: url.port === '' ? 6379 : Number(url.port) };
  if (url.username !== '') out.username = decodeURIComponent(url.username);
  if (url.password !== '') out.password = decodeURIComponent(url.password);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '') {
    if (!/^\d+$/.test(db)) throw invalidOption(option, 'a URL whose path is a database number (redis://host:port/0)', text, 'range');
    out.db = Number(db);
  }
  if (url.protocol === 'rediss:') out.tls = {};
  return out;
}

/** Where a connection points, for messages. */
export function describeConnection(connection: Record<string, unknown>): string {
  return `${String(connection.host ?? '127.0.0.1')}:${String(connection.port ?? 6379)}`;
}

/**
 * Connects once, without retrying, and closes: a Redis that cannot be reached is a typed error at
 * start-up instead of ioredis' endless reconnection attempts. `option` names the option for the message.
 */
export async function checkReachable(connection: Record<string, unknown>, option: string, prefix: string, timeoutMs = 5_000): Promise<void> {
  const probe = new Queue('reachability', {
    connection: { ...connection, retryStrategy: () => null, maxRetriesPerRequest: 1, connectTimeout: timeoutMs, lazyConnect: false } as ConnectionOptions,
    prefix,
  });
  probe.on('error', () => {}); // reported through the rejection below
  let timer: NodeJS.Timeout | undefined;
  try {
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const client = (await Promise.race([probe.client, late])) as unknown as Redis;
    await Promise.race([client.ping(), late]);
  } catch (error) {
    throw unreachable(connection, option, error);
  } finally {
    clearTimeout(timer);
    await probe.close().catch(() => {});
  }
}

export function unreachable(connection: Record<string, unknown>, option: string, cause: unknown): TriplexError {
  if (isTriplexError(cause)) return cause;
  const why = messageOf(cause);
  const where = describeConnection(connection);
  return new TriplexError('ERR_REDIS_UNREACHABLE', `Option "${option}": Redis at ${where} cannot be reached: ${why}`, { option, received: where }, { cause });
}

/** Keys and channels of one cluster (its prefix) in Redis. */
export class ClusterKeys {
  constructor(readonly prefix: string) {}
  /** Hash: host id → registration (JSON: nonce, module digest, cores, exports). */
  get hosts(): string {
    return `${this.prefix}:cluster:hosts`;
  }
  /** String with a TTL: the host's latest heartbeat (JSON); gone when it stopped beating. */
  alive(host: string): string {
    return `${this.prefix}:cluster:alive:${host}`;
  }
  /** String: why the coordinator rejected a host instance (JSON: nonce, code, message). */
  rejected(host: string): string {
    return `${this.prefix}:cluster:rejected:${host}`;
  }
  /** Pub/sub channel: job ids whose replica the host must terminate (timeouts, aborts). */
  cancel(host: string): string {
    return `${this.prefix}:cluster:cancel:${host}`;
  }
  /** String: set by a coordinator when it connects; gone after a Redis restarted empty, with the jobs it held. */
  coordinator(id: string): string {
    return `${this.prefix}:cluster:coordinator:${id}`;
  }
  /** The BullMQ queue (under the same prefix) that feeds one host's cores. */
  queue(host: string): string {
    return `host.${host}`;
  }
}

/** Host ids are part of Redis keys and queue names. */
export const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The cluster's name in Redis (BullMQ's prefix). */
export const PREFIX = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Closes gracefully (QUIT waits for Redis to answer), or by dropping the connections once `ms` have
 * passed: closing must never wait for a Redis that is gone. ioredis keeps a QUIT sent while it
 * reconnects in its offline queue, and dropping the connection then does not settle it: the
 * graceful close is left behind (its outcome ignored).
 */
export async function closeWithin(graceful: Promise<unknown>, force: () => Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const outcome = await Promise.race([
    graceful.then(
      () => 'closed' as const,
      () => 'closed' as const,
    ),
    late,
  ]);
  clearTimeout(timer);
  if (outcome === 'late') await force().catch(() => {});
}
