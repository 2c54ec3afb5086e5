/**
 * Deterministic replicas: inside one replica, `Math.random` draws from a stream seeded by the
 * task, and the clock (`Date.now()`, `new Date()`, `Date()`, `performance.now()`) reads a value
 * journaled on the main thread when the task was submitted. Every replica of a task gets the
 * same seed and the same journaled time, so a task that calls them computes the same value on
 * every core and can be voted; different tasks get different seeds.
 *
 * The clock advances by CLOCK_TICK_MS at every read, identically on every replica, so a loop
 * that waits for the clock to move still ends (1 ms of virtual time per 1,000 reads).
 * `performance.now()` is virtualized too: a task whose result depends on a duration it measured
 * would otherwise never agree with itself. `crypto` randomness (getRandomValues, randomUUID,
 * randomInt, randomBytes) is never seeded: a task that wants unpredictable numbers keeps them,
 * and must be declared in `health.nondeterministic` if its replicas may disagree.
 *
 * The wrappers are installed once per worker, before the task module loads, and read the real
 * functions between replicas (after a replica's promise settles, for async tasks); a worker runs
 * one replica at a time, so no other replica sees another's virtual ones.
 */
import type { DeterminismOrder } from '../transport/protocol.js';

/** Virtual time added at each clock read, ms. */
export const CLOCK_TICK_MS = 0.001;

const RealDate = Date;
const realRandom = Math.random;

/** 53-bit doubles from two SplitMix32 draws: the same stream for the same seed on every replica. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  const next32 = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  return () => ((next32() >>> 5) * 67_108_864 + (next32() >>> 6)) / 9_007_199_254_740_992;
}

/** What the replica running now reads instead of the real functions; undefined between replicas. */
interface Virtual {
  random: (() => number) | undefined;
  epoch: (() => number) | undefined;
  perf: (() => number) | undefined;
}

let current: Virtual | undefined;

/** The replica's view: a seeded stream, and a clock that starts at the journaled time and advances CLOCK_TICK_MS per read. */
function virtualFor(order: DeterminismOrder): Virtual {
  let elapsed = 0;
  const read = (): number => (elapsed += CLOCK_TICK_MS);
  const clock = order.now !== undefined && order.perf !== undefined;
  return {
    random: order.seed === undefined ? undefined : seededRandom(order.seed),
    epoch: clock ? () => order.now! + read() : undefined,
    perf: clock ? () => order.perf! + read() : undefined,
  };
}

const epochNow = (): number => (current?.epoch === undefined ? RealDate.now() : Math.floor(current.epoch()));

function wrappedDate(): DateConstructor {
  const now = (): number => epochNow();
  return new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 && current?.epoch !== undefined ? [epochNow()] : args, newTarget) as object;
    },
    apply() {
      return new RealDate(epochNow()).toString();
    },
    get(target, key, receiver) {
      if (key === 'now') return now;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

let installed = false;

/**
 * Puts the wrappers in place once, before the task module loads: a reference the module captures
 * (`const now = Date.now`, a library's saved `Math.random`) then follows the replica running too.
 * Between replicas the wrappers read the real functions. `process.hrtime` is not virtualized.
 */
export function installDeterminism(): void {
  if (installed) return;
  installed = true;
  Math.random = function random(): number {
    return current?.random === undefined ? realRandom() : current.random();
  };
  globalThis.Date = wrappedDate();
  const realPerformanceNow = performance.now.bind(performance);
  performance.now = function now(): number {
    return current?.perf === undefined ? realPerformanceNow() : current.perf();
  };
}

/** Runs one replica's task with the seeded random and journaled clock (after its promise settles, for async tasks, the real ones again). */
export function runDeterministic<T>(order: DeterminismOrder | undefined, task: () => T): T {
  if (order === undefined) return task();
  installDeterminism();
  current = virtualFor(order);
  let result: T;
  try {
    result = task();
  } catch (error) {
    current = undefined;
    throw error;
  }
  if (result instanceof Promise) {
    return result.finally(() => {
      current = undefined;
    }) as T;
  }
  current = undefined;
  return result;
}
