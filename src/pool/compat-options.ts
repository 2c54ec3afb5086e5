/**
 * piscina's constructor options, each with a meaning for a voted pool (or a typed error that says
 * why it has none). Resolved once, beside the rest of the options, by resolveOptions.
 */
import type { ResourceLimits, SHARE_ENV } from 'node:worker_threads';
import { invalidOption } from '../errors.js';
import { isObject, MAX_TIMER_MS, numberOption } from '../options/validate.js';
import type { CoreWorkerOptions } from '../worker/context.js';

export type { CoreWorkerOptions };

/** The piscina options triplex accepts. Each one's meaning for triplex is documented on it. */
export interface PiscinaCompatOptions {
  /** Task run when run() names none (piscina's `name`). @default 'default' */
  name?: string;
  /** piscina's thread count: the number of cores when `cores` is not given (one pinned worker each). */
  maxThreads?: number;
  /** Every core keeps its pinned worker for the pool's life, so this only has to be at most the core count. @default cores */
  minThreads?: number;
  /**
   * Accepted for piscina compatibility: a core's worker is never retired for idleness (it would pin
   * and reload again); an idle worker sleeps on its ring and uses no CPU. @default 0
   */
  idleTimeout?: number;
  /** Only 1: a worker runs its replicas one at a time, so a crash or hang is charged to the replica that ran. @default 1 */
  concurrentTasksPerWorker?: number;
  /** V8 heap limits of every core's worker (a replica past them crashes its worker: a crash outcome). */
  resourceLimits?: ResourceLimits;
  /** Environment of every core's worker (an object, or worker_threads.SHARE_ENV). @default process.env copy */
  env?: Record<string, string | undefined> | typeof SHARE_ENV;
  /** process.argv additions of every core's worker. */
  argv?: string[];
  /** Node flags of every core's worker. */
  execArgv?: string[];
  /** The user's data: `workerData` inside every replica, an identical clone on every core. */
  workerData?: unknown;
  /** Scheduling niceness added to every core's worker (Linux, non-negative). @default 0 */
  niceIncrement?: number;
  /** Passed to each core's Worker. @default true */
  trackUnmanagedFds?: boolean;
  /** ms close() waits for running and queued tasks before it destroys the pool. @default 30_000 */
  closeTimeout?: number;
  /** Keep the run-time and wait-time histograms (`pool.histogram`, `pool.utilization`). @default true */
  recordTiming?: boolean;
  /** Keep a run-time histogram per core (`pool.threads[i].histogram`). @default false */
  workerHistogram?: boolean;
}

export interface ResolvedCompat {
  name: string;
  minThreads: number;
  idleTimeout: number;
  closeTimeout: number;
  recordTiming: boolean;
  workerHistogram: boolean;
  /** What every core's Worker is started with. */
  worker: CoreWorkerOptions;
}

/** piscina options that have no meaning in a voted pool, and why. */
const REFUSED: Record<string, string> = {
  atomics: "never set (triplex's workers wait on their own shared-memory rings)",
  taskQueue: 'never set (the scheduler keeps its own queue; use maxQueue)',
  loadBalancer: "never set (replica placement is the binding policy's: use binding 'dynamic' | 'static')",
  stricterFIFO: 'never set (the scheduler starts tasks in order, and lets a later one use a core the queue head cannot)',
};

export const COMPAT_KEYS: readonly string[] = [
  'name',
  'minThreads',
  'maxThreads',
  'idleTimeout',
  'concurrentTasksPerWorker',
  'resourceLimits',
  'env',
  'argv',
  'execArgv',
  'workerData',
  'niceIncrement',
  'trackUnmanagedFds',
  'closeTimeout',
  'recordTiming',
  'workerHistogram',
  ...Object.keys(REFUSED),
];

function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidOption(name, 'a boolean', value, 'type');
  return value;
}

function stringArray(name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw invalidOption(name, 'an array of strings', value, 'type');
  return [...(value as string[])];
}

/**
 * The core count piscina's options imply: `maxThreads` is the number of worker threads, and a
 * triplex core is one worker thread. Undefined when `maxThreads` is not given.
 */
export function coresFromThreads(options: Record<string, unknown>, k: number): number | undefined {
  if (options.maxThreads === undefined) return undefined;
  const threads = numberOption('maxThreads', options.maxThreads, 0, k, { integer: true, max: 4096 });
  if (options.cores !== undefined && options.cores !== threads) {
    const why = `equal to "cores" when both are given (one core is one worker thread; cores = ${String(options.cores)})`;
    throw invalidOption('maxThreads', why, threads, 'range');
  }
  return threads;
}

/** `maxQueue: 'auto'` is piscina's threads², with one thread per core. */
export function resolveMaxQueue(value: unknown, cores: number): unknown {
  return value === 'auto' ? cores * cores : value;
}

const LIMIT_KEYS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const;

/** Node's Worker resourceLimits, checked here: a value Node refuses would otherwise fail every core's start. */
function resourceLimits(given: unknown): ResourceLimits {
  if (!isObject(given)) throw invalidOption('resourceLimits', 'an object of V8 heap limits', given, 'type');
  const limits: Record<string, number> = {};
  for (const [key, value] of Object.entries(given)) {
    const name = `resourceLimits.${key}`;
    if (!(LIMIT_KEYS as readonly string[]).includes(key)) throw invalidOption(name, `one of ${LIMIT_KEYS.join(', ')}`, value, 'range');
    if (value === undefined) continue;
    if (typeof value !== 'number' || Number.isNaN(value)) throw invalidOption(name, 'a number of megabytes', value, 'type');
    if (!Number.isFinite(value) || value <= 0) throw invalidOption(name, 'a finite number of megabytes > 0', value, 'range');
    limits[key] = value;
  }
  return limits;
}

function workerOptions(options: Record<string, unknown>): CoreWorkerOptions {
  const worker: CoreWorkerOptions = {};
  if (options.resourceLimits !== undefined) worker.resourceLimits = resourceLimits(options.resourceLimits);
  const env = options.env;
  if (env !== undefined) {
    if (typeof env !== 'symbol' && !isObject(env)) throw invalidOption('env', 'an object or worker_threads.SHARE_ENV', env, 'type');
    worker.env = env as CoreWorkerOptions['env'];
  }
  const argv = stringArray('argv', options.argv);
  if (argv !== undefined) worker.argv = argv;
  const execArgv = stringArray('execArgv', options.execArgv);
  if (execArgv !== undefined) worker.execArgv = execArgv;
  const nice = numberOption('niceIncrement', options.niceIncrement, 0, 0, { integer: true, max: 19 });
  if (nice !== 0) worker.niceIncrement = nice;
  if (options.trackUnmanagedFds !== undefined) worker.trackUnmanagedFds = booleanOption('trackUnmanagedFds', options.trackUnmanagedFds, true);
  if ('workerData' in options) worker.workerData = options.workerData;
  return worker;
}

/** Validates piscina's options against the resolved core count. */
export function resolveCompat(options: Record<string, unknown>, cores: number): ResolvedCompat {
  for (const [key, why] of Object.entries(REFUSED)) if (options[key] !== undefined) throw invalidOption(key, why, options[key], 'range');
  const name = options.name ?? 'default';
  if (typeof name !== 'string' || name.length === 0) throw invalidOption('name', 'a non-empty string (an export of the task module)', name, 'type');
  const perWorker = numberOption('concurrentTasksPerWorker', options.concurrentTasksPerWorker, 1, 1, { integer: true });
  if (perWorker !== 1) {
    const why = '1 (a worker runs its replicas one at a time, so a crash or hang is charged to the replica that was running)';
    throw invalidOption('concurrentTasksPerWorker', why, perWorker, 'range');
  }
  return {
    name,
    minThreads: numberOption('minThreads', options.minThreads, cores, 0, { integer: true, max: cores }),
    idleTimeout: numberOption('idleTimeout', options.idleTimeout, 0, 0, { infinity: true }),
    closeTimeout: numberOption('closeTimeout', options.closeTimeout, 30_000, 0, { infinity: true, max: MAX_TIMER_MS }),
    recordTiming: booleanOption('recordTiming', options.recordTiming, true),
    workerHistogram: booleanOption('workerHistogram', options.workerHistogram, false),
    worker: workerOptions(options),
  };
}
