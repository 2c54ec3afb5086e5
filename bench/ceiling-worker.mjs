// One thread of the ceiling (ceiling.ts): pinned to its CPU, it claims runs of the task from a shared
// counter and runs them back to back; no message per task, no pool, no vote.
import { parentPort, workerData } from 'node:worker_threads';
import { pinCurrentThread } from '../dist/worker/affinity.js';
import * as tasks from './tasks.mjs';

const pinError = pinCurrentThread(workerData.cpu);
const claimed = new Int32Array(workerData.counter);
// Results (numbers: compute-bound tasks) are folded into a value the main thread receives, so no
// run can be optimised away.
let sink = 0;

parentPort.on('message', ({ name, input, count }) => {
  const fn = tasks[name];
  let runs = 0;
  while (Atomics.add(claimed, 0, 1) < count) {
    sink ^= fn(input);
    runs++;
  }
  parentPort.postMessage({ runs, sink });
});
parentPort.postMessage({ ready: true, pinError });
