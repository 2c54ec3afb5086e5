/**
 * How a replica's value travels: v8.serialize, except for typed arrays, Buffers and DataViews,
 * which travel as their raw bytes plus a kind code. Node's serializer writes those "host
 * objects" in JavaScript (~7 µs for a 1 KB Uint8Array, against ~0.1 µs for the copy), which made
 * binary results the most expensive part of a small replica.
 */
import { serialize } from 'node:v8';
import { deserializeOwned } from './own-buffers.js';
import { ownCopy } from '../util/slab.js';
import { decodeSmall, encodeSmall, NOT_SMALL } from './small-values.js';

type ViewConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayBufferView;

/** Index + 1 is the `raw` code of a reply; 0 (or absent) means v8.serialize. */
const KINDS: readonly [string, ViewConstructor, number][] = [
  ['Uint8Array', Uint8Array, 1],
  ['Int8Array', Int8Array, 1],
  ['Uint8ClampedArray', Uint8ClampedArray, 1],
  ['Uint16Array', Uint16Array, 2],
  ['Int16Array', Int16Array, 2],
  ['Uint32Array', Uint32Array, 4],
  ['Int32Array', Int32Array, 4],
  ['Float32Array', Float32Array, 4],
  ['Float64Array', Float64Array, 8],
  ['BigUint64Array', BigUint64Array as unknown as ViewConstructor, 8],
  ['BigInt64Array', BigInt64Array as unknown as ViewConstructor, 8],
  ['Buffer', Buffer as unknown as ViewConstructor, 1],
  ['DataView', DataView as unknown as ViewConstructor, 1],
];
const CODES = new Map<unknown, number>(KINDS.map(([, ctor], i) => [ctor, i + 1]));

export interface EncodedValue {
  bytes: Uint8Array;
  /** Kind code of a raw typed array; 0 for v8.serialize. */
  raw: number;
}

/** Encodes a result into an own, exact-size buffer (transferable). Throws like v8.serialize on uncloneable values. */
export function encodeValue(value: unknown): EncodedValue {
  if (ArrayBuffer.isView(value)) {
    // Shared memory too: like v8.serialize, the receiver gets an unshared copy.
    const raw = CODES.get(Object.getPrototypeOf(value)?.constructor) ?? 0;
    if (raw !== 0) {
      const bytes = ownBytes(value.byteLength);
      bytes.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      return { bytes, raw };
    }
  }
  const small = encodeSmall(value);
  if (small !== undefined) return { bytes: small, raw: 0 };
  const buffer = serialize(value);
  // v8.serialize may return a view into a larger buffer, which must not be transferred.
  const bytes = buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength ? buffer : new Uint8Array(buffer);
  return { bytes, raw: 0 };
}

/**
 * An own, exact-size buffer for `length` bytes the caller overwrites entirely. Large ones skip the
 * zero-fill (`allocUnsafeSlow`: never pooled): for a 1 MB result that memset cost as much as the copy.
 */
function ownBytes(length: number): Uint8Array {
  return length < 4096 ? new Uint8Array(length) : new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
}

/**
 * The value a payload carries. A typed array sent raw is a view of `payload` unless `copy` is set
 * (pass it when the payload is still needed, for voting on bytes, and the value goes to a caller
 * who may modify it); a v8-serialized value never shares memory with `payload`.
 */
export function decodePayload(payload: Uint8Array, raw: number | undefined, copy = false): unknown {
  if (raw === undefined || raw === 0) {
    const small = decodeSmall(payload); // a primitive: shares no memory, needs no copy
    return small !== NOT_SMALL ? small : deserializeOwned(payload);
  }
  const bytes = copy ? ownCopy(payload) : payload;
  const kind = KINDS[raw - 1];
  if (kind === undefined) throw new Error(`unknown payload kind ${raw}`);
  const [name, ctor, size] = kind;
  if (name === 'Buffer') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (name === 'DataView') return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Views need aligned offsets; a copy starts at 0.
  const aligned = bytes.byteOffset % size === 0 ? bytes : ownCopy(bytes);
  return new ctor(aligned.buffer, aligned.byteOffset, aligned.byteLength / size);
}
