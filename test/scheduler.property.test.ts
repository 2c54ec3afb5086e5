// Property tests of DESIGN.md invariants 1–5 on the real scheduler, voter, health machine and
// binding policies, driven by in-memory cores with random single-fault placements.
import { fc } from '@fast-check/vitest';
import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { createBinding } from '../dist/binding/index.js';
import { canonicalDigest } from '../dist/codec/canonical.js';
import { CoreHealth } from '../dist/health/core-health.js';
import { DEFAULT_HEALTH } from '../dist/health/defaults.js';
import { TypedEmitter } from '../dist/pool/events.js';
import { HealthBridge } from '../dist/pool/health-bridge.js';
import { resolveOptions } from '../dist/pool/options.js';
import { Scheduler } from '../dist/pool/scheduler.js';
import { Stats } from '../dist/pool/stats.js';
import { TaskRun, type DetailedResult } from '../dist/pool/task.js';
import { ManualTimers, TurnClock } from '../dist/util/clock.js';
import { SeededRandom } from '../dist/util/random.js';
import { FakeCore, type Behaviour } from './support/fake-core.js';
import { SEED } from './support/seed.js';

interface Scenario {
  cores: number;
  cpus: number;
  redundancy: 'dmr' | 'tmr';
  binding: 'dynamic' | 'static';
  faulty: number;
  fault: Exclude<Behaviour, 'ok' | 'noise'>;
  rate: number;
  tasks: number;
  seed: number;
}

async function runScenario(s: Scenario, taskBehaviour?: Behaviour, resting = false) {
  // faultDomain 'none': the fake cores share CPUs freely, as pools with more cores than domains do.
  const options = resolveOptions({
    filename: '/dev/null/tasks.mjs',
    redundancy: s.redundancy,
    binding: s.binding,
    cores: s.cores,
    taskTimeout: 20,
    maxAttempts: 6,
    faultDomain: 'none',
  });
  const random = new SeededRandom(s.seed);
  // Virtual time: replica delays, hangs and the watchdogs' timeouts run on a manual clock.
  const timers = new ManualTimers(1_000_000);
  const ids = Array.from({ length: s.cores }, (_, id) => id);
  const health = new CoreHealth(ids, DEFAULT_HEALTH, timers);
  const cores = ids.map(
    (id) =>
      new FakeCore(
        id,
        id % s.cpus,
        () => {
          if (taskBehaviour !== undefined) return taskBehaviour;
          return id === s.faulty && random.next() < s.rate ? s.fault : 'ok';
        },
        random.fork(),
        health.view(id),
        timers,
        resting,
      ),
  );
  const events = new TypedEmitter();
  const stats = new Stats();
  const policy = createBinding(s.binding, cores, options.k, 0, random.fork());
  const bridge = new HealthBridge(health, policy, cores, options, events, stats);
  const scheduler = new Scheduler(options, cores, policy, bridge, events, stats, timers, new TurnClock(timers));
  bridge.onCapacityChange = () => scheduler.coresChanged();
  bridge.loadOf = (core) => scheduler.load(core);
  const charged = new Set<number>();
  events.on('fault', (e) => {
    if (e.charged) charged.add(e.core);
  });

  let settledTwice = false;
  let allSettled = false;
  const settling = Promise.all(
    Array.from(
      { length: s.tasks },
      (_, i) =>
        new Promise<{ ok: true; result: DetailedResult<number> } | { ok: false; error: Error & { code?: string } }>((done) => {
          let settled = false;
          const once = (value: { ok: true; result: DetailedResult<number> } | { ok: false; error: Error }) => {
            if (settled) settledTwice = true;
            settled = true;
            done(value);
          };
          const task = new TaskRun(
            i,
            'square',
            serialize(i),
            options.k,
            true,
            (result) => once({ ok: true, result: result as DetailedResult<number> }),
            (error) => once({ ok: false, error }),
          );
          scheduler.submit(task);
        }),
    ),
  );
  void settling.then(() => (allSettled = true));
  await drive(timers, () => allSettled);
  const outcomes = await settling;
  // Let late replicas land so their charges are counted.
  await drive(timers, () => timers.pending === 0);
  bridge.close();
  return { outcomes, settledTwice, charged, cores, health };
}

/** Lets every pending promise reaction run (one macrotask turn: no real time passes). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs virtual timers one by one, letting the scheduler react after each, until `done()`. */
async function drive(timers: ManualTimers, done: () => boolean): Promise<void> {
  for (let step = 0; step < 1_000_000; step++) {
    await turn();
    if (done()) return;
    if (!timers.runNext()) {
      await turn();
      if (done()) return;
      throw new Error(`stuck at virtual time ${timers.now()}: no timer is pending and the scenario is not done`);
    }
  }
  throw new Error('the scenario did not finish within a million timer steps');
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  cores: fc.integer({ min: 4, max: 8 }),
  cpus: fc.integer({ min: 1, max: 4 }),
  redundancy: fc.constantFrom('dmr' as const, 'tmr' as const),
  binding: fc.constantFrom('dynamic' as const, 'static' as const),
  faulty: fc.integer({ min: 0, max: 3 }),
  fault: fc.constantFrom('wrong' as const, 'crash' as const, 'hang' as const),
  rate: fc.constantFrom(1, 0.5),
  tasks: fc.integer({ min: 5, max: 25 }),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

/** Fewer cores and more tasks: batches of several replicas, so cores run ahead of one another and rest. */
const busyScenario: fc.Arbitrary<Scenario> = fc.record({
  cores: fc.integer({ min: 4, max: 5 }),
  cpus: fc.integer({ min: 1, max: 3 }),
  redundancy: fc.constantFrom('dmr' as const, 'tmr' as const),
  binding: fc.constantFrom('dynamic' as const, 'static' as const),
  faulty: fc.integer({ min: 0, max: 2 }),
  fault: fc.constantFrom('wrong' as const, 'crash' as const, 'hang' as const),
  rate: fc.constantFrom(1, 0.5, 0.1),
  tasks: fc.integer({ min: 20, max: 80 }),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

/** DESIGN.md's invariants 1-5 on one scenario's outcome, with at most one faulty core and cores to spare. */
function expectInvariants(s: Scenario, { outcomes, settledTwice, charged, health, cores }: Awaited<ReturnType<typeof runScenario>>): void {
  expect(settledTwice).toBe(false); // invariant 2
  // Every returned replica was judged or forgone: no core's evidence is left waiting (health/order.ts).
  for (const core of cores) expect(health.pending(core.id)).toBe(0);
  for (const [i, outcome] of outcomes.entries()) {
    // Invariant 3: every task returns the right value.
    if (!outcome.ok) throw new Error(`task ${i} rejected: ${outcome.error.message}`);
    const { value, replicas } = outcome.result;
    expect(value).toBe(i * i);
    // Invariant 1: the returned value was produced by a majority of the planned replicas.
    const digest = canonicalDigest(value);
    expect(replicas.filter((r) => r.digest === digest).length).toBeGreaterThanOrEqual(2);
    // Invariant 4: no core ran the task twice.
    const ran = replicas.filter((r) => r.status !== 'lost');
    expect(new Set(ran.map((r) => r.core)).size).toBe(ran.length);
  }
  // Invariant 5: only the faulty core is ever charged.
  for (const core of charged) expect(core).toBe(s.faulty);
}

describe('scheduler invariants under random single-fault placements', () => {
  it('settles every task once, returns only majority values, corrects single faults, never reuses a core, charges only the faulty core', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        expectInvariants(s, await runScenario(s));
      }),
      { seed: SEED, numRuns: 60, verbose: true },
    );
  });

  it('with cores that hold answers the main thread does not wait for (the wake choice), no task is stalled, lost or wrong', async () => {
    await fc.assert(
      fc.asyncProperty(busyScenario, async (s) => {
        // drive() throws when no timer is pending and a task is still unsettled: a stalled wake choice.
        expectInvariants(s, await runScenario(s, undefined, true));
      }),
      { seed: SEED + 2, numRuns: 60, verbose: true },
    );
  });

  it('a non-deterministic task rejects with ERR_NO_MAJORITY and never disables a core', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { outcomes, charged, health, cores } = await runScenario({ ...s, tasks: 8 }, 'noise');
        for (const outcome of outcomes) {
          expect(outcome.ok).toBe(false);
          if (!outcome.ok) expect(outcome.error.code).toBe('ERR_NO_MAJORITY');
        }
        expect(charged.size).toBe(0);
        for (const core of cores) expect(health.state(core.id)).toBe('healthy');
        for (const core of cores) expect(health.pending(core.id)).toBe(0); // given-up replicas were forgone
      }),
      { seed: SEED + 1, numRuns: 25, verbose: true },
    );
  });
});
