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
 * The real functions are put back after each replica (after its promise settles, for async
 * tasks); a worker runs one replica at a time, so no other replica sees the virtual ones.
 */
import type { DeterminismOrder } from './protocol.js';

/** Virtual time added at each clock read, ms. */
export const CLOCK_TICK_MS = 0.001;

const RealDate = Date;
const realRandom = Math.random;
/** performance.now lives on the prototype: the virtual one is an own property, deleted to restore. */
const ownPerformanceNow = Object.getOwnPropertyDescriptor(performance, 'now');

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

/** A clock that starts at the journaled time and advances CLOCK_TICK_MS per read. */
function virtualClock(order: DeterminismOrder): { epoch: () => number; perf: () => number } {
  let elapsed = 0;
  const read = (): number => (elapsed += CLOCK_TICK_MS);
  return { epoch: () => order.now! + read(), perf: () => order.perf! + read() };
}

function virtualDate(epoch: () => number): DateConstructor {
  return new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [Math.floor(epoch())] : args, newTarget) as object;
    },
    apply() {
      return new RealDate(Math.floor(epoch())).toString();
    },
    get(target, key, receiver) {
      if (key === 'now') return () => Math.floor(epoch());
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

function install(order: DeterminismOrder): void {
  if (order.seed !== undefined) Math.random = seededRandom(order.seed);
  if (order.now !== undefined && order.perf !== undefined) {
    const clock = virtualClock(order);
    globalThis.Date = virtualDate(clock.epoch);
    performance.now = clock.perf;
  }
}

function restore(): void {
  Math.random = realRandom;
  globalThis.Date = RealDate;
  if (ownPerformanceNow === undefined) delete (performance as { now?: unknown }).now;
  else Object.defineProperty(performance, 'now', ownPerformanceNow);
}

/** Runs one replica's task with the seeded random and journaled clock, and puts the real ones back. */
export function runDeterministic<T>(order: DeterminismOrder | undefined, task: () => T): T {
  if (order === undefined) return task();
  install(order);
  let result: T;
  try {
    result = task();
  } catch (error) {
    restore();
    throw error;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}
