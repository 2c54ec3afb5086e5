// A task's input and a caller's result are decoded with deserializeOwned: the same value as
// v8.deserialize gives (canonical digest), but every typed array, Buffer and DataView in it on an
// ArrayBuffer of its own, exactly its size, sharing no memory with the bytes it was read from.
// v8.deserialize hands out views into those bytes: a task that read `.buffer` computed a wrong
// answer that every replica agreed on.
import { deserialize, serialize } from 'node:v8';
import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { deserializeOwned } from '../dist/codec/own-buffers.js';
import { decodePayload } from '../dist/codec/payload.js';
import { canonicalDigest } from '../dist/codec/canonical.js';
import { SEED as seed } from './support/seed.js';

const params = { seed, numRuns: 500 };

type Ctor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;
const CLASSES: [Ctor, number][] = [
  [Uint8Array, 1],
  [Int8Array, 1],
  [Uint8ClampedArray, 1],
  [Int16Array, 2],
  [Uint16Array, 2],
  [Int32Array, 4],
  [Uint32Array, 4],
  [Float32Array, 4],
  [Float64Array, 8],
  [BigInt64Array as unknown as Ctor, 8],
  [BigUint64Array as unknown as Ctor, 8],
  [DataView as unknown as Ctor, 1],
  [((buffer: ArrayBuffer, offset: number, length: number) => Buffer.from(buffer, offset, length)) as unknown as Ctor, 1],
];

/** A view of random bytes, often into a larger buffer (at an offset, with bytes after it). */
const view = fc
  .record({
    kind: fc.integer({ min: 0, max: CLASSES.length - 1 }),
    before: fc.integer({ min: 0, max: 3 }),
    length: fc.integer({ min: 0, max: 40 }),
    after: fc.integer({ min: 0, max: 3 }),
    fill: fc.integer({ min: 0, max: 255 }),
  })
  .map(({ kind, before, length, after, fill }) => {
    const [ctor, size] = CLASSES[kind]!;
    const buffer = new ArrayBuffer((before + length + after) * size);
    new Uint8Array(buffer).forEach((_, i, bytes) => (bytes[i] = (fill + i * 37) & 255));
    const isCall = ctor.prototype === undefined; // the Buffer.from wrapper
    return isCall
      ? (ctor as unknown as (b: ArrayBuffer, o: number, l: number) => ArrayBufferView)(buffer, before, length)
      : new ctor(buffer, before * size, length);
  });

const value = fc.oneof(
  view,
  fc.array(view, { maxLength: 4 }),
  fc.record({ a: view, b: fc.string(), c: fc.array(view, { maxLength: 2 }) }),
  fc.tuple(fc.integer(), view, fc.string()).map(
    ([n, v, s]) =>
      new Map<unknown, unknown>([
        [n, v],
        [s, [v]],
      ]),
  ),
);

function viewsOf(value: unknown, out: ArrayBufferView[] = []): ArrayBufferView[] {
  if (ArrayBuffer.isView(value)) out.push(value);
  else if (value instanceof Map) for (const [k, v] of value) viewsOf([k, v], out);
  else if (Array.isArray(value)) for (const item of value) viewsOf(item, out);
  else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) viewsOf(item, out);
  return out;
}

const bytesOf = (v: ArrayBufferView): number[] => [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)];

describe('deserializeOwned', () => {
  it('decodes the value v8.deserialize decodes, every view on an exact buffer of its own', () => {
    fc.assert(
      fc.property(value, (original) => {
        const bytes = serialize(original);
        const decoded = deserializeOwned(bytes);
        expect(canonicalDigest(decoded)).toBe(canonicalDigest(deserialize(bytes)));
        const views = viewsOf(decoded);
        const sent = viewsOf(original);
        expect(views.length).toBe(sent.length);
        const buffers = new Set<ArrayBufferLike>();
        views.forEach((v, i) => {
          expect(v.constructor).toBe(sent[i]!.constructor);
          expect(bytesOf(v)).toEqual(bytesOf(sent[i]!));
          expect(v.byteOffset).toBe(0);
          expect(v.buffer.byteLength).toBe(v.byteLength);
          expect(v.buffer).not.toBe(bytes.buffer);
          buffers.add(v.buffer);
        });
        // Distinct views get distinct buffers (a shared reference stays one object, one buffer).
        expect(buffers.size).toBe(new Set(views).size);
      }),
      params,
    );
  });

  it('a decoded value shares no memory with its payload: writing the payload changes nothing', () => {
    fc.assert(
      fc.property(value, (original) => {
        const bytes = serialize(original);
        const decoded = decodePayload(bytes, 0);
        const before = viewsOf(decoded).map(bytesOf);
        bytes.fill(0xee);
        expect(viewsOf(decoded).map(bytesOf)).toEqual(before);
      }),
      params,
    );
  });
});
