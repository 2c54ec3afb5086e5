// Fault models as pure decisions: each activates as specified, the same seed gives the same
// decisions whatever the order they are asked in, and bad options are typed errors.
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { FaultInjector, type InjectionRecord, type ReplicaContext } from '../dist/inject/injector.js';
import { flipBits } from '../dist/inject/flip.js';
import { SeededRandom } from '../dist/util/random.js';
import { isTriplexError } from '../dist/errors.js';

import { SEED } from './support/seed.js';

const params = { seed: SEED, numRuns: 100 };

const ctx = (taskId: number, replica: number, core: number): ReplicaContext => ({ taskId, taskName: 't', replica, core });

/** Every (task, replica) of `tasks` tasks, replica r on core (task + r) % cores. */
function sweep(faults: FaultInjector, tasks: number, k = 3, cores = 6): ReturnType<FaultInjector['decide']>[] {
  const out: ReturnType<FaultInjector['decide']>[] = [];
  for (let t = 0; t < tasks; t++) for (let r = 0; r < k; r++) out.push(faults.decide(ctx(t, r, (t + r) % cores)));
  return out;
}

const sortLog = (log: InjectionRecord[]): string[] => log.map((r) => JSON.stringify(r)).sort();

function typedError(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    expect(isTriplexError(error)).toBe(true);
    return error as { code: string; message: string };
  }
  throw new Error('expected a typed error');
}

describe('fault models', () => {
  it('stuck corrupts every result of its core and nothing else', () => {
    const faults = new FaultInjector({ seed: 3 }).stuck({ core: 2, bits: 3 });
    for (let t = 0; t < 200; t++) {
      for (let core = 0; core < 6; core++) {
        const d = faults.decide(ctx(t, 0, core));
        if (core === 2) expect(d?.order.result?.bits).toBe(3);
        else expect(d).toBeUndefined();
      }
    }
    expect(faults.log.every((r) => r.model === 'stuck' && r.core === 2 && r.target === 'result')).toBe(true);
  });

  it('transient fires at its rate, on its target, only on its core when given', () => {
    const any = new FaultInjector({ seed: 5 }).transient({ rate: 0.1 });
    const fired = sweep(any, 10_000).filter((d) => d !== undefined).length;
    // 30,000 replicas at 10 %: 3,000 expected, 5 standard deviations either way.
    expect(fired).toBeGreaterThan(2740);
    expect(fired).toBeLessThan(3260);
    const input = new FaultInjector({ seed: 5 }).transient({ rate: 1, target: 'input', core: 4, bits: 2 });
    for (const d of sweep(input, 100)) if (d !== undefined) expect(d.order).toEqual({ input: { seed: expect.any(Number), bits: 2 } });
    expect(input.log.every((r) => r.core === 4 && r.target === 'input')).toBe(true);
    expect(input.log.length).toBe(50);
  });

  it('intermittent faults come in one burst of `burst` tasks per window of `period` tasks', () => {
    const faults = new FaultInjector({ seed: 11 }).intermittent({ core: 1, period: 100, burst: 7 });
    const hit = new Set<number>();
    for (let t = 0; t < 1000; t++) if (faults.decide(ctx(t, 0, 1)) !== undefined) hit.add(t);
    for (let w = 0; w < 10; w++) {
      const inWindow = [...hit].filter((t) => Math.floor(t / 100) === w).sort((a, b) => a - b);
      expect(inWindow.length).toBe(7);
      expect(inWindow[6]! - inWindow[0]!).toBe(6); // contiguous
    }
    // Bursts sit at seeded offsets, not at the same place in every window.
    const offsets = new Set([...hit].filter((t) => hit.has(t) && !hit.has(t - 1)).map((t) => t % 100));
    expect(offsets.size).toBeGreaterThan(1);
    // At rate 0.5 only some tasks of a burst are hit, and never one outside.
    const half = new FaultInjector({ seed: 11 }).intermittent({ core: 1, period: 100, burst: 40, rate: 0.5 });
    const bursts = new FaultInjector({ seed: 11 }).intermittent({ core: 1, period: 100, burst: 40 });
    let inBurst = 0;
    let fired = 0;
    for (let t = 0; t < 2000; t++) {
      const b = bursts.decide(ctx(t, 0, 1)) !== undefined;
      const h = half.decide(ctx(t, 0, 1)) !== undefined;
      if (h) expect(b).toBe(true);
      inBurst += b ? 1 : 0;
      fired += h ? 1 : 0;
    }
    expect(fired).toBeGreaterThan(inBurst * 0.35);
    expect(fired).toBeLessThan(inBurst * 0.65);
  });

  it('slow asks for a factor, crash and hang for a dead or silent worker', () => {
    const slow = new FaultInjector({ seed: 1 }).slow({ core: 0, factor: 4 });
    expect(slow.decide(ctx(0, 0, 0))?.order).toEqual({ slow: 4 });
    expect(slow.decide(ctx(0, 1, 1))).toBeUndefined();
    expect(slow.log[0]!.target).toBe('timing');
    const worker = new FaultInjector({ seed: 1 }).crash({ rate: 1, core: 1 }).hang({ rate: 1, core: 2 });
    expect(worker.decide(ctx(0, 0, 1))?.order).toEqual({ crash: true });
    expect(worker.decide(ctx(0, 1, 2))?.order).toEqual({ hang: true });
  });

  it('common-mode gives the first replicas of a task the same wrong value', () => {
    const faults = new FaultInjector({ seed: 2 }).commonMode({ rate: 0.2 });
    let tasks = 0;
    for (let t = 0; t < 500; t++) {
      const [a, b, c] = [faults.decide(ctx(t, 0, 0)), faults.decide(ctx(t, 1, 3)), faults.decide(ctx(t, 2, 5))];
      expect(c).toBeUndefined();
      expect(a === undefined).toBe(b === undefined);
      if (a === undefined) continue;
      tasks++;
      // Same flip seed on identical correct values gives identical wrong ones.
      expect(a.order).toEqual(b!.order);
    }
    expect(tasks).toBeGreaterThan(60);
    expect(tasks).toBeLessThan(140);
    const fixed = new FaultInjector({ seed: 2 }).commonMode({ rate: 1, replicas: 3, value: 'WRONG' });
    for (let r = 0; r < 3; r++) expect(fixed.decide(ctx(9, r, r))?.order).toEqual({ replace: { value: 'WRONG' } });
  });

  it('offline/online act on the pool at a task count, and after a time', async () => {
    const calls: string[] = [];
    const pool = { setOffline: (core: number) => calls.push(`off ${core}`), setOnline: (core: number) => calls.push(`on ${core}`) };
    const faults = new FaultInjector().offline({ core: 2, at: 3 }).online({ core: 2, at: 6 }).offline({ core: 1, at: 20, unit: 'ms' });
    for (let t = 0; t < 10; t++) {
      faults.beforeTask(t, pool);
      if (t === 3) expect(calls).toEqual(['off 2']);
    }
    expect(calls).toEqual(['off 2', 'on 2']);
    // The ms-scheduled event fires on a timer started by the pool's first task.
    const deadline = Date.now() + 5_000;
    while (calls.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(calls).toEqual(['off 2', 'on 2', 'off 1']);
    expect(faults.log.map((r) => [r.model, r.core, r.taskId, r.replica, r.applied])).toEqual([
      ['offline', 2, 3, -1, true],
      ['online', 2, 6, -1, true],
      ['offline', 1, -1, -1, true],
    ]);
  });

  it('flips n bits everywhere: numbers, strings, typed arrays, nested values', () => {
    for (const value of [1.5, 'hello world', new Uint8Array([1, 2, 3, 4]), { a: [1, 2, { b: 'x' }], c: 3.25 }]) {
      for (const bits of [1, 2, 5]) {
        const copy = structuredClone(value);
        const { flips } = flipBits(copy, new SeededRandom(bits * 7), bits);
        expect(flips.length).toBe(bits);
        for (const flip of flips) expect(flip.bit).toBeGreaterThanOrEqual(0);
      }
    }
    // n bits are n distinct bits: flipping one bit twice would be no upset at all.
    for (let s = 0; s < 50; s++) {
      const { flips } = flipBits({ x: 1.25, y: 'ab' }, new SeededRandom(s), 12);
      expect(new Set(flips.map((f) => `${f.path}#${f.bit}`)).size).toBe(12);
    }
    const { value, flips } = flipBits(2, new SeededRandom(1), 1);
    expect(value).not.toBe(2);
    expect(flips[0]!.path).toBe('$');
  });

  it('flips inside a Date, a Set and a Map too; a value with nothing to flip becomes a marker two upsets do not share', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const date = new Date(1_700_000_000_000);
      expect(flipBits(date, new SeededRandom(seed)).flips[0]!.path).toBe('$.time');
      expect(date.getTime()).not.toBe(1_700_000_000_000);
      const set = new Set([1, 'two', 3n]);
      const flipped = flipBits(set, new SeededRandom(seed));
      expect(flipped.flips[0]!.path).toMatch(/^\$\.values\(\)\[[0-2]\]$/);
      expect([...set]).not.toEqual([1, 'two', 3n]);
      const map = new Map([['k', 5]]);
      flipBits(map, new SeededRandom(seed));
      expect(map.get('k')).not.toBe(5);
    }
    // Two replicas hit independently: their corrupted values differ, so they cannot out-vote a healthy one together.
    const markers = [1, 2].map((seed) => flipBits(undefined, new SeededRandom(seed)).value);
    expect(markers[0]).not.toEqual(markers[1]);
    expect(markers[0]).toHaveProperty('__triplexCorrupted');
  });
});

describe('determinism', () => {
  test.prop(
    [fc.integer(), fc.array(fc.tuple(fc.nat(500), fc.nat(4), fc.nat(7)), { minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 2 ** 31 - 1 })],
    params,
  )('the same seed makes the same decisions whatever order replicas are decided in', (injectorSeed, contexts, shuffleSeed) => {
    const build = (): FaultInjector =>
      new FaultInjector({ seed: injectorSeed })
        .stuck({ core: 1 })
        .transient({ rate: 0.2, bits: 2 })
        .intermittent({ core: 3, period: 50, burst: 9, rate: 0.7 })
        .slow({ core: 5, factor: 2, rate: 0.3 })
        .crash({ rate: 0.05 })
        .hang({ rate: 0.05, core: 6 })
        .commonMode({ rate: 0.1 });
    const unique = [...new Map(contexts.map(([t, r, c]) => [`${t}:${r}`, ctx(t, r, c)])).values()];
    const a = build();
    for (const c of unique) a.decide(c);
    const b = build();
    const rng = new SeededRandom(shuffleSeed);
    const shuffled = [...unique];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    for (const c of shuffled) b.decide(c);
    expect(sortLog(b.log)).toEqual(sortLog(a.log));
  });

  it('a different seed makes different decisions', () => {
    const run = (s: number): string[] => {
      const faults = new FaultInjector({ seed: s }).transient({ rate: 0.05 });
      sweep(faults, 2000);
      return sortLog(faults.log);
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
    // Seeds beyond 32 bits are seeds of their own (they were cut to 32 bits: 1 and 2³² + 1 agreed).
    expect(run(2 ** 32 + 1)).not.toEqual(run(1));
    expect(run(2 ** 32 - 1)).not.toEqual(run(-1));
    expect(run(2 ** 31)).not.toEqual(run(-(2 ** 31)));
  });

  it('a model aimed at no core decides by task and replica alone: which core ran the replica changes nothing', () => {
    // Under dynamic binding the core a replica lands on depends on thread timing.
    const decisions = (core: (t: number, r: number) => number): string[] => {
      const faults = new FaultInjector({ seed: 9 }).transient({ rate: 0.1 }).crash({ rate: 0.02 });
      for (let t = 0; t < 500; t++) for (let r = 0; r < 3; r++) faults.decide(ctx(t, r, core(t, r)));
      return faults.log.map((x) => `${x.taskId}:${x.replica}:${x.model}:${JSON.stringify(x.flips ?? null)}`).sort();
    };
    expect(decisions((t, r) => r)).toEqual(decisions((t, r) => (t + r) % 5));
  });
});

describe('bad options are typed errors naming the option and the value', () => {
  const cases: [string, () => unknown, string][] = [
    ['transient rate above 1', () => new FaultInjector().transient({ rate: 1.5 }), 'transient.rate'],
    ['negative crash rate', () => new FaultInjector().crash({ rate: -0.1 }), 'crash.rate'],
    ['NaN hang rate', () => new FaultInjector().hang({ rate: Number.NaN }), 'hang.rate'],
    ['string rate', () => new FaultInjector().transient({ rate: '0.1' as unknown as number }), 'transient.rate'],
    ['negative core', () => new FaultInjector().stuck({ core: -1 }), 'stuck.core'],
    ['fractional core', () => new FaultInjector().slow({ core: 1.5, factor: 2 }), 'slow.core'],
    ['bits 0', () => new FaultInjector().stuck({ core: 0, bits: 0 }), 'stuck.bits'],
    ['bits 65', () => new FaultInjector().transient({ rate: 0.1, bits: 65 }), 'transient.bits'],
    ['burst longer than period', () => new FaultInjector().intermittent({ core: 0, period: 5, burst: 6 }), 'intermittent.burst'],
    ['slow factor 1', () => new FaultInjector().slow({ core: 0, factor: 1 }), 'slow.factor'],
    ['common-mode on 4 replicas', () => new FaultInjector().commonMode({ rate: 0.1, replicas: 4 }), 'commonMode.replicas'],
    ['offline unit', () => new FaultInjector().offline({ core: 0, at: 1, unit: 's' as 'ms' }), 'offline.unit'],
    ['online at -1', () => new FaultInjector().online({ core: 0, at: -1 }), 'online.at'],
    ['seed 1.5', () => new FaultInjector({ seed: 1.5 }), 'seed'],
    ['target', () => new FaultInjector().transient({ rate: 0.1, target: 'output' as 'input' }), 'transient.target'],
  ];
  for (const [what, fn, option] of cases) {
    it(what, () => {
      const error = typedError(fn);
      expect(error.code).toBe('ERR_INVALID_OPTION');
      expect(error.message).toContain(`"${option}"`);
      expect(error.message).toMatch(/received/);
    });
  }

  it('a model naming a core the pool lacks', () => {
    const error = typedError(() => new FaultInjector().stuck({ core: 7 }).validateFor(4));
    expect(error.code).toBe('ERR_INVALID_OPTION');
    expect(error.message).toContain('core 7');
  });
});
