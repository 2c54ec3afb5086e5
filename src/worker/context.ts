/**
 * What a core's worker thread knows about itself, and the user's own workerData. Each core's
 * Worker receives `{ [INTERNAL]: CoreWorkerData, user }`; at load the entry module takes the
 * internal part and leaves only the user's data visible as `workerData`, so every replica of a
 * task sees the same data whatever core it runs on. The core's identity is published on a global
 * symbol, read by the public `triplex/worker` entry (works across copies of the package).
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { ResourceLimits, SHARE_ENV } from 'node:worker_threads';
import type { CoreWorkerData } from '../transport/protocol.js';

/** Key of triplex's own part of a core's workerData. */
const INTERNAL = '__triplexCore';

/** Where a worker publishes its core identity (read by `triplex/worker`). */
export const CORE_IDENTITY = Symbol.for('triplex.core');

export interface CoreIdentity {
  /** Core id (index in pool.cores). */
  id: number;
  /** CPU the core is pinned to (its fault domain). */
  cpu: number;
  /** Whether this thread pinned itself. */
  pinned: boolean;
}

/** The Worker's workerData as a core starts it. */
export interface WrappedWorkerData {
  [INTERNAL]: CoreWorkerData;
  user: unknown;
}

export function wrapWorkerData(core: CoreWorkerData, user: unknown): WrappedWorkerData {
  return { [INTERNAL]: core, user };
}

/** Takes triplex's data out of this thread's workerData; from now on tasks see only the user's. */
export function takeWorkerData(): CoreWorkerData {
  const threads = createRequire(import.meta.url)('node:worker_threads') as { workerData: unknown };
  const wrapped = threads.workerData as WrappedWorkerData | CoreWorkerData;
  if (!(INTERNAL in wrapped)) return wrapped; // started by an older main thread: nothing to hide
  threads.workerData = wrapped.user;
  syncBuiltinESMExports(); // `import { workerData } from 'node:worker_threads'` reads the user's too
  hideFromPiscina(wrapped);
  return wrapped[INTERNAL];
}

/**
 * piscina's worker copied the wrapped data into its common state at load (its `workerData` getter
 * and the `workerData` export read it there); its index module, if already loaded, kept a copy too.
 * Both are set to the user's data, so `require('piscina').workerData` matches every core.
 */
function hideFromPiscina(wrapped: WrappedWorkerData): void {
  const cache = createRequire(import.meta.url).cache;
  for (const module of Object.values(cache)) {
    const exported = module?.exports as Record<string, unknown> | undefined;
    if (exported === undefined || exported === null || typeof exported !== 'object') continue;
    const common = exported.commonState as { workerData?: unknown } | undefined;
    if (common?.workerData === wrapped) common.workerData = wrapped.user;
    if (exported.workerData === wrapped) exported.workerData = wrapped.user;
  }
}

/** Publishes this thread's core identity for `triplex/worker`. */
export function publishIdentity(identity: CoreIdentity): void {
  (globalThis as Record<symbol, unknown>)[CORE_IDENTITY] = Object.freeze({ ...identity });
}

/** Options handed to each core's worker thread (through its piscina instance; from piscina's options). */
export interface CoreWorkerOptions {
  resourceLimits?: ResourceLimits;
  env?: Record<string, string | undefined> | typeof SHARE_ENV;
  argv?: string[];
  execArgv?: string[];
  niceIncrement?: number;
  trackUnmanagedFds?: boolean;
  /** Present (even as undefined) only when the user gave workerData. */
  workerData?: unknown;
}
