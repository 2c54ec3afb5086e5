// Property tests of the pure voter over random outcome vectors (DESIGN.md invariants 1, 3, 5 at the vote level).
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { afterShortVote, decide, groupBallots, majorityOf, minorityOf, agreesWith, type Ballot } from '../dist/replication/voter.js';

import { SEED } from './support/seed.js';

fc.configureGlobal({ seed: SEED, numRuns: 300 });
// fast-check prints the seed and path of any counterexample; the fixed seed makes runs reproducible.

const key = fc.constantFrom('A', 'B', 'C', 'D');
const ballot: fc.Arbitrary<Ballot> = fc.oneof(
  key.map((k) => ({ key: k })),
  key.map((k) => ({ key: `err-${k}`, isError: true })),
  fc.constant({ key: undefined }),
);

describe('voter', () => {
  it('after a short vote: waits while enough replicas are wanted, asks for the rest, gives up past maxAttempts', () => {
    expect(afterShortVote(1, 1, 1, 2)).toEqual({ kind: 'wait' });
    expect(afterShortVote(2, 1, 1, 2)).toEqual({ kind: 'ask', more: 1 });
    expect(afterShortVote(2, 0, 1, 2)).toEqual({ kind: 'give-up' });
    expect(afterShortVote(1, 0, 0, 0)).toEqual({ kind: 'give-up' });
  });

  it('needs 2 of 2 for DMR and 2 of 3 for TMR', () => {
    expect(majorityOf(2)).toBe(2);
    expect(majorityOf(3)).toBe(2);
    expect(majorityOf(5)).toBe(3);
  });

  test.prop([fc.array(ballot, { maxLength: 8 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom(2, 3)])(
    'an agreed verdict always has at least a majority of identical outcomes (invariant 1)',
    (ballots, inFlight, k) => {
      const verdict = decide(ballots, inFlight, majorityOf(k));
      if (verdict.kind !== 'agreed') return;
      expect(verdict.group.members.length).toBeGreaterThanOrEqual(majorityOf(k));
      for (const i of verdict.group.members) expect(ballots[i]!.key).toBe(verdict.group.key);
    },
  );

  test.prop([fc.array(ballot, { maxLength: 8 }), fc.integer({ min: 0, max: 3 })])(
    'waiting only when running replicas could still complete a majority',
    (ballots, inFlight) => {
      const verdict = decide(ballots, inFlight, 2);
      const best = Math.max(0, ...groupBallots(ballots).map((g) => g.members.length));
      if (verdict.kind === 'waiting') expect(best + inFlight).toBeGreaterThanOrEqual(2);
      if (verdict.kind === 'short') expect(verdict.missing).toBe(2 - best - inFlight);
    },
  );

  test.prop([key, key, fc.integer({ min: 0, max: 2 }), fc.constantFrom<'wrong' | 'crash'>('wrong', 'crash')])(
    'TMR with one faulty replica at any position agrees on the correct value and blames exactly that replica (invariant 3)',
    (correct, wrongKey, position, fault) => {
      fc.pre(wrongKey !== correct);
      const ballots: Ballot[] = [0, 1, 2].map((i) => (i === position ? (fault === 'crash' ? { key: undefined } : { key: wrongKey }) : { key: correct }));
      const verdict = decide(ballots, 0, majorityOf(3));
      expect(verdict.kind).toBe('agreed');
      if (verdict.kind !== 'agreed') return;
      expect(verdict.group.key).toBe(correct);
      expect(minorityOf(ballots, verdict.group)).toEqual([position]);
    },
  );

  test.prop([key, key, fc.boolean()])(
    'DMR with one faulty replica is short by one; the tie-break decides for the correct value',
    (correct, wrongKey, faultFirst) => {
      fc.pre(wrongKey !== correct);
      const pair: Ballot[] = faultFirst ? [{ key: wrongKey }, { key: correct }] : [{ key: correct }, { key: wrongKey }];
      const first = decide(pair, 0, majorityOf(2));
      expect(first).toMatchObject({ kind: 'short', missing: 1 });
      const after = decide([...pair, { key: correct }], 0, majorityOf(2));
      expect(after.kind).toBe('agreed');
      if (after.kind === 'agreed') expect(after.group.key).toBe(correct);
    },
  );

  test.prop([fc.array(fc.string({ minLength: 1, maxLength: 3 }), { minLength: 3, maxLength: 3 })])(
    'all-different outcomes never agree, so nobody can be blamed (invariant 5)',
    (keys) => {
      fc.pre(new Set(keys).size === 3);
      const verdict = decide(
        keys.map((k) => ({ key: k })),
        0,
        2,
      );
      expect(verdict.kind).toBe('short');
    },
  );

  test.prop([fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 6 })])(
    'equals groups values within tolerance; errors never join value groups',
    (values) => {
      const ballots: Ballot[] = values.map((v, i) => ({ key: `k${i}`, value: v }));
      ballots.push({ key: 'e', isError: true });
      const groups = groupBallots(ballots, () => true);
      expect(groups.length).toBe(2);
      expect(groups.find((g) => g.isError)!.members).toEqual([values.length]);
    },
  );

  it('a late ballot agrees only with a matching winner', () => {
    const ballots: Ballot[] = [{ key: 'A' }, { key: 'A' }];
    const verdict = decide(ballots, 1, 2);
    if (verdict.kind !== 'agreed') throw new Error('expected agreement');
    expect(agreesWith(ballots, verdict.group, { key: 'A' })).toBe(true);
    expect(agreesWith(ballots, verdict.group, { key: 'B' })).toBe(false);
    expect(agreesWith(ballots, verdict.group, { key: undefined })).toBe(false);
    expect(agreesWith(ballots, verdict.group, { key: 'A', isError: true })).toBe(false);
  });
});
