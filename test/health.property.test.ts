import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { CoreHealth, DEFAULT_HEALTH, DEFAULT_SELF_TESTS } from '../dist/health/index.js';
import type { FaultKind, HealthEffects, HealthState, ResolvedHealthOptions } from '../dist/health/index.js';
import { ManualClock } from '../dist/util/clock.js';
import { SeededRandom } from '../dist/util/random.js';

import { SEED } from './support/seed.js';

// Every internal shuffle is seeded from generated values, so the one seed replays a run.
const params = { seed: SEED, numRuns: 200 };

const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const wrong = (taskName: string, kind: FaultKind = 'wrong-result') => ({ kind, taskName });
const SERVING: ReadonlySet<HealthState> = new Set(['healthy', 'suspect', 'probation']);

function shuffle<T>(items: T[], rng: SeededRandom): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** TMR-like rounds: 3 distinct serving cores per round (all cores take turns), out-voted when `bad` says so. */
function rounds(health: CoreHealth, n: number, count: number, rng: SeededRandom, bad: (core: number) => boolean): void {
  for (let r = 0; r < count; r++) {
    const serving = shuffle(
      ids(n).filter((c) => health.canServe(c, 'fib')),
      rng,
    );
    if (serving.length < 3) return;
    for (const c of serving.slice(0, 3)) {
      if (bad(c)) health.charge(c, wrong('fib'));
      else health.success(c, 'fib');
    }
  }
}

describe('attribution', () => {
  test.prop([fc.integer({ min: 3, max: 16 }), fc.double({ min: 0, max: 0.3, noNaN: true }), fc.nat()], { ...params, numRuns: 60 })(
    'cores out-voted alike, at any common rate, on any fleet: nobody is disabled (1,000 rounds)',
    (n, rate, seed) => {
      const rng = new SeededRandom(seed);
      const health = new CoreHealth(ids(n), DEFAULT_HEALTH, new ManualClock(0));
      rounds(health, n, 1_000, rng, () => rng.next() < rate);
      for (const c of ids(n)) expect(health.state(c), `core ${c}`).not.toBe('disabled');
    },
  );

  test.prop([fc.integer({ min: 3, max: 32 }), fc.double({ min: 0, max: 0.005, noNaN: true }), fc.nat()], params)(
    'a stuck core on any fleet, over up to 0.5 % background, is disabled within 12 of its replicas; no healthy core is',
    (n, background, seed) => {
      const rng = new SeededRandom(seed);
      const health = new CoreHealth(ids(n), DEFAULT_HEALTH, new ManualClock(0));
      const stuck = rng.int(n);
      let ran = 0;
      rounds(health, n, 40 * n, rng, (c) => {
        if (c !== stuck) return rng.next() < background;
        ran++;
        return true;
      });
      expect(health.state(stuck)).toBe('disabled');
      expect(ran).toBeLessThanOrEqual(12);
      for (const c of ids(n)) if (c !== stuck) expect(health.state(c), `core ${c}`).not.toBe('disabled');
    },
  );

  const opArb = fc.record({ core: fc.integer({ min: 0, max: 5 }), bad: fc.boolean(), gap: fc.integer({ min: 0, max: 10_000_000 }) });
  test.prop([fc.array(opArb, { maxLength: 300 })], params)('the same evidence gives the same decisions whatever time passes between replicas', (ops) => {
    const now = new CoreHealth(ids(6), DEFAULT_HEALTH, new ManualClock(0));
    const clock = new ManualClock(0);
    const spread = new CoreHealth(ids(6), DEFAULT_HEALTH, clock);
    for (const op of ops) {
      clock.advance(op.gap);
      for (const h of [now, spread]) {
        if (op.bad) h.charge(op.core, wrong('fib'));
        else h.success(op.core, 'fib');
      }
      for (const c of ids(6)) expect(spread.state(c)).toBe(now.state(c));
      for (const c of ids(6)) expect(spread.score(c)).toBe(now.score(c));
    }
  });
});

type Op =
  | { t: 'charge'; core: number; kind: string; fault: FaultKind }
  | { t: 'success'; core: number; kind: string }
  | { t: 'advance'; ms: number }
  | { t: 'kat'; core: number; passed: boolean }
  | { t: 'probe'; passed: boolean }
  | { t: 'offline' | 'online'; core: number };

const N = 6;
const KINDS = ['a', 'b', 'c'];
const coreArb = fc.integer({ min: 0, max: N - 1 });
const kindArb = fc.constantFrom(...KINDS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('charge' as const),
      core: coreArb,
      kind: kindArb,
      fault: fc.constantFrom<FaultKind>('wrong-result', 'crash', 'timeout'),
    }),
  },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('success' as const), core: coreArb, kind: kindArb }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 200_000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('kat' as const), core: coreArb, passed: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('probe' as const), passed: fc.integer({ min: 0, max: 4 }).map((x) => x > 0) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('offline' as const, 'online' as const), core: coreArb }) },
);
const optionsArb: fc.Arbitrary<ResolvedHealthOptions> = fc.record({
  // 0.3: a budget so loose that a few charges disable, so short sequences reach every state.
  falseAlarm: fc.constantFrom(1e-9, 0.3, 0),
  nondeterministic: fc.constantFrom<readonly string[]>([], ['a']),
  salvage: fc.constantFrom<ResolvedHealthOptions['salvage']>(false, { maxKinds: 1 }, { maxKinds: 2 }),
  selfTest: fc.option(
    fc.record({
      tasks: fc.constant(DEFAULT_SELF_TESTS),
      after: fc.integer({ min: 0, max: 20_000 }),
      passes: fc.integer({ min: 1, max: 4 }),
      maxProbations: fc.integer({ min: 0, max: 3 }),
      probationTasks: fc.integer({ min: 1, max: 5 }),
    }),
    { nil: false },
  ) as fc.Arbitrary<ResolvedHealthOptions['selfTest']>,
});

describe('state machine invariants', () => {
  test.prop([optionsArb, fc.array(opArb, { minLength: 1, maxLength: 120 })], { ...params, numRuns: 300 })(
    'transitions chain, canServe matches state, retired is terminal, snapshots round-trip',
    (options, ops) => {
      const clock = new ManualClock(1_000);
      const health = new CoreHealth(ids(N), options, clock);
      const reported: HealthState[] = ids(N).map(() => 'healthy');
      const retired = new Set<number>();
      const apply = (fx: HealthEffects): void => {
        for (const tr of fx.transitions) {
          expect(tr.from, JSON.stringify(tr)).toBe(reported[tr.core]);
          expect(tr.to).not.toBe(tr.from);
          expect(tr.reason.length).toBeGreaterThan(0);
          reported[tr.core] = tr.to;
        }
      };
      for (const op of ops) {
        const before = ids(N).map((c) => health.state(c));
        const run = apply;
        switch (op.t) {
          case 'charge':
            run(health.charge(op.core, wrong(op.kind, op.fault)));
            break;
          case 'success':
            run(health.success(op.core, op.kind));
            break;
          case 'advance':
            clock.advance(op.ms);
            break;
          case 'kat':
            run(health.selfTestResult(op.core, op.passed));
            break;
          case 'probe':
            for (const c of health.dueForSelfTest()) {
              expect(health.state(c)).toBe('disabled');
              run(health.selfTestResult(c, op.passed));
            }
            break;
          case 'offline':
            run(health.setOffline(op.core));
            break;
          case 'online':
            run(health.setOnline(op.core));
            break;
        }
        for (const c of ids(N)) {
          const state = health.state(c);
          const record = health.record(c);
          // The last reported state is the live one: nothing changes silently (no decay with time).
          expect(state, `core ${c}`).toBe(reported[c]);
          for (const k of KINDS) expect(health.canServe(c, k)).toBe(SERVING.has(state) && !record.excludedKinds.includes(k));
          expect(record.score).toBeGreaterThanOrEqual(0);
          expect(record.score).toBeLessThanOrEqual(1);
          if (retired.has(c)) expect(['retired', 'offline']).toContain(state);
          if (state === 'retired' || record.onlineState === 'retired') retired.add(c);
          // Without self-tests there is no way back from disabled (nothing is forgiven).
          if (options.selfTest === false && before[c] === 'disabled') expect(['disabled', 'offline']).toContain(state);
        }
      }
      const snap = JSON.parse(JSON.stringify(health.export()));
      const restored = new CoreHealth(ids(N), options, clock, snap);
      for (const c of ids(N)) {
        // The evidence starts afresh after a restore: a suspect core comes back healthy, scores at 0.
        const state = health.state(c) === 'suspect' ? 'healthy' : health.state(c);
        expect(restored.state(c)).toBe(state);
        const { score: _a, state: _b, ...rest } = health.record(c);
        expect(restored.record(c)).toMatchObject({ ...rest, score: 0 });
        for (const k of KINDS) expect(restored.canServe(c, k)).toBe(health.canServe(c, k));
      }
    },
  );
});
