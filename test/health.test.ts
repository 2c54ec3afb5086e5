import { describe, expect, it } from 'vitest';
import { isTriplexError } from '../dist/errors.js';
import {
  CoreHealth,
  DEFAULT_HEALTH,
  DEFAULT_SELF_TESTS,
  DEFAULT_SELF_TEST_OPTIONS,
  katTasks,
  type HealthEffects,
  type ResolvedHealthOptions,
} from '../dist/health/index.js';
import { ManualClock } from '../dist/util/clock.js';

import { chargeN, disable, ids, make, selfTest, wrong } from './support/health.js';

describe('known-answer tasks', () => {
  it('hard-coded expected answers are the true outputs', () => {
    expect(DEFAULT_SELF_TESTS.map((t) => t.name)).toEqual(['__triplex_kat_int', '__triplex_kat_float', '__triplex_kat_string', '__triplex_kat_hash']);
    for (const kat of DEFAULT_SELF_TESTS) {
      const fn = katTasks[kat.name];
      expect(fn, kat.name).toBeTypeOf('function');
      expect(fn!(structuredClone(kat.input)), kat.name).toStrictEqual(kat.expected);
    }
  });

  it('each KAT depends on its input (a corrupted step changes the answer)', () => {
    const [int, float, str, hash] = DEFAULT_SELF_TESTS.map((k) => k);
    expect(katTasks[int!.name]!({ ...(int!.input as object), seed: 1 })).not.toBe(int!.expected);
    expect(katTasks[float!.name]!({ ...(float!.input as object), x0: 0.5000001 })).not.toBe(float!.expected);
    expect(katTasks[str!.name]!({ ...(str!.input as object), rounds: 63 })).not.toBe(str!.expected);
    expect(katTasks[hash!.name]!({ ...(hash!.input as object), times: 4095 })).not.toBe(hash!.expected);
  });

  it('defaults are frozen and sensible', () => {
    expect(DEFAULT_HEALTH).toMatchObject({ falseAlarm: 1e-9, nondeterministic: [], salvage: false, selfTest: false });
    expect(Object.isFrozen(DEFAULT_HEALTH)).toBe(true);
    expect(DEFAULT_SELF_TEST_OPTIONS.tasks).toBe(DEFAULT_SELF_TESTS);
  });
});

describe('evidence per replica', () => {
  it('a core out-voted round after round turns suspect, then disabled, with the evidence in the transition', () => {
    const { health } = make();
    const fxs = disable(health, 2);
    const moves = fxs.flatMap((fx) => fx.transitions);
    expect(moves.map((t) => [t.from, t.to])).toEqual([
      ['healthy', 'suspect'],
      ['suspect', 'disabled'],
    ]);
    const last = moves.at(-1)!;
    expect(last.reason).toMatch(/fault rate stands out: wrong-result on "fib": wrong rate .* vs base .* statistic .* >= /);
    expect(last.evidence).toMatchObject({ kind: 'wrong-result', taskName: 'fib' });
    expect(last.attribution).toMatchObject({ kind: 'fib', stream: 'wrong', replicas: fxs.length, wrong: fxs.length, crashes: 0, timeouts: 0 });
    expect(last.attribution!.statistic).toBeGreaterThanOrEqual(last.attribution!.threshold);
    expect(last.attribution!.rate).toBeGreaterThan(10 * last.attribution!.base);
    // A stuck core on a fleet of 6 is out within 10 of its replicas; never on its first ones.
    expect(fxs.length).toBeGreaterThan(3);
    expect(fxs.length).toBeLessThanOrEqual(10);
    expect(health.canServe(2, 'fib')).toBe(false);
    expect(health.canServe(0, 'fib')).toBe(true);
    expect(health.score(2)).toBe(1);
  });

  it('every charge carries the evidence so far (counts, rates, statistic, threshold)', () => {
    const { health } = make();
    const fx = chargeN(health, 1, 1)[0]!;
    expect(fx.charged).toBe(true);
    expect(fx.attribution).toMatchObject({ kind: 'fib', stream: 'wrong', replicas: 1, wrong: 1 });
    expect(fx.attribution!.threshold).toBeCloseTo(Math.log((3 * 8) / 1e-9), 9);
    const crash = health.charge(1, { kind: 'crash', taskName: 'fib' });
    expect(crash.attribution).toMatchObject({ stream: 'crash', replicas: 2, wrong: 1, crashes: 1 });
  });

  it('the decision depends on replicas, not on time: the same evidence an hour apart or at once', () => {
    const fast = make().health;
    const slow = make().health;
    const clock = new ManualClock(0);
    const slowest = new CoreHealth(ids(6), DEFAULT_HEALTH, clock);
    const a = disable(fast, 0).length;
    const b = disable(slow, 0).length;
    const evidence: HealthEffects[] = [];
    while (slowest.canServe(0, 'fib')) {
      clock.advance(3_600_000);
      evidence.push(...chargeN(slowest, 0, 1));
    }
    expect(b).toBe(a);
    expect(evidence.length).toBe(a);
  });

  it("a core out-voted at the fleet's own rate is never disabled (10,000 rounds, 2 % of replicas)", () => {
    const { health } = make({}, 4);
    let round = 0;
    for (let i = 0; i < 10_000; i++) {
      for (const c of ids(4)) {
        // Each core is out-voted on every 50th of its replicas, staggered: all alike.
        if ((i + c * 13) % 50 === 0) health.charge(c, wrong());
        else health.success(c, 'fib');
      }
      round++;
    }
    expect(round).toBe(10_000);
    for (const c of ids(4)) expect(health.state(c)).not.toBe('disabled');
  });

  it('falseAlarm 0 never disables on evidence', () => {
    const { health } = make({ falseAlarm: 0 });
    chargeN(health, 0, 200);
    expect(health.canServe(0, 'fib')).toBe(true);
    expect(health.state(0)).toBe('suspect');
  });

  it('a suspect core whose evidence fades reads healthy again, reported once', () => {
    const { health } = make();
    const fxs = chargeN(health, 0, 4);
    expect(health.state(0)).toBe('suspect');
    expect(fxs.flatMap((f) => f.transitions).map((t) => t.to)).toEqual(['suspect']);
    const back: HealthEffects[] = [];
    for (let i = 0; i < 2_000 && health.state(0) === 'suspect'; i++) back.push(health.success(0, 'fib'));
    expect(health.state(0)).toBe('healthy');
    expect(back.flatMap((f) => f.transitions)).toEqual([expect.objectContaining({ from: 'suspect', to: 'healthy', reason: 'the evidence against it faded' })]);
  });

  it('without selfTest a disabled core stays disabled and is never due', () => {
    const { health, clock } = make();
    disable(health, 3);
    clock.advance(1e9);
    expect(health.state(3)).toBe('disabled');
    expect(health.dueForSelfTest()).toEqual([]);
    expect(health.selfTestResult(3, true).transitions).toEqual([]);
  });

  it('charges on disabled or retired cores (straggler replicas) change no state', () => {
    const { health } = make();
    const n = disable(health, 0).length;
    const fx = health.charge(0, wrong());
    expect(fx.transitions).toEqual([]);
    expect(health.record(0).faults).toBe(n + 1);
  });
});

describe('offline', () => {
  it('setOffline from any state, setOnline returns to it', () => {
    const { health, clock } = make({ selfTest: selfTest() });
    disable(health, 1); // disabled
    chargeN(health, 2, 4); // suspect
    expect(health.setOffline(0).transitions).toEqual([expect.objectContaining({ from: 'healthy', to: 'offline' })]);
    expect(health.setOffline(0).transitions).toEqual([]);
    health.setOffline(1);
    health.setOffline(2);
    for (const c of [0, 1, 2]) {
      expect(health.state(c)).toBe('offline');
      expect(health.canServe(c, 'fib')).toBe(false);
    }
    clock.advance(20_000);
    expect(health.dueForSelfTest()).toEqual([]); // never probed while offline
    expect(health.record(1).onlineState).toBe('disabled');
    expect(health.setOnline(0).transitions).toEqual([expect.objectContaining({ from: 'offline', to: 'healthy' })]);
    expect(health.setOnline(1).transitions).toEqual([expect.objectContaining({ from: 'offline', to: 'disabled' })]);
    expect(health.setOnline(2).transitions).toEqual([expect.objectContaining({ from: 'offline', to: 'suspect' })]);
    expect(health.setOnline(2).transitions).toEqual([]);
    expect(health.dueForSelfTest()).toEqual([1]);
    expect(health.record(0).onlineState).toBeUndefined();
  });

  it('retired stays retired across offline/online', () => {
    const { health } = make({ selfTest: selfTest({ maxProbations: 0 }) });
    disable(health, 0);
    health.setOffline(0);
    expect(health.setOnline(0).transitions).toEqual([expect.objectContaining({ from: 'offline', to: 'retired' })]);
  });
});

describe('export / restore', () => {
  it('round trip keeps disabled, retired, excluded and offline cores out; the evidence starts afresh', () => {
    const opts: ResolvedHealthOptions = { ...DEFAULT_HEALTH, salvage: { maxKinds: 2 }, selfTest: selfTest({ maxProbations: 0 }) };
    const clock = new ManualClock(5_000_000);
    const health = new CoreHealth(ids(6), opts, clock);
    chargeN(health, 0, 4, 'a'); // suspect
    health.selfTestResult(1, false); // retired (maxProbations 0)
    disable(health, 2, 'k'); // excluded from k
    disable(health, 3, 'x');
    disable(health, 3, 'y');
    disable(health, 3, 'z'); // disabled via too many kinds → retired (maxProbations 0)
    health.setOffline(4);
    health.charge(5, wrong('f'));
    const snap = health.export();
    const json = JSON.parse(JSON.stringify(snap)) as typeof snap;
    expect(json).toEqual(snap);

    const clock2 = new ManualClock(3); // a new process: performance.now() restarted
    const restored = new CoreHealth(ids(6), opts, clock2, json);
    expect(health.state(0)).toBe('suspect');
    for (const c of ids(6)) {
      expect(restored.state(c)).toBe(health.state(c) === 'suspect' ? 'healthy' : health.state(c));
      // Counts are not exported: a restored serving core starts with no evidence against it.
      expect(restored.score(c)).toBe(0);
      expect(restored.record(c).excludedKinds).toEqual(health.record(c).excludedKinds);
      expect(restored.canServe(c, 'k')).toBe(health.canServe(c, 'k'));
    }
    expect(restored.state(1)).toBe('retired');
    expect(restored.setOnline(4).transitions).toEqual([expect.objectContaining({ to: 'healthy' })]);
  });

  it('a restored disabled core is probed `after` ms after the restart; offline + retired stays retired', () => {
    const opts = { ...DEFAULT_HEALTH, selfTest: selfTest() };
    const { health } = make(opts);
    disable(health, 0);
    const retiring = make({ ...opts, selfTest: selfTest({ maxProbations: 0 }) }).health;
    disable(retiring, 1);
    retiring.setOffline(1);
    const snap = { version: 1 as const, cores: [health.record(0), retiring.record(1)] };
    const clock = new ManualClock(0);
    const restored = new CoreHealth(ids(3), opts, clock, snap);
    expect(restored.state(0)).toBe('disabled');
    expect(restored.dueForSelfTest()).toEqual([]);
    clock.advance(10_000);
    expect(restored.dueForSelfTest()).toEqual([0]);
    expect(restored.state(1)).toBe('offline');
    expect(restored.setOnline(1).transitions).toEqual([expect.objectContaining({ to: 'retired' })]);
    expect(restored.state(2)).toBe('healthy');
  });

  it('a snapshot of an older version naming non-deterministic kinds is accepted and latches nothing', () => {
    const { health } = make({}, 6);
    const snap = { ...health.export(), nondeterministic: ['flaky'] };
    const restored = new CoreHealth(ids(6), DEFAULT_HEALTH, new ManualClock(), snap);
    expect(restored.export().nondeterministic).toBeUndefined();
    expect(chargeN(restored, 0, 1, 'flaky')[0]!.charged).toBe(true);
    disable(restored, 0, 'flaky');
  });

  it('rejects a malformed snapshot with ERR_INVALID_OPTION', () => {
    const bad = [null, { version: 2, cores: [] }, { version: 1, cores: [{ core: 0, state: 'weird' }] }];
    for (const snap of bad) {
      let error: unknown;
      try {
        new CoreHealth(ids(2), DEFAULT_HEALTH, new ManualClock(), snap as never);
      } catch (e) {
        error = e;
      }
      expect(isTriplexError(error)).toBe(true);
      expect((error as { code: string }).code).toBe('ERR_INVALID_OPTION');
    }
  });
});

describe('API details', () => {
  it('record() returns a copy', () => {
    const { health } = make({ salvage: { maxKinds: 2 } });
    disable(health, 0, 'a');
    const rec = health.record(0);
    rec.excludedKinds.push('zzz');
    rec.state = 'retired';
    expect(health.record(0).excludedKinds).toEqual(['a']);
    expect(health.canServe(0, 'zzz')).toBe(true);
  });

  it('unknown cores: canServe false, queries throw RangeError', () => {
    const { health } = make({}, 2);
    expect(health.canServe(9, 'fib')).toBe(false);
    expect(() => health.state(9)).toThrow(RangeError);
    expect(() => health.charge(9, wrong())).toThrow(RangeError);
    expect(health.success(9, 'fib').transitions).toEqual([]);
  });

  it('rejects invalid options and duplicate core ids', () => {
    const clock = new ManualClock();
    const emptyKats = { selfTest: { ...DEFAULT_SELF_TEST_OPTIONS, tasks: [] } };
    const bad = [{ falseAlarm: -1 }, { falseAlarm: 0.9 }, { nondeterministic: 'x' }, { salvage: { maxKinds: 1.5 } }, emptyKats];
    for (const o of bad) {
      expect(() => new CoreHealth([0], { ...DEFAULT_HEALTH, ...o } as ResolvedHealthOptions, clock), JSON.stringify(o)).toThrow(/health\./);
    }
    expect(() => new CoreHealth([0, 0], DEFAULT_HEALTH, clock)).toThrow(/distinct/);
  });
});
