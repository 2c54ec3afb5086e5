/**
 * Record layouts on a core's rings. A replica request or reply is written field by field into
 * the ring (no structured clone); anything that does not fit, or is not a plain replica (a probe),
 * goes through the core's MessagePort and leaves a PORT record in the ring at its place, so the
 * reader takes it with `receiveMessageOnPort` in order.
 *
 * Request: [u8 RUN][u8 flags: 1 inject, 2 det][u16 name bytes][u32 input bytes] name, input, v8(inject),
 *          det as [f64 seed or NaN][f64 now or NaN][f64 perf or NaN] (the last DET_BYTES)
 * Reply:   [u8 REPLY][u8 ok][u8 has flips][u8 pad][i32 cpu][f64 ms][u32 payload bytes][u8 raw kind][3 pad]
 *          payload, v8(flips)
 */
import { serialize, deserialize } from 'node:v8';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { ByteRing } from './ring.js';
import { Slab } from '../util/slab.js';

/** Small reply payloads, main-thread side. */
const replies = new Slab();
import type { DeterminismOrder, InjectOrder, RunReply, RunRequest } from './protocol.js';
import type { FlipRecord } from '../inject/flip.js';

export const RUN = 1;
export const REPLY = 2;
/** The message is the next one on the core's MessagePort. */
const PORT = 3;

/** Records above this size take the port (payloads are then transferred, not copied). */
export const INLINE_LIMIT = 64 * 1024;
const DET_BYTES = 24;
export const RING_CAPACITY = 512 * 1024;
const REPLY_HEADER = 24;

/** Byte access to a ring's data region (Buffer methods: utf8/latin1 codecs, copies). */
export function ringBuffer(ring: ByteRing): Buffer {
  return Buffer.from(ring.bytes.buffer, ring.bytes.byteOffset, ring.bytes.byteLength);
}

/** Writes a PORT marker; false when even that does not fit. */
export function writePortMarker(ring: ByteRing): boolean {
  const at = ring.reserve(1);
  if (at < 0) return false;
  ring.bytes[at] = PORT;
  return true;
}

/** Writes a replica request; false when it must take the port instead. */
export function writeRunRequest(ring: ByteRing, buffer: Buffer, request: RunRequest, name: Uint8Array): boolean {
  const inject = request.inject === undefined ? undefined : serialize(request.inject);
  const det = request.det;
  const length = 8 + name.byteLength + request.input.byteLength + (inject?.byteLength ?? 0) + (det === undefined ? 0 : DET_BYTES);
  if (length > INLINE_LIMIT) return false;
  const at = ring.reserve(length);
  if (at < 0) return false;
  buffer[at] = RUN;
  buffer[at + 1] = (inject === undefined ? 0 : 1) | (det === undefined ? 0 : 2);
  if (det !== undefined) {
    const d = at + length - DET_BYTES;
    ring.view.setFloat64(d, det.seed ?? Number.NaN, true);
    ring.view.setFloat64(d + 8, det.now ?? Number.NaN, true);
    ring.view.setFloat64(d + 16, det.perf ?? Number.NaN, true);
  }
  ring.view.setUint16(at + 2, name.byteLength, true);
  ring.view.setUint32(at + 4, request.input.byteLength, true);
  buffer.set(name, at + 8);
  buffer.set(request.input, at + 8 + name.byteLength);
  if (inject !== undefined) buffer.set(inject, at + 8 + name.byteLength + request.input.byteLength);
  return true;
}

/** Reads a request record (copies what it keeps: the ring space is reused once consumed). */
export function readRunRequest(ring: ByteRing, buffer: Buffer, at: number, length: number): RunRequest {
  const nameLength = ring.view.getUint16(at + 2, true);
  const inputLength = ring.view.getUint32(at + 4, true);
  const inputAt = at + 8 + nameLength;
  const request: RunRequest = {
    kind: 'run',
    name: buffer.toString('utf8', at + 8, inputAt),
    input: new Uint8Array(buffer.subarray(inputAt, inputAt + inputLength)),
  };
  const flags = buffer[at + 1]!;
  const end = flags & 2 ? at + length - DET_BYTES : at + length;
  if (flags & 1) request.inject = deserialize(buffer.subarray(inputAt + inputLength, end)) as InjectOrder;
  if (flags & 2) request.det = readDet(ring, end);
  return request;
}

function readDet(ring: ByteRing, d: number): DeterminismOrder {
  const det: DeterminismOrder = {};
  const seed = ring.view.getFloat64(d, true);
  const now = ring.view.getFloat64(d + 8, true);
  const perf = ring.view.getFloat64(d + 16, true);
  if (!Number.isNaN(seed)) det.seed = seed;
  if (!Number.isNaN(now)) det.now = now;
  if (!Number.isNaN(perf)) det.perf = perf;
  return det;
}

/** Writes a reply; false when it must take the port instead. */
export function writeReply(ring: ByteRing, buffer: Buffer, reply: RunReply): boolean {
  const flips = reply.flips === undefined ? undefined : serialize(reply.flips);
  const length = REPLY_HEADER + reply.payload.byteLength + (flips?.byteLength ?? 0);
  if (length > INLINE_LIMIT) return false;
  const at = ring.reserve(length);
  if (at < 0) return false;
  buffer[at] = REPLY;
  buffer[at + 1] = reply.ok ? 1 : 0;
  buffer[at + 2] = flips === undefined ? 0 : 1;
  ring.view.setInt32(at + 4, reply.cpu, true);
  ring.view.setFloat64(at + 8, reply.ms, true);
  ring.view.setUint32(at + 16, reply.payload.byteLength, true);
  buffer[at + 20] = reply.raw ?? 0;
  buffer.set(reply.payload, at + REPLY_HEADER);
  if (flips !== undefined) buffer.set(flips, at + REPLY_HEADER + reply.payload.byteLength);
  return true;
}

export function readReply(ring: ByteRing, buffer: Buffer, at: number, length: number): RunReply {
  const payloadLength = ring.view.getUint32(at + 16, true);
  const payloadAt = at + REPLY_HEADER;
  const reply: RunReply = {
    ok: buffer[at + 1] === 1,
    // A copy (the ring space is reused once consumed), small ones in a shared slab (util/slab.ts).
    payload: replies.copy(buffer, payloadAt, payloadAt + payloadLength),
    ms: ring.view.getFloat64(at + 8, true),
    cpu: ring.view.getInt32(at + 4, true),
    // Set by the main thread's vote on every reply: declared here, as adding it would allocate a property store.
    voteKey: undefined,
  };
  const raw = buffer[at + 20]!;
  if (raw !== 0) reply.raw = raw;
  if (buffer[at + 2] === 1) reply.flips = deserialize(buffer.subarray(payloadAt + payloadLength, at + length)) as FlipRecord[];
  return reply;
}

/**
 * The message a PORT record stands for. A record too large for the ring travels on the port, and a
 * PORT marker takes its place in the ring, so records keep their order whichever way they went.
 */
export function readPortRecord(port: MessagePort): unknown {
  const received = receiveMessageOnPort(port);
  if (received === undefined) throw new Error('core channel: a PORT record has no message on the port');
  return received.message;
}
