// Self-tests, salvage and blame rules of the health model (split from health.test.ts for size).
import { describe, expect, it } from 'vitest';
import {
  CoreHealth,
  DEFAULT_HEALTH,
  DEFAULT_SELF_TEST_OPTIONS,
  type FaultEvidence,
  type HealthEffects,
  type ResolvedHealthOptions,
  type ResolvedSelfTestOptions,
} from '../src/health/index.js';
import { ManualClock } from '../src/util/clock.js';
import { SeededRandom } from '../src/util/random.js';

import { H, chargeN, ids, make, selfTest, wrong } from './support/health.js';

describe('self-tests, probation and retirement', () => {
  it('KAT reintegration → probation → healthy', () => {
    const { health, clock } = make({ selfTest: selfTest() });
    chargeN(health, 4, 3);
    expect(health.dueForSelfTest()).toEqual([]);
    clock.advance(9_999);
    expect(health.dueForSelfTest()).toEqual([]);
    clock.advance(1);
    expect(health.dueForSelfTest()).toEqual([4]);
    expect(health.nextSelfTest(4)?.name).toBe('__triplex_kat_int');
    expect(health.selfTestResult(4, true).transitions).toEqual([]);
    expect(health.nextSelfTest(4)?.name).toBe('__triplex_kat_float');
    health.selfTestResult(4, true);
    expect(health.dueForSelfTest()).toEqual([4]);
    const fx = health.selfTestResult(4, true);
    expect(fx.transitions).toEqual([expect.objectContaining({ core: 4, from: 'disabled', to: 'probation', reason: expect.stringContaining('passed 3') })]);
    expect(health.state(4)).toBe('probation');
    expect(health.canServe(4, 'fib')).toBe(true);
    expect(health.record(4).probations).toBe(1);
    expect(health.dueForSelfTest()).toEqual([]);
    for (let i = 0; i < 4; i++) expect(health.success(4, 'fib').transitions).toEqual([]);
    const end = health.success(4, 'fib');
    expect(end.transitions).toEqual([expect.objectContaining({ from: 'probation', to: 'healthy', reason: expect.stringContaining('completed probation') })]);
    expect(health.score(4)).toBe(0);
  });

  it('a wrong answer keeps the core disabled, resets the streak and restarts the timer', () => {
    const { health, clock } = make({ selfTest: selfTest() });
    chargeN(health, 0, 3);
    clock.advance(10_000);
    health.selfTestResult(0, true);
    health.selfTestResult(0, true);
    const fx = health.selfTestResult(0, false, 'kat int wrong');
    expect(fx.transitions).toEqual([]);
    expect(health.state(0)).toBe('disabled');
    expect(health.dueForSelfTest()).toEqual([]);
    clock.advance(10_000);
    expect(health.dueForSelfTest()).toEqual([0]);
    health.selfTestResult(0, true);
    health.selfTestResult(0, true);
    expect(health.state(0)).toBe('disabled'); // streak restarted from 0
    health.selfTestResult(0, true);
    expect(health.state(0)).toBe('probation');
  });

  it('a fault on probation retires the core for good', () => {
    const { health, clock } = make({ selfTest: selfTest() });
    chargeN(health, 1, 3);
    clock.advance(10_000);
    for (let i = 0; i < 3; i++) health.selfTestResult(1, true);
    const ev = wrong('fib', 99);
    const fx = health.charge(1, ev);
    expect(fx.transitions).toEqual([expect.objectContaining({ from: 'probation', to: 'retired', evidence: ev, reason: expect.stringContaining('probation') })]);
    clock.advance(1e9);
    expect(health.dueForSelfTest()).toEqual([]);
    expect(health.state(1)).toBe('retired');
    expect(health.selfTestResult(1, true).transitions).toEqual([]);
    expect(health.success(1, 'fib').transitions).toEqual([]);
  });

  it('a core disabled again after maxProbations probations is retired', () => {
    const { health, clock } = make({ selfTest: selfTest({ maxProbations: 2 }) });
    for (let round = 1; round <= 2; round++) {
      chargeN(health, 2, 3);
      expect(health.state(2)).toBe('disabled');
      clock.advance(10_000);
      for (let i = 0; i < 3; i++) health.selfTestResult(2, true);
      for (let i = 0; i < 5; i++) health.success(2, 'fib');
      expect(health.state(2)).toBe('healthy');
      expect(health.record(2).probations).toBe(round);
    }
    const fx = chargeN(health, 2, 3).at(-1)!;
    expect(health.state(2)).toBe('retired');
    expect(fx.transitions.at(-1)).toMatchObject({ to: 'retired', reason: expect.stringContaining('after 2 probation') });
  });

  it('maxProbations 0 retires on the first disabling', () => {
    const { health } = make({ selfTest: selfTest({ maxProbations: 0 }) });
    chargeN(health, 0, 3);
    expect(health.state(0)).toBe('retired');
  });

  it('a failed KAT on a serving core takes it out at once', () => {
    const { health } = make({ selfTest: selfTest() });
    const fx = health.selfTestResult(3, false, 'hash mismatch');
    expect(fx.transitions).toEqual([expect.objectContaining({ from: 'healthy', to: 'disabled', reason: expect.stringContaining('hash mismatch'), evidence: expect.objectContaining({ kind: 'self-test' }) })]);
  });
});

describe('software core salvaging', () => {
  const salvage = { maxKinds: 2 };

  it('a core faulting on one kind is excluded from that kind only', () => {
    const { health } = make({ salvage });
    const fxs = chargeN(health, 3, 3, 'matmul');
    const last = fxs.at(-1)!;
    expect(last.exclusions).toEqual([expect.objectContaining({ core: 3, taskName: 'matmul' })]);
    expect(health.canServe(3, 'matmul')).toBe(false);
    expect(health.canServe(3, 'fib')).toBe(true);
    expect(health.state(3)).not.toBe('disabled');
    expect(health.record(3).excludedKinds).toEqual(['matmul']);
  });

  it('excluded from more than maxKinds kinds → disabled entirely', () => {
    const { health, clock } = make({ salvage });
    chargeN(health, 0, 3, 'a');
    clock.advance(10 * H);
    chargeN(health, 0, 3, 'b');
    clock.advance(10 * H);
    expect(health.state(0)).toBe('healthy');
    const fx = chargeN(health, 0, 3, 'c').at(-1)!;
    expect(fx.exclusions).toHaveLength(1);
    expect(fx.transitions.at(-1)).toMatchObject({ to: 'disabled', reason: expect.stringContaining('more than salvage.maxKinds') });
    expect(health.canServe(0, 'd')).toBe(false);
  });

  it('faults spread over kinds disable the whole core', () => {
    const { health } = make({ salvage });
    health.charge(0, wrong('a'));
    health.charge(0, wrong('b'));
    const fx = health.charge(0, wrong('a'));
    expect(fx.exclusions).toEqual([]);
    expect(health.state(0)).toBe('disabled');
  });

  it('a salvaged core that fails a KAT is disabled entirely', () => {
    const { health } = make({ salvage, selfTest: selfTest() });
    chargeN(health, 0, 3, 'a');
    expect(health.state(0)).not.toBe('disabled');
    health.selfTestResult(0, false);
    expect(health.state(0)).toBe('disabled');
  });

  it('without salvage charges are per core only', () => {
    const { health } = make();
    const fx = chargeN(health, 0, 3, 'a').at(-1)!;
    expect(fx.exclusions).toEqual([]);
    expect(health.state(0)).toBe('disabled');
  });
});

describe('blame concentration', () => {
  it('a single stuck core never triggers suspicion', () => {
    const { health, clock } = make({ selfTest: selfTest() }, 16);
    for (let i = 0; i < 200; i++) {
      const fx = health.charge(5, wrong());
      expect(fx.suspicions).toEqual([]);
      expect(fx.charged).toBe(true);
      clock.advance(50);
    }
    expect(health.state(5)).toBe('disabled');
  });

  it('disagreements spread over many cores: suspicion once, charges stop, no core disabled', () => {
    const seed = 0xf1a4;
    const rng = new SeededRandom(seed);
    const { health, clock } = make({}, 12);
    const suspicions: unknown[] = [];
    for (let i = 0; i < 300; i++) {
      const core = rng.int(12);
      const fx = health.charge(core, wrong('flaky'));
      suspicions.push(...fx.suspicions);
      if (suspicions.length > 0 && fx.suspicions.length === 0) expect(fx.charged, `seed ${seed}`).toBe(false);
      clock.advance(10);
    }
    expect(suspicions, `seed ${seed}`).toEqual([expect.objectContaining({ taskName: 'flaky' })]);
    for (const c of ids(12)) expect(health.state(c), `core ${c} seed ${seed}`).not.toBe('disabled');
    // Forgiven: only suspect from what came before the suspicion, and healthy once decayed.
    clock.advance(10 * H);
    for (const c of ids(12)) expect(health.state(c)).toBe('healthy');
    // Other kinds are still charged.
    expect(health.charge(0, wrong('fib')).charged).toBe(true);
    expect(health.nondeterministicKinds()).toEqual(['flaky']);
  });

  it('forgiveness lowers scores charged by the suspected kind', () => {
    const { health } = make({}, 6);
    health.charge(0, wrong('flaky'));
    health.charge(0, wrong('fib'));
    expect(health.score(0)).toBeCloseTo(2, 6);
    health.charge(1, wrong('flaky'));
    const fx = health.charge(2, wrong('flaky')); // 3 distinct cores, 1 each
    expect(fx.suspicions).toEqual([expect.objectContaining({ taskName: 'flaky', cores: [0, 1, 2] })]);
    expect(fx.charged).toBe(false);
    expect(health.score(0)).toBeCloseTo(1, 6);
    expect(health.score(1)).toBeCloseTo(0, 6);
    expect(health.state(1)).toBe('healthy');
    expect(fx.transitions).toContainEqual(expect.objectContaining({ core: 1, from: 'suspect', to: 'healthy', reason: expect.stringContaining('forgiven') }));
  });

  it('two bad cores that reached disableAt plus one transient elsewhere do not look non-deterministic', () => {
    const { health } = make({}, 16);
    for (let i = 0; i < 3; i++) {
      health.charge(0, wrong());
      health.charge(1, wrong());
    }
    const fx = health.charge(9, wrong());
    expect(fx.suspicions).toEqual([]);
    expect(fx.charged).toBe(true);
    expect(health.state(0)).toBe('disabled');
    expect(health.state(1)).toBe('disabled');
  });

  it('charges spread over more than two half-lives never add up to a suspicion', () => {
    const { health, clock } = make({}, 16);
    for (let i = 0; i < 100; i++) {
      expect(health.charge(i % 16, wrong()).suspicions).toEqual([]);
      clock.advance(2 * H + 1);
    }
  });

  it('a core disabled by the flaky kind comes back when it was right on that kind in between', () => {
    const { health } = make({}, 8);
    for (let i = 0; i < 3; i++) {
      health.charge(0, wrong('flaky'));
      health.success(0, 'flaky');
    }
    expect(health.state(0)).toBe('disabled');
    health.charge(1, wrong('flaky'));
    health.charge(2, wrong('flaky'));
    health.charge(3, wrong('flaky'));
    const fx = health.charge(4, wrong('flaky')); // 3,1,1,1,1 → 3/7 ≤ 0.4? no; next one
    const fx2 = health.charge(5, wrong('flaky'));
    const all = [...fx.suspicions, ...fx2.suspicions];
    expect(all).toHaveLength(1);
    expect(health.state(0)).toBe('healthy');
    expect([...fx.transitions, ...fx2.transitions]).toContainEqual(expect.objectContaining({ core: 0, from: 'disabled', to: 'healthy' }));
  });

  it('a stuck core (never right on the kind) stays disabled when the kind is later suspected', () => {
    const { health } = make({}, 8);
    chargeN(health, 0, 3, 'k');
    for (const c of [1, 2, 3, 4, 5]) health.charge(c, wrong('k'));
    expect(health.nondeterministicKinds()).toEqual(['k']);
    expect(health.state(0)).toBe('disabled');
  });

  it('blame: false charges every disagreement', () => {
    const { health } = make({ blame: false }, 12);
    for (let i = 0; i < 36; i++) expect(health.charge(i % 12, wrong()).charged).toBe(true);
    for (const c of ids(12)) expect(health.state(c)).toBe('disabled');
  });
});
