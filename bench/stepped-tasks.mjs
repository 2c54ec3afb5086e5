// Stepped benchmark task: fixed work per step (not wall time, so replicas sharing a CPU really
// take longer) over a state of `bytes` bytes that every step touches. One-off faults: the first
// replica to pass a wall-clock time (`crash.atMs`, epoch ms; pools run with determinism off) or a
// step (`corrupt.step`) claims a marker file and crashes, or corrupts its state.
import { closeSync, openSync } from 'node:fs';
import { currentCore } from 'triplex/worker';

function work(iterations, seed) {
  let x = seed | 0 || 0x9e3779b9;
  for (let i = 0; i < iterations; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}

function claim(marker) {
  try {
    closeSync(openSync(marker, 'wx'));
    return true;
  } catch {
    return false;
  }
}

export const simulate = {
  init: (input) => ({
    i: 0,
    n: input.steps,
    iterations: input.iterations,
    x: 1,
    data: new Float64Array(Math.max(1, input.bytes / 8)),
    crash: input.crash,
    corrupt: input.corrupt,
  }),
  step(s) {
    if (s.crash !== undefined && Date.now() >= s.crash.atMs && claim(s.crash.marker)) process.exit(3);
    s.x = work(s.iterations, s.x + s.i);
    s.data[s.i % s.data.length] = s.x;
    if (s.corrupt !== undefined && s.corrupt.step === s.i + 1 && claim(s.corrupt.marker)) {
      s.data[0] += 1; // a silent corruption: nothing fails, the state is just wrong
      s.corrupted = currentCore()?.id;
    }
    s.i++;
    return s;
  },
  done: (s) => s.i >= s.n,
  result: (s) => ({ i: s.i, x: s.x, sum: s.data.reduce((a, b) => a + b, 0) }),
};
