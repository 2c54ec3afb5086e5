// The sequential test itself (src/health/sequential.ts): unit checks of the CUSUM chart bank and
// seeded property tests of its false-alarm bound and its detection.
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { CHARTS, P1_MAX, alternative, increments, jeffreys, step, threshold } from '../dist/health/sequential.js';
import { SeededRandom } from '../dist/util/random.js';

import { SEED } from './support/seed.js';

const params = { seed: SEED, numRuns: 100 };

const rate = fc.double({ min: 1e-4, max: 0.4, noNaN: true });

describe('chart bank (unit)', () => {
  it('alternatives grow from 3× the base to P1_MAX; a base near 1 tests nothing', () => {
    expect(alternative(0.001, 0)).toBeCloseTo(0.003, 12);
    expect(alternative(0.001, 1)).toBeCloseTo(0.012, 12);
    expect(alternative(0.001, CHARTS - 1)).toBe(P1_MAX);
    const none = increments(0.995);
    expect([...none.fault, ...none.ok].every((x) => x === 0)).toBe(true);
  });

  it('threshold: ln(streams × charts / falseAlarm); 0 never alarms', () => {
    expect(threshold(1e-9, 3)).toBeCloseTo(Math.log((3 * CHARTS) / 1e-9), 12);
    expect(threshold(0, 3)).toBe(Number.POSITIVE_INFINITY);
    expect(threshold(1e-6, 3)).toBeLessThan(threshold(1e-9, 3));
  });

  it('a step is max(0, statistic + increment), per chart; returns the largest', () => {
    const inc = increments(0.01);
    const charts = new Float64Array(CHARTS);
    expect(step(charts, inc, false)).toBe(0);
    const max = step(charts, inc, true);
    expect([...charts]).toEqual([...inc.fault]);
    expect(max).toBe(Math.max(...inc.fault));
    step(charts, inc, false);
    for (let j = 0; j < CHARTS; j++) expect(charts[j]).toBeCloseTo(Math.max(0, inc.fault[j]! + inc.ok[j]!), 12);
  });

  it('Jeffreys rate: (f + ½)/(n + 1), never 0 or 1', () => {
    expect(jeffreys(0, 0)).toBe(0.5);
    expect(jeffreys(0, 99)).toBe(0.005);
    expect(jeffreys(10, 10)).toBeLessThan(1);
  });
});

describe('chart bank (properties)', () => {
  test.prop([rate], params)('a fault raises every active chart, a success lowers it (log-likelihood ratio signs)', (p0) => {
    const inc = increments(p0);
    for (let j = 0; j < CHARTS; j++) {
      if (inc.fault[j] === 0) continue;
      expect(inc.fault[j]).toBeGreaterThan(0);
      expect(inc.ok[j]).toBeLessThan(0);
    }
  });

  test.prop([rate, fc.array(fc.boolean(), { maxLength: 200 })], params)('statistics never go below 0 and the result is their maximum', (p0, outcomes) => {
    const inc = increments(p0);
    const charts = new Float64Array(CHARTS);
    for (const faulted of outcomes) {
      const max = step(charts, inc, faulted);
      expect(Math.min(...charts)).toBeGreaterThanOrEqual(0);
      expect(max).toBe(Math.max(0, ...charts));
    }
  });

  test.prop([rate, fc.nat()], params)("false alarms at the base rate stay within Lorden's bound (mean run length >= e^h / charts)", (p0, s) => {
    const rng = new SeededRandom(s);
    const inc = increments(p0);
    const h = Math.log(CHARTS * 100); // a loose threshold, so alarms are frequent enough to count
    const charts = new Float64Array(CHARTS);
    const steps = 20_000;
    let alarms = 0;
    for (let i = 0; i < steps; i++) {
      if (step(charts, inc, rng.next() < p0) >= h) {
        alarms++;
        charts.fill(0);
      }
    }
    // Bound: one alarm per 100 replicas at most on average; allow for sampling noise.
    expect(alarms).toBeLessThanOrEqual((steps / 100) * 1.5);
  });

  test.prop([fc.double({ min: 1e-3, max: 0.05, noNaN: true }), fc.nat()], params)(
    'a core at 10× the base rate (capped) alarms at the default threshold',
    (p0, s) => {
      const rng = new SeededRandom(s);
      const inc = increments(p0);
      const p = Math.min(0.9, 10 * p0);
      const h = threshold(1e-9, 3);
      const charts = new Float64Array(CHARTS);
      let n = 0;
      while (step(charts, inc, rng.next() < p) < h) n++;
      // Expected: h over the Kullback-Leibler divergence of the best chart; far below this bound.
      expect(n).toBeLessThan(40_000);
    },
  );
});
