// Invariant 8: equal digests mean equal values. The digest is checked against sameClone, the
// readable definition of a vote's equality, on decoded clones (what the pool digests): equal
// digests exactly when sameClone says equal, over random pairs, near-equal pairs (one small
// mutation apart) and equal pairs that V8 represents differently.
import { isDeepStrictEqual } from 'node:util';
import { serialize } from 'node:v8';
import { fc } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { sameClone } from '../dist/replication/equality.js';
import { canonicalDigest } from '../dist/codec/canonical.js';
import { clone, decoded, entangle, hasInvalidDate, mutate, rerepresent, value } from './support/clones.js';

import { SEED } from './support/seed.js';

const seed = SEED;

/** Values with shared references and cycles added. */
const graph = fc.tuple(value, fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 })).map(([v, links]) => entangle(v, links));

const tally = { pairs: 0, equal: 0, nearPairs: 0, nearEqual: 0 };
afterAll(() => {
  console.info(`equality property tests: ${tally.pairs} pairs compared (${tally.equal} equal); near-equal pairs ${tally.nearPairs} (${tally.nearEqual} equal)`);
});

/** The property: equal digests exactly when sameClone says equal; sameClone's "equal" is also isDeepStrictEqual's. */
function agree(a: unknown, b: unknown, clones = true): boolean {
  const same = sameClone(a, b);
  tally.pairs++;
  if (same) tally.equal++;
  expect(canonicalDigest(a) === canonicalDigest(b)).toBe(same);
  // isDeepStrictEqual also compares prototypes, which a raw value may have and a clone never does.
  if (same && clones && !hasInvalidDate(a)) expect(isDeepStrictEqual(a, b)).toBe(true);
  return same;
}

describe('canonical digest ⇔ sameClone, on decoded clones', () => {
  it('random pairs', () => {
    fc.assert(
      fc.property(graph, graph, (a, b) => {
        const ca = decoded(a);
        const cb = decoded(b);
        if (ca !== undefined && cb !== undefined) agree(ca.value, cb.value);
      }),
      { seed, numRuns: 1500 },
    );
  });

  it('near-equal pairs: a decoded clone and the same clone with one small mutation', () => {
    fc.assert(
      fc.property(graph, fc.nat(), fc.nat(), (a, pick, how) => {
        const ca = decoded(a);
        if (ca === undefined) return;
        const holder = { root: clone(ca.value) };
        mutate(holder, pick, how);
        const cb = decoded(holder.root);
        if (cb === undefined) return;
        tally.nearPairs++;
        if (agree(ca.value, cb.value)) tally.nearEqual++;
      }),
      { seed: seed + 1, numRuns: 6500 },
    );
    // Most mutations must change the value, or the pairs would not probe the digest's edges.
    expect(tally.nearEqual).toBeLessThan(tally.nearPairs * 0.25);
  });

  it('equal values that V8 represents differently (int32 vs double fields and elements) digest alike', () => {
    fc.assert(
      fc.property(graph, (a) => {
        const ca = decoded(a);
        if (ca === undefined) return;
        const other = clone(ca.value);
        rerepresent(other);
        expect(agree(ca.value, other)).toBe(true);
      }),
      { seed: seed + 2, numRuns: 300 },
    );
    // Fresh records with integer fields and integer arrays: here v8.serialize's bytes do differ.
    const build = (entries: [string, number | number[]][]): Record<string, unknown> => {
      const record: Record<string, unknown> = {};
      for (const [k, v] of entries) record[k] = Array.isArray(v) ? [...v] : v;
      return { record, rows: [record.a, { ...record }] };
    };
    const small = fc.integer({ min: -1000, max: 1000 });
    const field = fc.tuple(fc.constantFrom('a', 'b', 'c', 'x'), fc.oneof(small, fc.array(small, { minLength: 1, maxLength: 5 })));
    const entries = fc.array(field, { minLength: 1, maxLength: 5 });
    let differentBytes = 0;
    fc.assert(
      fc.property(entries, (e) => {
        const plain = build(e);
        const other = build(e);
        rerepresent(other);
        if (!serialize(other).equals(serialize(plain))) differentBytes++;
        expect(agree(plain, other)).toBe(true);
        expect(agree(clone(plain), other)).toBe(true);
      }),
      { seed: seed + 5, numRuns: 300 },
    );
    expect(differentBytes).toBeGreaterThan(150);
  });

  it('a decoded clone equals its own clone, and the digest is a function of the value', () => {
    fc.assert(
      fc.property(graph, (a) => {
        const ca = decoded(a);
        if (ca === undefined) return;
        expect(agree(ca.value, clone(ca.value))).toBe(true);
        expect(canonicalDigest(ca.value)).toBe(canonicalDigest(ca.value));
      }),
      { seed: seed + 3, numRuns: 400 },
    );
  });

  it('raw values against their clones: what a clone drops (error properties, AggregateError) shows in both', () => {
    fc.assert(
      fc.property(graph, (a) => {
        const ca = decoded(a);
        if (ca !== undefined) agree(a, ca.value, false);
      }),
      { seed: seed + 4, numRuns: 1000 },
    );
  });

  it('compares at least 10,000 pairs in all', () => {
    expect(tally.pairs).toBeGreaterThanOrEqual(10_000);
  });
});
