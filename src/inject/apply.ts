/**
 * Fault application inside a worker: what an injector's order does to one replica. The injector
 * (main thread) decides; these functions carry the order out where the replica runs. They only
 * run when an order came with the replica: a pool with no injector never calls them.
 */
import { SeededRandom } from '../util/random.js';
import type { InjectOrder } from '../transport/protocol.js';
import { flipBits, type FlipRecord } from './flip.js';

/** Exit code of a worker thread killed by an injected crash. */
export const INJECTED_CRASH_EXIT = 70;

export interface Injected {
  value: unknown;
  flips: FlipRecord[] | undefined;
}

/**
 * Before the task runs: crash or hang the worker for real (unless `stopNow` is false: a stepped
 * task stops half-way through its segment instead), or flip bits of the input.
 */
export function injectBeforeRun(order: InjectOrder, input: unknown, stopNow = true): Injected {
  if (stopNow && order.crash) process.exit(INJECTED_CRASH_EXIT); // the worker thread dies mid-task
  if (stopNow && order.hang) hangForever();
  if (order.input === undefined) return { value: input, flips: undefined };
  const flipped = flipBits(input, new SeededRandom(order.input.seed), order.input.bits);
  return { value: flipped.value, flips: flipped.flips };
}

/**
 * After the task ran: replace its value, flip bits of it (only on the CPU the order names), or
 * slow the replica down by burning its CPU for the extra time.
 */
export function injectIntoResult(order: InjectOrder, injected: Injected, cpu: number, startedAt: number): Injected {
  let { value, flips } = injected;
  if (order.replace !== undefined) value = order.replace.value;
  if (order.result !== undefined && (order.result.cpu === undefined || order.result.cpu === cpu)) {
    const flipped = flipBits(value, new SeededRandom(order.result.seed), order.result.bits);
    value = flipped.value;
    flips = (flips ?? []).concat(flipped.flips);
  }
  if (order.slow !== undefined && order.slow > 1) spin((performance.now() - startedAt) * (order.slow - 1));
  return { value, flips };
}

/** Blocks the thread for good: an injected hang. */
export function hangForever(): never {
  // Blocks the thread without burning CPU: a real hang that only terminate() ends.
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Busy wait: a slow core still occupies its CPU.
  }
}
