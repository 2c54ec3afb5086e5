// The small-value fast path of the payload codec must be invisible: v8.deserialize reads what it
// writes back as the same value (Object.is), it decodes exactly what v8.deserialize decodes, it
// declines every other payload, and it writes equal bytes for equal values (the byte vote's premise).
import { deserialize, serialize } from 'node:v8';
import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { decodeSmall, encodeSmall, NOT_SMALL, smallLength, writeSmall } from '../dist/codec/small-values.js';
import { captureInput } from '../dist/pool/run-options.js';
import { decodePayload, encodeValue } from '../dist/codec/payload.js';
import { SEED as seed } from './support/seed.js';

const params = { seed, numRuns: 2000 };

const edges = [
  0,
  -0,
  1,
  -1,
  2 ** 30 - 1,
  2 ** 30,
  -(2 ** 30),
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  -(2 ** 31) - 1,
  2 ** 32,
  0.5,
  NaN,
  Infinity,
  -Infinity,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.EPSILON,
];
const small = fc.oneof(fc.double(), fc.integer(), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(...edges, true, false, null, undefined));

describe('small-value payloads', () => {
  it('round-trip through v8.deserialize and through decodeSmall as the same value', () => {
    fc.assert(
      fc.property(small, (value) => {
        const bytes = encodeSmall(value)!;
        expect(bytes).toBeDefined();
        expect(Object.is(deserialize(bytes), value)).toBe(true);
        expect(Object.is(decodeSmall(bytes), value)).toBe(true);
        expect(Object.is(decodePayload(encodeValue(value).bytes, 0), value)).toBe(true);
      }),
      params,
    );
  });

  it('decode what v8.serialize wrote exactly as v8.deserialize does', () => {
    fc.assert(
      fc.property(small, (value) => {
        const decoded = decodeSmall(serialize(value));
        expect(Object.is(decoded, value)).toBe(true);
      }),
      params,
    );
  });

  it('write equal bytes for equal values, different bytes for different ones', () => {
    fc.assert(
      fc.property(small, small, (a, b) => {
        const same = Buffer.from(encodeSmall(a)!).equals(Buffer.from(encodeSmall(b)!));
        if (!Object.is(a, b)) expect(same).toBe(false);
        else if (!Number.isNaN(a)) expect(same).toBe(true);
      }),
      params,
    );
  });

  it('decline every other value and every other payload', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const isSmall = value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean';
        expect(encodeSmall(value) !== undefined).toBe(isSmall);
        const decoded = decodeSmall(serialize(value));
        if (decoded !== NOT_SMALL) expect(Object.is(decoded, value)).toBe(true);
      }),
      params,
    );
  });

  it('write the same bytes into a slab (task inputs) as v8.serialize reads back', () => {
    fc.assert(
      fc.property(small, fc.integer({ min: 0, max: 5 }), (value, offset) => {
        const into = new Uint8Array(offset + smallLength(value) + 3).fill(0xaa);
        writeSmall(value, into.subarray(offset, offset + smallLength(value)));
        expect(into.subarray(offset, offset + smallLength(value))).toEqual(encodeSmall(value));
        expect(into.subarray(offset + smallLength(value))).toEqual(new Uint8Array(3).fill(0xaa)); // nothing written past its length
        const input = captureInput(value, 'task');
        expect(input).toEqual(encodeSmall(value));
        expect(Object.is(deserialize(input), value)).toBe(true);
      }),
      params,
    );
  });

  it('decline malformed or foreign bytes, leaving them to v8.deserialize', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 12 }), fc.boolean(), (tail, header) => {
        const bytes = header ? Uint8Array.from([0xff, serialize(null)[1]!, ...tail]) : tail;
        const decoded = decodeSmall(bytes);
        if (decoded === NOT_SMALL) return;
        expect(Object.is(decoded, deserialize(bytes))).toBe(true);
      }),
      params,
    );
  });
});
