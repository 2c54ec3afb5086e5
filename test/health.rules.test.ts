// Self-tests, salvage and blame rules of the health model (split from health.test.ts for size).
import { describe, expect, it } from 'vitest';
import { CoreHealth, type HealthEffects } from '../dist/health/index.js';
import { SeededRandom } from '../dist/util/random.js';

import { chargeN, disable, ids, make, selfTest, wrong } from './support/health.js';

describe('self-tests, probation and retirement', () => {
  it('KAT reintegration → probation → healthy', () => {
    const { health, clock } = make({ selfTest: selfTest() });
    disable(health, 4);
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
    disable(health, 0);
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
    disable(health, 1);
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
      disable(health, 2);
      expect(health.state(2)).toBe('disabled');
      clock.advance(10_000);
      for (let i = 0; i < 3; i++) health.selfTestResult(2, true);
      for (let i = 0; i < 5; i++) health.success(2, 'fib');
      expect(health.state(2)).toBe('healthy');
      expect(health.record(2).probations).toBe(round);
    }
    const fx = disable(health, 2).at(-1)!;
    expect(health.state(2)).toBe('retired');
    expect(fx.transitions.at(-1)).toMatchObject({ to: 'retired', reason: expect.stringContaining('after 2 probation') });
  });

  it('maxProbations 0 retires on the first disabling', () => {
    const { health } = make({ selfTest: selfTest({ maxProbations: 0 }) });
    disable(health, 0);
    expect(health.state(0)).toBe('retired');
  });

  it('a failed KAT on a serving core takes it out at once', () => {
    const { health } = make({ selfTest: selfTest() });
    const fx = health.selfTestResult(3, false, 'hash mismatch');
    expect(fx.transitions).toEqual([
      expect.objectContaining({
        from: 'healthy',
        to: 'disabled',
        reason: expect.stringContaining('hash mismatch'),
        evidence: expect.objectContaining({ kind: 'self-test' }),
      }),
    ]);
  });
});

describe('software core salvaging', () => {
  const salvage = { maxKinds: 2 };

  it('a core faulting on one kind is excluded from that kind only', () => {
    const { health } = make({ salvage });
    const fxs = disable(health, 3, 'matmul');
    const last = fxs.at(-1)!;
    expect(last.exclusions).toEqual([expect.objectContaining({ core: 3, taskName: 'matmul' })]);
    expect(health.canServe(3, 'matmul')).toBe(false);
    expect(health.canServe(3, 'fib')).toBe(true);
    expect(health.state(3)).not.toBe('disabled');
    expect(health.record(3).excludedKinds).toEqual(['matmul']);
  });

  it('excluded from more than maxKinds kinds → disabled entirely', () => {
    const { health } = make({ salvage });
    disable(health, 0, 'a');
    disable(health, 0, 'b');
    expect(health.state(0)).toBe('healthy');
    const fx = disable(health, 0, 'c').at(-1)!;
    expect(fx.exclusions).toHaveLength(1);
    expect(fx.transitions.at(-1)).toMatchObject({ to: 'disabled', reason: expect.stringContaining('more than salvage.maxKinds') });
    expect(health.canServe(0, 'd')).toBe(false);
  });

  it('each kind is judged on its own evidence: a core bad on one kind keeps serving the others', () => {
    const { health } = make({ salvage });
    for (let i = 0; i < 40; i++) {
      chargeN(health, 0, 1, 'a');
      for (const c of ids(6)) health.success(c, 'b');
    }
    expect(health.canServe(0, 'a')).toBe(false);
    expect(health.canServe(0, 'b')).toBe(true);
    const fx = health.charge(0, wrong('a')); // a straggler on the excluded kind
    expect(fx.exclusions).toEqual([]);
    expect(health.state(0)).not.toBe('disabled');
  });

  it('a salvaged core that fails a KAT is disabled entirely', () => {
    const { health } = make({ salvage, selfTest: selfTest() });
    disable(health, 0, 'a');
    expect(health.state(0)).not.toBe('disabled');
    health.selfTestResult(0, false);
    expect(health.state(0)).toBe('disabled');
  });

  it('without salvage charges are per core only', () => {
    const { health } = make();
    const fx = disable(health, 0, 'a').at(-1)!;
    expect(fx.exclusions).toEqual([]);
    expect(health.state(0)).toBe('disabled');
  });
});

/** TMR-like rounds on one kind: 3 distinct serving cores, each out-voted when `bad(core)` says so. */
function rounds(health: CoreHealth, n: number, cores: number, kind: string, rng: SeededRandom, bad: (core: number) => boolean): HealthEffects[] {
  const out: HealthEffects[] = [];
  for (let i = 0; i < n; i++) {
    const serving = ids(cores).filter((c) => health.canServe(c, kind));
    if (serving.length < 3) break;
    const picked = new Set<number>();
    while (picked.size < 3) picked.add(serving[rng.int(serving.length)]!);
    for (const c of picked) out.push(bad(c) ? health.charge(c, wrong(kind)) : health.success(c, kind));
  }
  return out;
}

describe('non-deterministic kinds (no latch)', () => {
  it('a single stuck core is disabled and never makes its kind read as non-deterministic', () => {
    const { health } = make({ selfTest: selfTest() }, 16);
    const fxs = rounds(health, 400, 16, 'fib', new SeededRandom(5), (c) => c === 5);
    expect(fxs.flatMap((f) => f.suspicions)).toEqual([]);
    expect(fxs.every((f) => f.charged || f.transitions.length === 0 || true)).toBe(true);
    expect(health.state(5)).toBe('disabled');
    for (const c of ids(16)) if (c !== 5) expect(health.state(c)).not.toBe('disabled');
  });

  it('every core out-voted alike (5 %): nobody is disabled, the kind reads non-deterministic, another kind still gets its stuck core out', () => {
    const seed = 0xf1a4;
    const rng = new SeededRandom(seed);
    const { health } = make({}, 12);
    const flaky = rounds(health, 4_000, 12, 'flaky', rng, () => rng.next() < 0.05);
    expect(
      flaky.flatMap((f) => f.suspicions),
      `seed ${seed}`,
    ).toEqual([expect.objectContaining({ taskName: 'flaky', cores: ids(12) })]);
    expect(health.nondeterministicKinds()).toEqual(['flaky']);
    for (const c of ids(12)) expect(health.state(c), `core ${c} seed ${seed}`).not.toBe('disabled');
    // Every charge was still counted: nothing was suppressed, nobody stood out.
    expect(flaky.filter((f) => f.attribution !== undefined).every((f) => f.charged)).toBe(true);
    rounds(health, 200, 12, 'fib', rng, (c) => c === 7);
    expect(health.state(7)).toBe('disabled');
  });

  it('the suspicion ends when the kind turns deterministic again, and a core that then turns bad is disabled', () => {
    const rng = new SeededRandom(77);
    const { health } = make({}, 6);
    rounds(health, 2_000, 6, 'k', rng, () => rng.next() < 0.1);
    expect(health.nondeterministicKinds()).toEqual(['k']);
    const later = rounds(health, 60_000, 6, 'k', rng, () => false);
    expect(later.flatMap((f) => f.suspicions)).toEqual([expect.objectContaining({ taskName: 'k', ended: true })]);
    expect(health.nondeterministicKinds()).toEqual([]);
    rounds(health, 100, 6, 'k', rng, (c) => c === 2);
    expect(health.state(2)).toBe('disabled');
  });

  it('a declared non-deterministic kind is never charged for out-voted replicas; its crashes still are', () => {
    const { health } = make({ nondeterministic: ['uuid'] }, 6);
    const fxs = chargeN(health, 0, 200, 'uuid');
    expect(fxs.every((f) => !f.charged)).toBe(true);
    expect(health.state(0)).toBe('healthy');
    expect(health.record(0).faults).toBe(0);
    const crashes = chargeN(health, 1, 30, 'uuid', { kind: 'crash', taskName: 'uuid' });
    expect(crashes.every((f) => f.charged)).toBe(true);
    expect(health.state(1)).toBe('disabled');
    expect(crashes.flatMap((f) => f.transitions).at(-1)).toMatchObject({ to: 'disabled', attribution: { stream: 'crash' } });
  });

  it('crash and timeout evidence is never suppressed, even in a kind that reads as non-deterministic', () => {
    const rng = new SeededRandom(3);
    const { health } = make({}, 8);
    rounds(health, 2_000, 8, 'k', rng, () => rng.next() < 0.1);
    expect(health.nondeterministicKinds()).toEqual(['k']);
    chargeN(health, 4, 40, 'k', { kind: 'timeout', taskName: 'k' });
    expect(health.state(4)).toBe('disabled');
  });
});
