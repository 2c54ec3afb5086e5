// Benchmark task module. Work is a fixed amount of computation (not wall time), so that two
// threads sharing a CPU really take twice as long.
export function work(iterations) {
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < iterations; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}

/** Work plus a result of `bytes` bytes (a typed array), to measure result-size costs. */
export function workBig({ iterations, bytes }) {
  const seed = work(iterations);
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 64) out[i] = (seed + i) & 0xff;
  return out;
}

import { currentCore } from 'triplex/worker';
import { randomInt, randomUUID } from 'node:crypto';
const coreId = currentCore()?.id;

/** Work that takes `factor` times longer on `slowCore`: process variation, a real slow core. */
export function workOn({ iterations, slowCore, factor }) {
  return work(coreId === slowCore ? Math.round(iterations * factor) : iterations);
}

/** Returns its input: a task with no work, for measuring what the pool itself costs. */
export function echo(x) {
  return x;
}

/** Diverges on about 5 % of its executions (crypto randomness, never seeded), deterministic otherwise. */
export function flaky(x) {
  return randomInt(0, 20) === 0 ? randomUUID() : x * 2;
}
