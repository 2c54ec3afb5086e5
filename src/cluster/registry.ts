/**
 * The host registry in Redis. A host registers (and re-registers with every heartbeat, so a
 * Redis that restarted empty learns of it again) under its id; the heartbeat is a key with a TTL
 * holding the instance's nonce. A live instance's id cannot be taken by another: the second
 * gets ERR_HOST_ID_TAKEN. The coordinator reads the registry by polling (one HGETALL and one
 * MGET per heartbeat interval, whatever the number of tasks).
 */
import type { Redis } from 'ioredis';
import type { ClusterKeys } from './redis.js';

/** What a host says about itself when it registers. */
export interface HostRegistration {
  host: string;
  /** Random per process: tells a restarted host (same id) from the one before it. */
  nonce: string;
  /** sha256 of the task module file the host loaded. */
  digest: string;
  /** The task module's function exports. */
  exports: string[];
  /** The host's cores: local index, the CPU it is pinned to, whether pinning worked. */
  cores: { core: number; cpu: number; pinned: boolean | null; observedCpu: number }[];
  hostname: string;
  pid: number;
  /** Date.now() on the host at registration. */
  startedAt: number;
  /** ms between its heartbeats, and how long each stays valid in Redis (absent from hosts of earlier versions). */
  heartbeatInterval?: number;
  heartbeatTimeout?: number;
}

/** One heartbeat: a counter that moves, and what the host is doing. */
export interface Heartbeat {
  nonce: string;
  seq: number;
  /** Replica jobs answered, failed and running now. */
  served: number;
  failed: number;
  running: number;
}

/** Why the coordinator rejected a host instance. */
export interface Rejection {
  nonce: string;
  code: string;
  message: string;
}

// KEYS: hosts, alive, rejected. ARGV: host id, nonce, registration, heartbeat, ttl (ms).
// Returns 1 (registered), 0 (the id is held by another live instance) or the rejection (JSON).
const BEAT = `
local rejected = redis.call('GET', KEYS[3])
if rejected and cjson.decode(rejected).nonce == ARGV[2] then return rejected end
local current = redis.call('GET', KEYS[2])
if current and cjson.decode(current).nonce ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

// KEYS: hosts, alive. ARGV: host id, nonce. A clean exit: the coordinator sees the host leave at once.
const LEAVE = `
local current = redis.call('GET', KEYS[2])
if current and cjson.decode(current).nonce == ARGV[2] then
  redis.call('DEL', KEYS[2])
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 1`;

export type BeatAnswer = { kind: 'ok' } | { kind: 'taken' } | { kind: 'rejected'; rejection: Rejection };

export async function beat(redis: Redis, keys: ClusterKeys, registration: HostRegistration, heartbeat: Heartbeat, ttl: number): Promise<BeatAnswer> {
  const id = registration.host;
  const answer = await redis.eval(
    BEAT,
    3,
    keys.hosts,
    keys.alive(id),
    keys.rejected(id),
    id,
    registration.nonce,
    JSON.stringify(registration),
    JSON.stringify(heartbeat),
    String(ttl),
  );
  if (answer === 1) return { kind: 'ok' };
  if (answer === 0) return { kind: 'taken' };
  return { kind: 'rejected', rejection: JSON.parse(String(answer)) as Rejection };
}

export async function leave(redis: Redis, keys: ClusterKeys, host: string, nonce: string): Promise<void> {
  await redis.eval(LEAVE, 2, keys.hosts, keys.alive(host), host, nonce);
}

/** A registered host and its latest heartbeat (undefined: expired, or held by another instance). */
export interface HostSighting {
  registration: HostRegistration;
  heartbeat: Heartbeat | undefined;
}

/** Every registered host with its heartbeat, in one HGETALL and one MGET. Unparsable entries are skipped. */
export async function readHosts(redis: Redis, keys: ClusterKeys): Promise<HostSighting[]> {
  const entries = Object.entries(await redis.hgetall(keys.hosts));
  if (entries.length === 0) return [];
  const beats = await redis.mget(...entries.map(([id]) => keys.alive(id)));
  const out: HostSighting[] = [];
  entries.forEach(([id, text], i) => {
    const registration = parse<HostRegistration>(text);
    if (registration === undefined || registration.host !== id) return;
    const heartbeat = parse<Heartbeat>(beats[i] ?? null);
    out.push({ registration, heartbeat: heartbeat?.nonce === registration.nonce ? heartbeat : undefined });
  });
  return out;
}

/** Whether a host id is registered now (a clean exit removes it with its heartbeat). */
export async function registered(redis: Redis, keys: ClusterKeys, host: string): Promise<boolean> {
  return (await redis.hexists(keys.hosts, host)) === 1;
}

/** Tells a host instance it is rejected (it reads this with its next heartbeat and exits). */
export async function reject(redis: Redis, keys: ClusterKeys, host: string, rejection: Rejection): Promise<void> {
  await redis.set(keys.rejected(host), JSON.stringify(rejection), 'PX', 3_600_000);
}

/** Forgets a dead host instance's registration (a live one registers again with its next heartbeat). */
export async function forget(redis: Redis, keys: ClusterKeys, host: string): Promise<void> {
  await redis.hdel(keys.hosts, host);
}

function parse<T>(text: string | null): T | undefined {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
