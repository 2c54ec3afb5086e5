// Property checks of the simulator over random small scenarios: every task settles exactly
// once (the simulator asserts it and throws otherwise), nothing is lost, the counts add up,
// and with a single faulty core no wrong value and no failure ever reaches a caller.
import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { EventHeap } from '../dist/sim/queue.js';
import { resolveConfig } from '../dist/sim/scenario.js';
import { simulate } from '../dist/sim/simulate.js';

import { SEED } from './support/seed.js';

const seed = SEED;

const scenarioArb = fc.record({
  cores: fc.integer({ min: 3, max: 12 }),
  cpuDiv: fc.integer({ min: 1, max: 3 }),
  redundancy: fc.constantFrom('dmr', 'tmr'),
  binding: fc.constantFrom('static', 'dynamic'),
  spares: fc.integer({ min: 0, max: 2 }),
  count: fc.integer({ min: 1, max: 400 }),
  arrival: fc.oneof(
    fc.record({ kind: fc.constant('closed'), concurrency: fc.integer({ min: 1, max: 24 }) }),
    fc.record({ kind: fc.constant('poisson'), rate: fc.integer({ min: 200, max: 20_000 }) }),
  ),
  service: fc.constantFrom('constant', 'exponential', 'lognormal'),
  transient: fc.constantFrom(0, 0.01, 0.1),
  failed: fc.integer({ min: 0, max: 3 }),
  failureMode: fc.constantFrom('wrong', 'crash', 'hang'),
  crash: fc.constantFrom(0, 0.02),
  hang: fc.constantFrom(0, 0.02),
  commonMode: fc.constantFrom(0, 0.5),
  intermittent: fc.boolean(),
  lifetimes: fc.boolean(),
  selfTest: fc.boolean(),
  flaky: fc.boolean(),
  falseAlarm: fc.constantFrom(1e-9, 1e-4),
  sigma: fc.constantFrom(0, 0.3),
  batch: fc.constantFrom('auto', true, false),
  costs: fc.constantFrom([0, 0, 0], [0.1, 0.05, 0.02]),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

type Arb = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function configOf(s: Arb) {
  return resolveConfig({
    cores: s.cores,
    cpus: Math.max(1, Math.ceil(s.cores / s.cpuDiv)),
    redundancy: s.redundancy,
    binding: s.binding,
    // Static binding keeps one group beside its spares (the pool's rule, ERR_INVALID_OPTION beyond it).
    spares: Math.min(s.spares, s.cores - (s.redundancy === 'tmr' ? 3 : 2)),
    taskTimeout: 20,
    maxAttempts: 4,
    batch: s.batch,
    overhead: s.costs[0],
    mainOverhead: s.costs[1],
    latency: s.costs[2],
    tasks: { count: s.count, arrival: s.arrival, service: s.service === 'lognormal' ? { dist: 'lognormal', mean: 1, cv: 0.5 } : { dist: s.service, mean: 1 } },
    speed: { sigma: s.sigma, jitter: s.sigma },
    health: { falseAlarm: s.falseAlarm, selfTest: s.selfTest ? { after: 5, passes: 2, probeMs: 0.5 } : false },
    faults: {
      transient: { rate: s.transient },
      failed: Math.min(s.failed, s.cores),
      failureMode: s.failureMode,
      crash: { rate: s.crash },
      hang: { rate: s.hang },
      commonMode: s.commonMode,
      intermittent: s.intermittent ? { cores: 1, every: 20, length: 5 } : false,
      lifetimes: s.lifetimes ? { dist: 'weibull', shape: 1.5, scale: 50, fraction: 0.3 } : false,
      flaky: s.flaky ? { share: 0.3, rate: 0.05 } : { share: 0, rate: 0 },
    },
    seed: s.seed,
  });
}

describe('simulator properties', () => {
  it('every task settles exactly once, none is lost, the outcomes add up', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const r = simulate(configOf(s)); // throws on a double settle or a lost task
        expect(r.tasks.lost).toBe(0);
        expect(r.tasks.settled).toBe(s.count);
        expect(r.tasks.submitted).toBe(s.count);
        expect(r.tasks.correct + r.tasks.sdc + r.tasks.noMajority + r.tasks.notEnoughCores).toBe(s.count);
        if (s.commonMode === 0) expect(r.tasks.sdc).toBe(0); // distinct wrong digests never agree
        expect(r.capacity.final).toBeLessThanOrEqual(s.cores);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('one stuck core never reaches a caller: TMR outvotes it, DMR tie-breaks on a third core', () => {
    fc.assert(
      fc.property(
        fc.record({
          cores: fc.integer({ min: 4, max: 10 }),
          redundancy: fc.constantFrom('dmr', 'tmr'),
          binding: fc.constantFrom('static', 'dynamic'),
          count: fc.integer({ min: 1, max: 300 }),
          seed: fc.integer({ min: 0, max: 1_000_000 }),
          core: fc.nat(),
        }),
        (s) => {
          const r = simulate(
            resolveConfig({
              cores: s.cores,
              redundancy: s.redundancy,
              binding: s.binding,
              tasks: { count: s.count, service: { dist: 'exponential', mean: 1 } },
              faults: { failed: [s.core % s.cores] },
              seed: s.seed,
            }),
          );
          expect(r.tasks.correct).toBe(s.count);
          expect(r.tasks.sdc + r.tasks.noMajority + r.tasks.notEnoughCores).toBe(0);
        },
      ),
      { seed, numRuns: 100 },
    );
  });

  it('the event heap pops in time order, ties in insertion order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (times) => {
        const heap = new EventHeap();
        times.forEach((t, i) => heap.push(t, 1, i, 0));
        const out: [number, number][] = [];
        while (heap.size > 0) {
          heap.pop();
          out.push([heap.t, heap.x]);
        }
        const expected = times.map((t, i) => [t, i] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(out).toEqual(expected);
      }),
      { seed, numRuns: 200 },
    );
  });
});
