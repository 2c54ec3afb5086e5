/** TriplexCluster's options: its own (Redis, hosts, heartbeats) and the pool options that keep their meaning across hosts. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { invalidOption, messageOf } from '../errors.js';
import { resolveModuleUrl, type TriplexOptions } from '../pool/options.js';
import { isObject, MAX_TIMER_MS, numberOption } from '../options/validate.js';
import { sha256 } from './envelope.js';
import { PREFIX, resolveConnection, type RedisConnection } from './redis.js';

/** Pool options a cluster accepts, with the meaning they have in `Triplex` (voting, attribution, timing). */
const POOL_KEYS = [
  'redundancy',
  'taskTimeout',
  'maxAttempts',
  'maxQueue',
  'health',
  'equals',
  'faults',
  'seed',
  'audit',
  'metrics',
  'determinism',
  'name',
  'closeTimeout',
  'recordTiming',
] as const;
type PoolKey = (typeof POOL_KEYS)[number];

export interface TriplexClusterOptions extends Pick<TriplexOptions, PoolKey> {
  /** The Redis server: ioredis options ({ host, port, username, password, db, tls, ... }) or a redis:// URL. */
  connection: RedisConnection;
  /** The task module, the same file every host serves (`triplex worker --filename`): its sha256 must match theirs. */
  filename: string | URL;
  /** Name of the cluster in Redis (BullMQ's key prefix); hosts join with `--prefix`. One coordinator per prefix. @default 'triplex' */
  prefix?: string;
  /** ms between two looks at the host registry (joins, heartbeats). @default 1_000 */
  heartbeatInterval?: number;
  /** ms without a heartbeat after which a host is lost: its replicas in flight are re-executed on other hosts. @default 5_000 */
  heartbeatTimeout?: number;
  /**
   * ms tasks (and `ready`) wait for enough hosts (one per replica) before ERR_NOT_ENOUGH_CORES, from
   * their run() or from when hosts ran short, whichever is later; also how long tasks wait for a
   * Redis that stopped answering before ERR_REDIS_UNREACHABLE. @default 30_000
   */
  waitForHosts?: number;
  /** Most host cores the cluster serves (one slot each, for its life). @default 64 */
  maxCores?: number;
  /** ms the first connection to Redis may take before ERR_REDIS_UNREACHABLE. @default 5_000 */
  connectTimeout?: number;
}

export interface ResolvedCluster {
  connection: Record<string, unknown>;
  prefix: string;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  waitForHosts: number;
  maxCores: number;
  connectTimeout: number;
  /** sha256 of the task module file. */
  digest: string;
  /** The options of the pool underneath: one slot per host core, the host as fault domain, one replica per slot at a time. */
  pool: TriplexOptions;
}

const OWN = ['connection', 'filename', 'prefix', 'heartbeatInterval', 'heartbeatTimeout', 'waitForHosts', 'maxCores', 'connectTimeout'];

export function resolveClusterOptions(options: unknown): ResolvedCluster {
  if (!isObject(options)) throw invalidOption('options', 'an object of options ({ connection, filename, ... })', options, 'type');
  for (const key of Object.keys(options)) {
    if (OWN.includes(key) || (POOL_KEYS as readonly string[]).includes(key)) continue;
    throw invalidOption(
      key,
      `a TriplexCluster option (${[...OWN, ...POOL_KEYS].join(', ')}); cores, pinning and worker options are each host's (triplex worker)`,
      options[key],
      'range',
    );
  }
  if (options.connection === undefined) throw invalidOption('connection', 'an object { host, port } or a redis:// URL', undefined, 'type');
  if (options.filename === undefined || options.filename === null)
    throw invalidOption('filename', 'the path or file: URL of the task module the hosts serve', options.filename, 'type');
  const moduleUrl = resolveModuleUrl(options.filename);
  const prefix = options.prefix ?? 'triplex';
  if (typeof prefix !== 'string') throw invalidOption('prefix', 'a string', prefix, 'type');
  if (!PREFIX.test(prefix)) throw invalidOption('prefix', 'letters, digits, ".", "_" or "-" (at most 64)', prefix, 'range');
  const heartbeatInterval = numberOption('heartbeatInterval', options.heartbeatInterval, 1_000, 10, { max: 60_000 });
  const heartbeatTimeout = numberOption('heartbeatTimeout', options.heartbeatTimeout, 5_000, 1, { max: 600_000 });
  if (heartbeatTimeout <= heartbeatInterval)
    throw invalidOption('heartbeatTimeout', `more than heartbeatInterval (${heartbeatInterval} ms)`, heartbeatTimeout, 'range');
  const maxCores = numberOption('maxCores', options.maxCores, 64, 2, { integer: true, max: 4096 });
  const pool: TriplexOptions = { filename: moduleUrl, cores: maxCores, faultDomain: 'none', pin: 'off', binding: 'dynamic', maxBatch: 1 };
  for (const key of POOL_KEYS) if (options[key] !== undefined) (pool as Record<string, unknown>)[key] = options[key];
  return {
    connection: resolveConnection('connection', options.connection),
    prefix,
    heartbeatInterval,
    heartbeatTimeout,
    waitForHosts: numberOption('waitForHosts', options.waitForHosts, 30_000, 0, { infinity: true, max: MAX_TIMER_MS }),
    maxCores,
    connectTimeout: numberOption('connectTimeout', options.connectTimeout, 5_000, 1, { max: 600_000 }),
    digest: moduleDigest(moduleUrl, 'filename'),
    pool,
  };
}

/** sha256 of the task module file: what hosts and coordinator compare. */
export function moduleDigest(moduleUrl: string, option: string): string {
  try {
    return sha256(readFileSync(fileURLToPath(moduleUrl)));
  } catch (error) {
    throw invalidOption(option, `a readable task module file (${messageOf(error)})`, moduleUrl, 'range');
  }
}
