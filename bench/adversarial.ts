/**
 * The core promise tried adversarially, as counts (the figures behind the vote-integrity tests):
 * - wrong values returned when one core computes a subtly different value, per value kind
 *   (TMR, 6 cores, `--tasks` tasks per kind), and how many of that core's replicas were charged;
 * - disagreements among equal values written in different V8 representations;
 * - tasks lost (never settled) with a throwing `fault` listener;
 * - tasks lost in a DMR abort storm (`--storm` tasks of ~125 µs, 60 in flight, half aborted 0–1 ms
 *   after submit), and wrong values among the rest; its duration and the replicas re-run because
 *   an abort terminated the worker they were queued on, at maxBatch 64 and 8.
 * Every count should be 0 except the charges, which should equal the bad core's replicas.
 *
 *   npm run bench:adversarial -- [--tasks 300] [--storm 20000]
 */
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { FaultInjector, Triplex } from '../dist/index.js';
import { canonicalDigest } from '../dist/codec/canonical.js';
import { arg } from './harness.js';
import { machineInfo, saveResults } from './machine.js';

const MERCURIAL = fileURLToPath(new URL('../test/fixtures/mercurial.mjs', import.meta.url));
const TASKS = fileURLToPath(new URL('../bench/tasks.mjs', import.meta.url));
const fixture = (await import(MERCURIAL)) as { KINDS: string[]; value(input: { kind: string; n: number; bad: number }): unknown };
const machine = machineInfo();
const perKind = arg('tasks', 300);
const storm = arg('storm', 20_000);
const BAD = 0;

/** 6 cores on this machine's CPUs: replicas share CPUs (faultDomain 'none'), which this count does not depend on. */
const pool = (options: Record<string, unknown>): Triplex => new Triplex({ filename: MERCURIAL, cores: 6, faultDomain: 'none', ...options } as never);

async function idle(p: Triplex): Promise<void> {
  while (p.cores.some((core) => core.busy)) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function mercurial(kind: string): Promise<{ kind: string; wrong: number; badReplicas: number; charged: number }> {
  const p = pool({ redundancy: 'tmr', health: { falseAlarm: 0 } });
  let charged = 0;
  p.on('fault', (event) => {
    if (event.core === BAD) charged++;
  });
  const values = await Promise.all(Array.from({ length: perKind }, (_, n) => p.run({ kind, n, bad: BAD }, { name: 'value' })));
  // Exact comparison: equal canonical digests ⇔ indistinguishable clones (property-tested).
  const expected = (n: number): string => canonicalDigest(deserialize(serialize(fixture.value({ kind, n, bad: -1 }))));
  const wrong = values.filter((value, n) => canonicalDigest(value) !== expected(n)).length;
  await idle(p);
  const badReplicas = p.cores[BAD]!.tasks;
  await p.destroy();
  return { kind, wrong, badReplicas, charged };
}

async function representations(): Promise<{ disagreements: number; faults: number }> {
  const p = pool({ redundancy: 'tmr' });
  await Promise.all(Array.from({ length: 200 }, (_, n) => p.run({ n, length: 2200 }, { name: 'integers' })));
  const { disagreements, faults } = p.stats;
  await p.destroy();
  return { disagreements, faults };
}

async function throwingListener(): Promise<{ lost: number; thrown: number }> {
  const faults = new FaultInjector({ seed: 7 }).stuck({ core: 2 });
  const p = new Triplex({ filename: TASKS, cores: 6, faultDomain: 'none', faults, health: { falseAlarm: 0 } } as never);
  let thrown = 0;
  p.on('fault', () => {
    thrown++;
    throw new Error('listener failure');
  });
  p.on('error', () => {});
  let settled = 0;
  const all = Array.from({ length: 200 }, () => p.run(1000, { name: 'work' }).finally(() => settled++));
  await Promise.race([Promise.allSettled(all), new Promise((resolve) => setTimeout(resolve, 30_000))]);
  await p.destroy();
  return { lost: 200 - settled, thrown };
}

async function abortStorm(maxBatch: number): Promise<{ maxBatch: number; lost: number; wrong: number; aborted: number; rerun: number; seconds: number }> {
  const p = pool({ redundancy: 'dmr', cores: 3, maxBatch });
  await p.ready;
  const t0 = performance.now();
  let seed = 12345;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  let inFlight = 0;
  let wrong = 0;
  let aborted = 0;
  let settled = 0;
  for (let i = 0; i < storm; i++) {
    while (inFlight >= 60) await new Promise((resolve) => setImmediate(resolve));
    const abort = rand() < 0.5 ? new AbortController() : undefined;
    inFlight++;
    void p
      .run(125, { name: 'spin', ...(abort ? { signal: abort.signal } : {}) })
      .then(
        (value) => void (value !== 125 && wrong++),
        (error: { code?: string }) => void (abort !== undefined && error.code === 'ERR_ABORTED' ? aborted++ : wrong++),
      )
      .finally(() => {
        inFlight--;
        settled++;
      });
    if (abort !== undefined) {
      if (rand() < 0.5) queueMicrotask(() => abort.abort());
      else setTimeout(() => abort.abort(), 1);
    }
  }
  const deadline = Date.now() + 30_000;
  while (settled < storm && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  const rerun = p.stats.lost;
  await p.destroy();
  return { maxBatch, lost: storm - settled, wrong, aborted, rerun, seconds };
}

console.log(machine.line);
const kinds = [];
for (const kind of fixture.KINDS) kinds.push(await mercurial(kind));
console.table(kinds);
const representation = await representations();
console.log('equal values, different V8 representations (200 TMR tasks):', representation);
const listener = await throwingListener();
console.log('a fault listener that always throws (200 tasks, stuck core):', listener);
const aborts = [await abortStorm(64), await abortStorm(8)];
console.log(`abort storm (${storm} DMR tasks):`);
console.table(aborts);
console.log(`raw results: ${saveResults('adversarial', { machine, perKind, storm, kinds, representation, listener, aborts })}`);
