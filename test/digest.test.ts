// The voted digest must depend on the value only, never on V8's internal representation.
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { Triplex } from '../dist/index.js';
import { canonicalDigest } from '../dist/codec/canonical.js';
import { SEED } from './support/seed.js';

const CORE_FAULTS = fileURLToPath(new URL('./fixtures/core-faults.mjs', import.meta.url));
fc.configureGlobal({ seed: SEED, numRuns: 200 });

describe('canonical digest', () => {
  it('is equal for equal values that V8 represents differently (where v8.serialize is not)', () => {
    const smi = { x: 3 };
    const double = { x: 0.5 };
    double.x = 3;
    expect(serialize(smi).equals(serialize(double))).toBe(false);
    expect(canonicalDigest(smi)).toBe(canonicalDigest(double));
  });

  it('tells apart values that differ, including -0, types and key order', () => {
    const distinct: unknown[] = [
      0,
      -0,
      1,
      '1',
      1n,
      true,
      null,
      undefined,
      [],
      {},
      [1],
      { a: 1 },
      { a: 1, b: 2 },
      { b: 2, a: 1 },
      new Uint8Array([1]),
      new Int8Array([1]),
      new Map([[1, 2]]),
      new Set([1]),
      new Date(0),
      /a/g,
      Number.NaN,
    ];
    const digests = distinct.map(canonicalDigest);
    expect(new Set(digests).size).toBe(distinct.length);
  });

  it('handles shared references and cycles like structured clone', () => {
    const shared = { v: 1 };
    const cyclic: Record<string, unknown> = { a: shared, b: shared };
    cyclic.self = cyclic;
    expect(canonicalDigest(cyclic)).toBe(canonicalDigest(cyclic));
    expect(canonicalDigest({ a: shared, b: shared })).not.toBe(canonicalDigest({ a: { v: 1 }, b: { v: 1 } }));
  });

  test.prop([fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: false })])(
    'a structured clone has the digest of the original',
    (value) => {
      expect(canonicalDigest(structuredClone(value))).toBe(canonicalDigest(value));
    },
  );

  it('a one-bit flip in a large typed array changes the digest', () => {
    const big = new Uint8Array(1 << 20).fill(7);
    const before = canonicalDigest(big);
    big[123_456]! ^= 1;
    expect(canonicalDigest(big)).not.toBe(before);
  });
});

// Each of these once gave two different values one digest, so a faulty core's wrong value could win a vote.
describe('canonical digest: values that once shared a digest', () => {
  const clone = <T>(value: T): T => deserialize(serialize(value)) as T;
  const differ = (a: unknown, b: unknown): void => expect(canonicalDigest(clone(a))).not.toBe(canonicalDigest(clone(b)));

  it('strings are UTF-16 code units: lone surrogates are not all U+FFFD', () => {
    differ('\ud800', '\ud801');
    differ('a\udc00', 'a\ufffd');
    differ({ key: '\ud83d' }, { key: '\ude00' });
  });

  it("an array's named properties count: RegExp matches at different places", () => {
    differ('xa'.match(/a/), 'a'.match(/a/));
    differ(Object.assign([1, 2], { extra: 1 }), [1, 2]);
  });

  it("an error's cause and class count, not only its name and message", () => {
    differ(new Error('m', { cause: 1 }), new Error('m', { cause: 2 }));
    differ(new Error('m', { cause: undefined }), new Error('m'));
    const renamed = new TypeError('m');
    Object.defineProperty(renamed, 'name', { value: 'RangeError' }); // a raw (uncloned) value: same name, other class
    expect(canonicalDigest(renamed)).not.toBe(canonicalDigest(new RangeError('m')));
  });

  it('boxed primitives are their class and value, not an empty object', () => {
    differ(new Number(5), new Number(6));
    differ(new Number(5), new String('5'));
    differ(new Boolean(false), {});
    differ(Object(1n), Object(2n));
  });

  it('a value 100,000 levels deep digests without overflowing the stack', () => {
    const nest = (depth: number, leaf: number): Record<string, unknown> => {
      const root: Record<string, unknown> = {};
      let node = root;
      for (let i = 0; i < depth; i++) node = node.next = {};
      node.leaf = leaf;
      return root;
    };
    let deepArray: unknown[] = [];
    for (let i = 0; i < 100_000; i++) deepArray = [deepArray];
    expect(canonicalDigest(nest(100_000, 1))).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(canonicalDigest(nest(100_000, 1))).not.toBe(canonicalDigest(nest(100_000, 2)));
    expect(canonicalDigest(deepArray)).not.toBe(canonicalDigest([deepArray]));
  });
});

describe('voting on values with different V8 representations', () => {
  it('cores that build the same value differently agree, and no core is charged', async () => {
    // 4 cores on this 2-CPU machine share CPUs: faultDomain 'none'.
    const pool = new Triplex({ filename: CORE_FAULTS, cores: 4, redundancy: 'tmr', faultDomain: 'none', health: { falseAlarm: 0.5 } });
    try {
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.runDetailed(i + 3, { name: 'representation' })));
      for (const [i, r] of results.entries()) {
        expect(r.value).toEqual({ total: i + 3, rows: [i + 3, i + 4] });
        expect(r.corrected).toBe(false);
      }
      expect(pool.stats.disagreements).toBe(0);
      expect(pool.cores.every((c) => c.faults === 0 && c.state === 'healthy')).toBe(true);
    } finally {
      await pool.destroy();
    }
  });
});
