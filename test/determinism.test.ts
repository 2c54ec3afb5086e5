// Deterministic replicas: the worker-side module in isolation (seeded stream, journaled clock,
// real functions between replicas, captured references) and real pools voting on tasks that call Math.random and the clock.
import { describe, expect, it } from 'vitest';
import { CLOCK_TICK_MS, installDeterminism, runDeterministic, seededRandom } from '../dist/worker/determinism.js';
import { resolveOptions } from '../dist/pool/options.js';
import { pools } from './helpers.js';

describe('worker side', () => {
  it('the same seed gives the same stream of doubles in [0, 1); another seed another', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(1000);
    expect(seededRandom(43)()).not.toBe(xs[0]);
  });

  it('gives one replica the seeded random and the journaled clock, and the real ones between replicas', () => {
    const RealDate = Date;
    installDeterminism();
    // References captured before any replica (as a module or a library captures them at load) follow the replica too.
    const capturedRandom = Math.random;
    const capturedNow = Date.now;
    const capturedPerf = performance.now;
    const order = { seed: 7, now: Date.UTC(2030, 0, 1), perf: 1e9 };
    const run = () => ({
      r: Math.random(),
      t: Date.now(),
      d: new Date().getTime(),
      s: Date(),
      p: performance.now(),
      iso: new Date(0).toISOString(),
      inst: new Date() instanceof RealDate,
    });
    const first = runDeterministic(order, run);
    const second = runDeterministic(order, run);
    expect(second).toEqual(first);
    expect(first.r).toBe(seededRandom(7)());
    expect(first.t).toBe(Date.UTC(2030, 0, 1));
    expect(first.s).toContain('2030');
    expect(first.p).toBeCloseTo(1e9 + 4 * CLOCK_TICK_MS, 6); // the 4th clock read
    expect(first.iso).toBe('1970-01-01T00:00:00.000Z'); // explicit arguments are left alone
    expect(first.inst).toBe(true);
    const captured = runDeterministic(order, () => [capturedRandom(), capturedNow(), capturedPerf()]);
    expect(captured).toEqual([seededRandom(7)(), Date.UTC(2030, 0, 1), 1e9 + 2 * CLOCK_TICK_MS]);
    const realNowAround = (): boolean => Math.abs(Date.now() - new RealDate().getTime()) < 1_000 && Math.abs(new Date().getTime() - Date.now()) < 1_000;
    const betweenReplicas = (): void => {
      expect(realNowAround()).toBe(true);
      expect(Math.abs(performance.now() - capturedPerf())).toBeLessThan(1_000);
      expect(performance.now()).toBeLessThan(1e9 - 1); // the process's own clock, not the journaled one
      expect([Math.random(), Math.random()]).not.toEqual([seededRandom(7)(), seededRandom(7)()].slice(0, 2));
    };
    betweenReplicas();
    expect(() =>
      runDeterministic(order, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    betweenReplicas();
    expect(runDeterministic(undefined, () => 5)).toBe(5);
  });

  it('a busy-wait on the virtual clock ends; an async replica keeps its stream until it settles', async () => {
    const spent = runDeterministic({ now: 0, perf: 0 }, () => {
      const t0 = Date.now();
      let reads = 0;
      while (Date.now() - t0 < 5) reads++;
      return reads;
    });
    expect(spent).toBeGreaterThan(4_000);
    const pair = await runDeterministic({ seed: 1 }, async () => {
      const a = Math.random();
      await new Promise((resolve) => setTimeout(resolve, 1));
      return [a, Math.random()];
    });
    const expected = seededRandom(1);
    expect(pair).toEqual([expected(), expected()]);
    expect(Math.random()).not.toBe(seededRandom(1)()); // the real stream again once it settled
  });
});

describe('the determinism option', () => {
  it('defaults on; false or an object turns parts off; validated', () => {
    const base = { filename: '/tmp/t.mjs', faultDomain: 'none' as const };
    expect(resolveOptions(base).determinism).toEqual({ random: true, clock: true });
    expect(resolveOptions({ ...base, determinism: false }).determinism).toEqual({ random: false, clock: false });
    expect(resolveOptions({ ...base, determinism: { clock: false } }).determinism).toEqual({ random: true, clock: false });
    expect(() => resolveOptions({ ...base, determinism: 'yes' })).toThrow(/"determinism"/);
    expect(() => resolveOptions({ ...base, determinism: { crypto: true } })).toThrow(/"determinism.crypto"/);
  });
});

describe('real pools', () => {
  const pool = pools();

  it('a task calling Math.random votes cleanly: no disagreement, no charge; tasks draw different numbers', async () => {
    const p = pool({ cores: 3 });
    const values = await Promise.all(Array.from({ length: 30 }, () => p.run<number>(null, { name: 'random' })));
    expect(new Set(values).size).toBe(30);
    expect(p.stats.disagreements).toBe(0);
    expect(p.cores.every((c) => c.faults === 0)).toBe(true);
    const pairs = await Promise.all(Array.from({ length: 5 }, () => p.run<number[]>(null, { name: 'asyncRandom' })));
    expect(pairs.every((pair) => pair.length === 2)).toBe(true);
    expect(p.stats.disagreements).toBe(0);
  });

  it('a task reading and waiting on the clock votes cleanly, at the time it was submitted', async () => {
    const p = pool({ cores: 3 });
    const before = Date.now();
    type Clock = { t0: number; after: number; spent: number; isDate: boolean };
    const results = await Promise.all(Array.from({ length: 6 }, () => p.run<Clock>(null, { name: 'clock' })));
    for (const r of results) {
      expect(r.t0).toBeGreaterThanOrEqual(before - 1);
      expect(r.t0).toBeLessThanOrEqual(Date.now());
      expect(r.after).toBeGreaterThan(r.t0);
      expect(r.spent).toBeGreaterThanOrEqual(2);
      expect(r.isDate).toBe(true);
    }
    expect(p.stats.disagreements).toBe(0);
  });

  it('with determinism off, the Math.random task cannot be voted (ERR_NO_MAJORITY), as crypto randomness never can', async () => {
    const p = pool({ cores: 3, maxAttempts: 0, determinism: false });
    await expect(p.run(null, { name: 'random' })).rejects.toMatchObject({ code: 'ERR_NO_MAJORITY' });
    const q = pool({ cores: 3, maxAttempts: 0 });
    await expect(q.run(null, { name: 'uuid' })).rejects.toMatchObject({ code: 'ERR_NO_MAJORITY' });
  });
});
