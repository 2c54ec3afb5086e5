// Property of stepped tasks on real workers: for random placements of one-off faults (a worker
// crash, or a silently corrupted step, each in its own segment), the final value equals the
// fault-free run's and every output reaches the caller exactly once, in order. The simulator's
// stepped mode (segments chained through the same replication step) is checked for the same
// settle-once and work-lost bounds over random crash rates. Pools of 4 cores on this 2-CPU
// machine use faultDomain 'none' (TMR needs 3 domains): replicas share CPUs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fc } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Triplex } from '../dist/index.js';
import { resolveConfig } from '../dist/sim/scenario.js';
import { simulate } from '../dist/sim/simulate.js';
import { TEST_FAULT_DOMAIN } from './helpers.js';
import { SEED } from './support/seed.js';

const STEPPED = fileURLToPath(new URL('./fixtures/stepped.mjs', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'triplex-stepped-prop-'));
let markers = 0;

const pools: Record<'dmr' | 'tmr', Triplex | undefined> = { dmr: undefined, tmr: undefined };
beforeAll(async () => {
  for (const redundancy of ['dmr', 'tmr'] as const) {
    // Never disable: the same pool takes every run's faults, and the property is about recovery.
    pools[redundancy] = new Triplex({ filename: STEPPED, cores: 4, redundancy, faultDomain: TEST_FAULT_DOMAIN, health: { falseAlarm: 0 } });
    await pools[redundancy]!.ready;
  }
});
afterAll(async () => {
  await Promise.all(Object.values(pools).map((p) => p?.destroy()));
});

/** A crash and/or a corrupted step, each in a segment of its own (two faulty replicas of one segment are outside the fault model). */
const runArb = fc
  .record({
    redundancy: fc.constantFrom('dmr' as const, 'tmr' as const),
    every: fc.integer({ min: 2, max: 8 }),
    segments: fc.integer({ min: 2, max: 6 }),
    crash: fc.option(fc.record({ segment: fc.nat(), offset: fc.nat() })),
    corrupt: fc.option(fc.record({ segment: fc.nat(), offset: fc.nat() })),
  })
  .map((r) => {
    const at = (f: { segment: number; offset: number } | null) =>
      f === null ? undefined : { segment: f.segment % r.segments, step: (f.segment % r.segments) * r.every + 1 + (f.offset % r.every) };
    const crash = at(r.crash);
    let corrupt = at(r.corrupt);
    if (corrupt !== undefined && crash !== undefined && corrupt.segment === crash.segment) corrupt = undefined;
    return { redundancy: r.redundancy, every: r.every, steps: r.every * r.segments, crash: crash?.step, corrupt: corrupt?.step };
  });

describe('stepped tasks under random faults (property, real workers)', () => {
  it('the value equals the fault-free one and outputs arrive exactly once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async ({ redundancy, every, steps, crash, corrupt }) => {
        const input: Record<string, unknown> = { steps };
        // The first replica to reach the step is hit (it claims a fresh marker file).
        if (crash !== undefined) input.crash = { step: crash, marker: path.join(dir, `m${markers++}`) };
        if (corrupt !== undefined) input.corrupt = { step: corrupt, marker: path.join(dir, `m${markers++}`) };
        const outputs: number[] = [];
        const value = await pools[redundancy]!.run(input, { name: 'counter', checkpoint: { steps: every }, onOutput: (x) => outputs.push(x as number) });
        expect(value).toEqual({ sum: (steps * (steps + 1)) / 2, steps, inits: 1 });
        expect(outputs).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
      }),
      { seed: SEED, numRuns: 20 },
    );
  }, 60_000);
});

describe('stepped tasks in the simulator (property)', () => {
  it('every task settles once, none wrong; with checkpoints a crash loses at most one segment of work', () => {
    fc.assert(
      fc.property(
        fc.record({
          rate: fc.constantFrom(0.01, 0.05, 0.2),
          interval: fc.integer({ min: 5, max: 50 }),
          redundancy: fc.constantFrom('dmr', 'tmr'),
          seed: fc.nat(1e6),
        }),
        (r) => {
          const config = resolveConfig({
            cores: 6,
            redundancy: r.redundancy,
            taskTimeout: null,
            tasks: { count: 40, arrival: { kind: 'closed', concurrency: 2 }, service: { dist: 'constant', mean: 200 } },
            faults: { crash: { rate: r.rate } },
            health: { falseAlarm: 0 },
            stepped: { interval: r.interval, cost: 1 },
            seed: r.seed,
          });
          const result = simulate(config);
          expect(result.tasks.settled).toBe(40);
          expect(result.tasks.sdc).toBe(0);
          // A segment whose replicas keep crashing past maxAttempts fails its task (ERR_NO_MAJORITY): never a wrong value.
          expect(result.tasks.correct + result.tasks.noMajority).toBe(40);
          // A correct task votes ceil(200 / interval) segments; a failed one fewer.
          const perTask = Math.ceil(200 / r.interval);
          expect(result.counters.checkpoints).toBeGreaterThanOrEqual(result.tasks.correct * perTask);
          expect(result.counters.checkpoints).toBeLessThanOrEqual(40 * perTask);
          if (result.counters.faults > 0) expect(result.counters.lostWork / result.counters.faults).toBeLessThanOrEqual(r.interval + 1);
        },
      ),
      { seed: SEED, numRuns: 30 },
    );
  });
});
