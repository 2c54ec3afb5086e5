/**
 * The golden run's thread: it imports the task module and computes each input's fault-free
 * answer when asked, so that a task that hangs or ends its thread stops only this thread, never
 * the campaign (golden-thread.ts bounds each answer by taskTimeout).
 */
import { parentPort } from 'node:worker_threads';
import { cloneForReplica } from '../api/index.js';
import { isTriplexError, messageOf } from '../errors.js';
import { computeGolden, loadTask } from './golden.js';
import type { GoldenMessage, GoldenRequest } from './golden-thread.js';

const port = parentPort!;
let task: ((input: unknown) => unknown) | undefined;

async function handle(request: GoldenRequest): Promise<GoldenMessage> {
  if (request.type === 'load') {
    task = await loadTask(request.moduleUrl, request.name);
    return { type: 'loaded' };
  }
  const run = task!;
  // Each call gets its own copy, decoded as a replica's input is: a task that mutates its input must not poison the next one.
  const input = cloneForReplica(request.input);
  return { type: 'answer', reply: await computeGolden(() => run(input), request.index) };
}

function failure(error: unknown): GoldenMessage {
  if (isTriplexError(error)) return { type: 'failed', code: error.code, message: error.message, ...(error.data === undefined ? {} : { data: error.data }) };
  return { type: 'failed', code: 'ERR_INTERNAL', message: messageOf(error) };
}

port.on('message', (request: GoldenRequest) => {
  handle(request).then(
    (message) => port.postMessage(message),
    (error: unknown) => port.postMessage(failure(error)),
  );
});
