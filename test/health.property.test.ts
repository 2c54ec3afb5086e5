import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { CoreHealth, DEFAULT_HEALTH, DEFAULT_SELF_TESTS, REACH_SLACK, type FaultKind, type HealthEffects, type HealthState, type ResolvedHealthOptions } from '../src/health/index.js';
import { ManualClock } from '../src/util/clock.js';
import { SeededRandom } from '../src/util/random.js';

// Fixed seed for reproducible runs (override with HEALTH_SEED); fast-check prints the seed and
// path of any counterexample, and every internal shuffle is seeded from generated values.
const seed = Number(process.env.HEALTH_SEED ?? 0x4ea1);
const params = { seed, numRuns: 200 };
console.info(`health property tests: seed ${seed} (set HEALTH_SEED to change)`);

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

describe('decay', () => {
  test.prop(
    [
      fc.double({ min: 1.2, max: 8, noNaN: true }),
      fc.integer({ min: 100, max: 10_000_000 }),
      fc.array(fc.double({ min: 0, max: 3, noNaN: true }), { minLength: 20, maxLength: 150 }),
    ],
    params,
  )('a core whose charges are spaced so the steady-state score stays below disableAt is never disabled', (disableAt, halfLife, jitter) => {
    const clock = new ManualClock(0);
    const health = new CoreHealth([0], { ...DEFAULT_HEALTH, disableAt, halfLife }, clock);
    const threshold = disableAt - Math.min(REACH_SLACK, disableAt * REACH_SLACK);
    // Steady state of charges every Δ: 1 / (1 - 2^(-Δ/h)) < threshold  ⇔  Δ > -h·log2(1 - 1/threshold).
    const minGap = -halfLife * Math.log2(1 - 1 / threshold) * 1.001;
    for (const extra of jitter) {
      health.charge(0, wrong('fib'));
      expect(health.state(0)).not.toBe('disabled');
      clock.advance(minGap * (1 + extra));
    }
  });

  test.prop(
    [fc.integer({ min: 1, max: 8 }), fc.integer({ min: 100, max: 10_000_000 }), fc.array(fc.double({ min: 0, max: 0.004, noNaN: true }), { minLength: 8, maxLength: 8 })],
    params,
  )('disableAt charges in quick succession disable', (disableAt, halfLife, gaps) => {
    const clock = new ManualClock(0);
    const health = new CoreHealth([0, 1, 2], { ...DEFAULT_HEALTH, disableAt, halfLife }, clock);
    for (let i = 0; i < disableAt; i++) {
      expect(health.state(0)).not.toBe('disabled');
      health.charge(0, wrong('fib'));
      clock.advance(gaps[i]! * halfLife);
    }
    expect(health.state(0)).toBe('disabled');
  });
});

describe('blame concentration', () => {
  test.prop([fc.integer({ min: 3, max: 32 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 2_000 }), fc.nat()], params)(
    'disagreements spread uniformly over many cores: one suspicion, no core disabled',
    (n, rounds, step, shuffleSeed) => {
      const rng = new SeededRandom(shuffleSeed);
      const clock = new ManualClock(0);
      const health = new CoreHealth(ids(n), DEFAULT_HEALTH, clock);
      let suspicions = 0;
      for (let r = 0; r < rounds; r++) {
        for (const core of shuffle(ids(n), rng)) {
          const fx = health.charge(core, wrong('flaky'));
          suspicions += fx.suspicions.length;
          expect(health.state(core)).not.toBe('disabled');
          clock.advance(step);
        }
      }
      expect(suspicions).toBe(1);
      for (const c of ids(n)) expect(health.canServe(c, 'flaky'), `core ${c}`).toBe(true);
    },
  );

  test.prop(
    [fc.integer({ min: 6, max: 24 }), fc.double({ min: 0.05, max: 0.5, noNaN: true }), fc.nat(), fc.constantFrom<ResolvedHealthOptions['salvage']>(false, { maxKinds: 2 })],
    params,
  )('a flaky task on a simulated TMR pool never leaves the fleet disabled', (n, p, simSeed, salvage) => {
    // Each task runs on 3 distinct serving cores; with probability p one replica disagrees.
    const rng = new SeededRandom(simSeed);
    const clock = new ManualClock(0);
    const health = new CoreHealth(ids(n), { ...DEFAULT_HEALTH, salvage }, clock);
    for (let t = 0; t < 400; t++) {
      const serving = ids(n).filter((c) => health.canServe(c, 'flaky'));
      if (serving.length < 3) break;
      const cores = shuffle(serving, rng).slice(0, 3);
      const odd = rng.next() < p ? rng.int(3) : -1;
      cores.forEach((core, i) => (i === odd ? health.charge(core, wrong('flaky')) : health.success(core, 'flaky')));
      clock.advance(5);
    }
    const disabled = ids(n).filter((c) => !health.canServe(c, 'flaky'));
    // A core the flaky task hit repeatedly before any clean run of it may stay out; never more.
    expect(disabled.length, `disabled ${disabled.join(',')}`).toBeLessThanOrEqual(1);
  });

  test.prop(
    [
      fc.integer({ min: 4, max: 32 }),
      fc.integer({ min: 1, max: 2 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 2 }),
      fc.boolean(),
      fc.nat(),
      // Small steps: "charged until disabled" means the charges come faster than they decay.
      fc.integer({ min: 0, max: 300 }),
    ],
    params,
  )('1–2 bad cores charged until disabled, plus at most one charge elsewhere, never look non-deterministic', (n, bad, extra, other, order, step) => {
    const rng = new SeededRandom(order);
    const clock = new ManualClock(0);
    const health = new CoreHealth(ids(n), DEFAULT_HEALTH, clock);
    const badCores = shuffle(ids(n), rng).slice(0, bad);
    const charges = shuffle(
      badCores.flatMap((c, i) => Array.from({ length: DEFAULT_HEALTH.disableAt + extra[i]! }, () => c)),
      rng,
    );
    if (other) charges.push(ids(n).find((c) => !badCores.includes(c))!);
    for (const core of charges) {
      const fx = health.charge(core, wrong('fib'));
      expect(fx.suspicions).toEqual([]);
      expect(fx.charged).toBe(true);
      clock.advance(step);
    }
    for (const c of badCores) expect(health.state(c)).toBe('disabled');
  });

  test.prop([fc.integer({ min: 3, max: 32 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 200 }), fc.nat()], params)(
    'a single stuck core never triggers suspicion, even with one other core charged at any point',
    (n, count, at, order) => {
      const rng = new SeededRandom(order);
      const clock = new ManualClock(0);
      const health = new CoreHealth(ids(n), DEFAULT_HEALTH, clock);
      const [stuck, other] = shuffle(ids(n), rng) as [number, number];
      const charges: number[] = Array.from({ length: count }, () => stuck);
      charges.splice(at % (count + 1), 0, other);
      for (const core of charges) expect(health.charge(core, wrong('fib')).suspicions).toEqual([]);
    },
  );
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
  { weight: 6, arbitrary: fc.record({ t: fc.constant('charge' as const), core: coreArb, kind: kindArb, fault: fc.constantFrom<FaultKind>('wrong-result', 'crash', 'timeout') }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('success' as const), core: coreArb, kind: kindArb }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 200_000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('kat' as const), core: coreArb, passed: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('probe' as const), passed: fc.integer({ min: 0, max: 4 }).map((x) => x > 0) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('offline' as const, 'online' as const), core: coreArb }) },
);
const optionsArb: fc.Arbitrary<ResolvedHealthOptions> = fc.record({
  disableAt: fc.integer({ min: 1, max: 4 }),
  halfLife: fc.constantFrom(1_000, 60_000, Number.POSITIVE_INFINITY),
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
  blame: fc.constantFrom<ResolvedHealthOptions['blame']>(false, DEFAULT_HEALTH.blame),
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
        let suspected = false;
        const run = (fx: HealthEffects): void => {
          suspected ||= fx.suspicions.length > 0;
          apply(fx);
        };
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
          // The last reported state is the live one, except for silent decay suspect → healthy.
          expect(state === reported[c] || (reported[c] === 'suspect' && state === 'healthy'), `core ${c}: ${reported[c]} vs ${state}`).toBe(true);
          for (const k of KINDS) expect(health.canServe(c, k)).toBe(SERVING.has(state) && !record.excludedKinds.includes(k));
          expect(Number.isFinite(record.score) || options.halfLife === Number.POSITIVE_INFINITY).toBe(true);
          expect(record.score).toBeGreaterThanOrEqual(0);
          if (retired.has(c)) expect(['retired', 'offline']).toContain(state);
          if (state === 'retired' || record.onlineState === 'retired') retired.add(c);
          // Without self-tests the only way back from disabled is forgiveness of a flaky kind.
          if (options.selfTest === false && before[c] === 'disabled' && state !== 'disabled' && state !== 'offline') expect(suspected).toBe(true);
        }
      }
      const snap = JSON.parse(JSON.stringify(health.export()));
      const restored = new CoreHealth(ids(N), options, clock, snap);
      for (const c of ids(N)) {
        expect(restored.state(c)).toBe(health.state(c));
        expect(restored.record(c)).toEqual(health.record(c));
        for (const k of KINDS) expect(restored.canServe(c, k)).toBe(health.canServe(c, k));
      }
    },
  );
});
