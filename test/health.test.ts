import { describe, expect, it } from 'vitest';
import { isTriplexError } from '../src/errors.js';
import {
  CoreHealth,
  DEFAULT_HEALTH,
  DEFAULT_SELF_TESTS,
  DEFAULT_SELF_TEST_OPTIONS,
  katTasks,
  type FaultEvidence,
  type HealthEffects,
  type ResolvedHealthOptions,
  type ResolvedSelfTestOptions,
} from '../src/health/index.js';
import { ManualClock } from '../src/util/clock.js';

import { H, chargeN, ids, make, selfTest, wrong } from './support/health.js';

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
    expect(DEFAULT_HEALTH).toMatchObject({ disableAt: 3, halfLife: 60_000, salvage: false, selfTest: false });
    expect(DEFAULT_HEALTH.blame).toEqual({ window: 20, minCores: 3, maxShare: 0.4 });
    expect(Object.isFrozen(DEFAULT_HEALTH)).toBe(true);
    expect(DEFAULT_SELF_TEST_OPTIONS.tasks).toBe(DEFAULT_SELF_TESTS);
  });
});

describe('score and decay', () => {
  it('one charge makes a core suspect, reported with reason and evidence, and it decays back to healthy', () => {
    const { health, clock } = make();
    const ev = wrong('fib', 7);
    const fx = health.charge(2, ev);
    expect(fx.charged).toBe(true);
    expect(fx.transitions).toEqual([{ core: 2, from: 'healthy', to: 'suspect', reason: expect.stringContaining('wrong-result on "fib"'), at: 1_000, evidence: ev }]);
    expect(health.state(2)).toBe('suspect');
    expect(health.score(2)).toBeCloseTo(1, 10);
    clock.advance(H);
    expect(health.score(2)).toBeCloseTo(0.5, 10);
    expect(health.state(2)).toBe('suspect');
    clock.advance(4 * H);
    expect(health.state(2)).toBe('healthy');
    expect(health.canServe(2, 'fib')).toBe(true);
    // The lazy decay is reported on the next call touching the core.
    const done = health.success(2, 'fib');
    expect(done.transitions).toEqual([expect.objectContaining({ core: 2, from: 'suspect', to: 'healthy', reason: 'fault score decayed' })]);
    expect(health.success(2, 'fib').transitions).toEqual([]);
  });

  it('a charge after silent decay reports both moves', () => {
    const { health, clock } = make();
    health.charge(0, wrong());
    clock.advance(10 * H);
    const fx = health.charge(0, wrong());
    expect(fx.transitions.map((t) => [t.from, t.to])).toEqual([
      ['suspect', 'healthy'],
      ['healthy', 'suspect'],
    ]);
  });

  it('disableAt charges in quick succession disable the core', () => {
    const { health, clock } = make();
    health.charge(1, wrong());
    clock.advance(1_000);
    health.charge(1, wrong());
    clock.advance(1_000);
    const fx = health.charge(1, wrong());
    expect(health.state(1)).toBe('disabled');
    expect(fx.transitions).toEqual([expect.objectContaining({ from: 'suspect', to: 'disabled', reason: expect.stringContaining('reached 3') })]);
    expect(health.canServe(1, 'fib')).toBe(false);
    expect(health.canServe(0, 'fib')).toBe(true);
  });

  it('rare faults never disable (charges 40 s apart with a 60 s half-life)', () => {
    const { health, clock } = make();
    for (let i = 0; i < 500; i++) {
      health.charge(0, wrong());
      expect(health.state(0)).toBe('suspect');
      clock.advance(40_000);
    }
    expect(health.score(0)).toBeLessThan(2.9);
  });

  it('halfLife Infinity never forgets', () => {
    const { health, clock } = make({ halfLife: Number.POSITIVE_INFINITY });
    health.charge(0, wrong());
    clock.advance(1e12);
    health.charge(0, wrong());
    clock.advance(1e12);
    health.charge(0, wrong());
    expect(health.state(0)).toBe('disabled');
  });

  it('without selfTest a disabled core stays disabled and is never due', () => {
    const { health, clock } = make();
    chargeN(health, 3, 3);
    clock.advance(1e9);
    expect(health.state(3)).toBe('disabled');
    expect(health.dueForSelfTest()).toEqual([]);
    expect(health.selfTestResult(3, true).transitions).toEqual([]);
  });

  it('charges on disabled or retired cores (straggler replicas) change no state', () => {
    const { health } = make();
    chargeN(health, 0, 3);
    const fx = health.charge(0, wrong());
    expect(fx.transitions).toEqual([]);
    expect(health.record(0).faults).toBe(4);
  });
});

describe('offline', () => {
  it('setOffline from any state, setOnline returns to it', () => {
    const { health, clock } = make({ selfTest: selfTest() });
    chargeN(health, 1, 3); // disabled
    chargeN(health, 2, 1); // suspect
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
    chargeN(health, 0, 3);
    health.setOffline(0);
    expect(health.setOnline(0).transitions).toEqual([expect.objectContaining({ from: 'offline', to: 'retired' })]);
  });
});

describe('export / restore', () => {
  it('round trip keeps disabled, retired, excluded and offline cores out, scores relative to the new clock', () => {
    const opts: ResolvedHealthOptions = { ...DEFAULT_HEALTH, salvage: { maxKinds: 2 }, selfTest: selfTest({ maxProbations: 0 }) };
    const clock = new ManualClock(5_000_000);
    const health = new CoreHealth(ids(6), opts, clock);
    health.charge(0, wrong('a')); // suspect
    health.charge(1, wrong('a'));
    health.charge(1, wrong('b'));
    health.charge(1, wrong('c')); // retired (maxProbations 0)
    chargeN(health, 2, 3, 'k'); // excluded from k
    chargeN(health, 3, 3, 'x');
    chargeN(health, 3, 3, 'y');
    chargeN(health, 3, 3, 'z'); // disabled via too many kinds → retired (maxProbations 0)
    health.setOffline(4);
    health.charge(5, wrong('f'));
    const snap = health.export();
    const json = JSON.parse(JSON.stringify(snap)) as typeof snap;
    expect(json).toEqual(snap);

    const clock2 = new ManualClock(3); // a new process: performance.now() restarted
    const restored = new CoreHealth(ids(6), opts, clock2, json);
    for (const c of ids(6)) {
      expect(restored.state(c)).toBe(health.state(c));
      expect(restored.score(c)).toBeCloseTo(health.score(c), 9);
      expect(restored.record(c).excludedKinds).toEqual(health.record(c).excludedKinds);
      expect(restored.canServe(c, 'k')).toBe(health.canServe(c, 'k'));
    }
    clock2.advance(H);
    expect(restored.score(0)).toBeCloseTo(health.score(0) / 2, 9);
    expect(restored.state(1)).toBe('retired');
    expect(restored.setOnline(4).transitions).toEqual([expect.objectContaining({ to: 'healthy' })]);
  });

  it('a restored disabled core is probed `after` ms after the restart; offline + retired stays retired', () => {
    const opts = { ...DEFAULT_HEALTH, selfTest: selfTest() };
    const { health } = make(opts);
    chargeN(health, 0, 3);
    const retiring = make({ ...opts, selfTest: selfTest({ maxProbations: 0 }) }).health;
    chargeN(retiring, 1, 3);
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

  it('suspected non-deterministic kinds survive a restart', () => {
    const { health } = make({}, 6);
    for (const c of [0, 1, 2]) health.charge(c, wrong('flaky'));
    const snap = health.export();
    expect(snap.nondeterministic).toEqual(['flaky']);
    const restored = new CoreHealth(ids(6), DEFAULT_HEALTH, new ManualClock(), snap);
    expect(restored.charge(0, wrong('flaky')).charged).toBe(false);
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
    chargeN(health, 0, 3, 'a');
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
    for (const o of [{ disableAt: 0 }, { halfLife: -1 }, { salvage: { maxKinds: 1.5 } }, { blame: { window: 20, minCores: 3, maxShare: 0 } }, { selfTest: { ...DEFAULT_SELF_TEST_OPTIONS, tasks: [] } }]) {
      expect(() => new CoreHealth([0], { ...DEFAULT_HEALTH, ...o } as ResolvedHealthOptions, clock), JSON.stringify(o)).toThrow(/health\./);
    }
    expect(() => new CoreHealth([0, 0], DEFAULT_HEALTH, clock)).toThrow(/distinct/);
  });
});
