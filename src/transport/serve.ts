/**
 * The worker end of a core's shared-memory transport (see transport/channel.ts): runs replicas from
 * the request ring in order and writes each reply to the reply ring as soon as it is done. While
 * the ring is empty the worker waits with Atomics.waitAsync, so its event loop keeps running
 * (timers and I/O of async tasks); after an idle linger it ends the serve task, and piscina lets
 * the process exit when nothing else is pending.
 */
import type { MessagePort } from 'node:worker_threads';
import { ByteRing } from './ring.js';
import { RUN, readPortRecord, readRunRequest, ringBuffer, writePortMarker, writeReply } from './wire.js';
import { HOLD_MS, LONG_REPLICA_MS, type ProbeReply, type RunReply, type RunRequest, type ServeRequest } from './protocol.js';

/** Idle time after which a worker stops serving (and stops holding the process alive). */
const LINGER_MS = 50;
/** How long an idle worker blocks (event loop paused) before it waits asynchronously. */
const BLOCKING_WAIT_MS = 2;
/** Longest stretch of back-to-back replicas before the worker lets its event loop turn. */
const YIELD_EVERY_MS = 10;

export interface ServeHandlers {
  /** A reply, or a promise of one when the replica is asynchronous (an await per replica would cost a microtask hop). */
  run(request: RunRequest): RunReply | Promise<RunReply>;
  probe(): ProbeReply;
}

/** Ports of the channels this worker has seen (a port is transferred once per generation). */
const ports = new Map<number, MessagePort>();

export async function serve(request: ServeRequest, handlers: ServeHandlers): Promise<'idle' | 'unknown-channel'> {
  if (request.port !== undefined) {
    ports.clear(); // an older generation is dead: the main thread moved on
    ports.set(request.channel, request.port);
  }
  const port = ports.get(request.channel);
  if (port === undefined) return 'unknown-channel';
  const requests = new ByteRing(request.requests);
  const replies = new ByteRing(request.replies);
  const requestBytes = ringBuffer(requests);
  const replyBytes = ringBuffer(replies);

  const send = (reply: unknown, payload: Uint8Array | undefined): void => {
    if (payload !== undefined && writeReply(replies, replyBytes, reply as RunReply)) {
      replies.publish();
      return;
    }
    port.postMessage(reply, payload === undefined ? [] : [payload.buffer as ArrayBuffer]);
    // The marker must follow the message; a full ring drains as soon as the main thread wakes.
    while (!writePortMarker(replies)) {
      replies.publish();
      replies.waitForSpace(1);
    }
    replies.publish();
    // A large reply is worth reading at once: the main thread copies and digests it while this
    // worker runs the next replica, instead of taking a batch of them at its end.
    replies.wake();
  };

  let yieldAt = performance.now() + YIELD_EVERY_MS;
  /** When the oldest reply the main thread has not taken was written. */
  let heldSince = 0;
  for (;;) {
    const record = requests.next();
    if (record === undefined) {
      // Out of requests: the main thread may be waiting for replies of a message it could not write whole.
      replies.wake();
      // Under load the next replica comes within a round trip: a short blocking wait takes it with a
      // futex wake-up; after that the event loop runs again (timers of async tasks, the linger).
      if (requests.waitBlocking(BLOCKING_WAIT_MS)) continue;
      const wait = requests.waitAsync(LINGER_MS);
      if (wait === undefined) continue;
      if ((await wait) !== 'timed-out' || requests.pending) continue;
      // Idle: stop serving, unless the main thread wrote meanwhile and has not started a new session.
      if (requests.closeSession()) return 'idle';
      continue;
    }
    let next: RunRequest | { kind: 'probe' };
    if (requestBytes[record.offset] === RUN) {
      next = readRunRequest(requests, requestBytes, record.offset, record.length);
    } else {
      next = readPortRecord(port) as RunRequest | { kind: 'probe' };
    }
    requests.consume(record.length);
    let ms = 0; // the replica's run time
    const taken = !replies.unread; // the main thread took every earlier reply
    if (next.kind === 'probe') {
      send(handlers.probe(), undefined);
    } else {
      const pending = handlers.run(next);
      const reply = pending instanceof Promise ? await pending : pending;
      send(reply, reply.payload);
      ms = reply.ms;
    }
    const now = performance.now();
    if (taken) heldSince = now;
    if (ms >= LONG_REPLICA_MS && now - heldSince + ms >= HOLD_MS) replies.wake();
    if (now >= yieldAt) {
      await new Promise((resolve) => setImmediate(resolve));
      yieldAt = performance.now() + YIELD_EVERY_MS;
    }
  }
}
