/**
 * The core promise, tried adversarially with real workers: a value reaches the caller only when
 * a majority of cores produced that value, and every task settles exactly once, whatever the
 * task returns, whatever user callbacks do, and however aborts race with the workers.
 */
import { describe, expect, it } from 'vitest';
import { isDeepStrictEqual } from 'node:util';
import { serialize } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { pools, until } from './helpers.js';
import { FaultInjector, isTriplexError } from '../dist/index.js';
// @ts-expect-error -- a plain .mjs fixture without types
import * as fixture from './fixtures/mercurial.mjs';

const MERCURIAL = fileURLToPath(new URL('./fixtures/mercurial.mjs', import.meta.url));
const KINDS = (fixture as { KINDS: string[] }).KINDS;
const correctValue = (fixture as { value: (input: { kind: string; n: number; bad: number }) => unknown }).value;
import { SEED } from './support/seed.js';

const seed = SEED;

/** Exactly the value expected: deep-strict equality plus what it does not see (key order, aliasing, classes, causes). */
function exactly(got: unknown, want: unknown): boolean {
  if (!isDeepStrictEqual(got, want)) return false;
  if (typeof want !== 'object' || want === null) return true;
  if (Object.getPrototypeOf(got) !== Object.getPrototypeOf(want)) return false;
  if (JSON.stringify(Object.keys(got as object)) !== JSON.stringify(Object.keys(want))) return false;
  if (want instanceof Error) return exactly((got as Error).cause, want.cause) && (got as Error).name === want.name;
  const g = got as Record<string, unknown>;
  const w = want as Record<string, unknown>;
  if ('x' in w && 'y' in w) return (g.x === g.y) === (w.x === w.y);
  return true;
}

/** A small seeded generator (mulberry32), so a failing storm can be replayed. */
function random(start: number): () => number {
  let a = start >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('a mercurial worker cannot win a vote with a subtly different value', () => {
  const pool = pools();
  const BAD = 0;

  for (const kind of KINDS) {
    it(`${kind}: every answer is the correct value, and the bad core is never in the majority`, async () => {
      // 6 cores, TMR: the bad core serves until it is disabled; every replica of it is out-voted.
      const p = pool({ filename: MERCURIAL, cores: 6, redundancy: 'tmr' });
      let charges = 0;
      p.on('fault', (event) => {
        if (event.core === BAD && event.kind === 'wrong-result') charges++;
      });
      const results = await Promise.all(Array.from({ length: 40 }, (_, n) => p.runDetailed({ kind, n, bad: BAD }, { name: 'value' })));
      for (const [n, result] of results.entries()) {
        expect(exactly(result.value, correctValue({ kind, n, bad: -1 })), `${kind} #${n}`).toBe(true);
        for (const replica of result.replicas) {
          if (replica.core === BAD && replica.status === 'value') expect(replica.ok, `${kind} #${n}: the bad core agreed with the majority`).toBe(false);
        }
      }
      // Late replicas (TMR answers at the first two that agree) are judged when they land.
      await until(() => p.cores.every((core) => !core.busy), 'the last replicas');
      expect(p.cores[BAD]!.tasks).toBeGreaterThan(0);
      expect(charges, 'every replica of the bad core is charged').toBe(p.cores[BAD]!.tasks);
    });
  }

  it('equal values in different V8 representations agree across the old 16 KB byte-vote threshold', async () => {
    const asSmall = serialize(Array.from({ length: 2200 }, (_, i) => i % 1000)).byteLength;
    const doubles = [0.5];
    doubles.pop();
    for (let i = 0; i < 2200; i++) doubles.push(i % 1000);
    expect(asSmall).toBeLessThan(16 * 1024);
    expect(serialize(doubles).byteLength).toBeGreaterThan(16 * 1024); // the precondition: different bytes, either side of 16 KB
    const p = pool({ filename: MERCURIAL, cores: 6, redundancy: 'tmr' });
    const results = await Promise.all(Array.from({ length: 200 }, (_, n) => p.run({ n, length: 2200 }, { name: 'integers' })));
    for (const [n, result] of results.entries()) expect(result).toEqual(Array.from({ length: 2200 }, (_, i) => (n + i * 7) % 1000));
    await until(() => p.cores.every((core) => !core.busy), 'the last replicas'); // late ones are judged too
    expect(p.stats.disagreements).toBe(0);
    expect(p.stats.faults).toBe(0);
  });
});

describe('nothing thrown on the main thread loses a task', () => {
  const pool = pools();

  it('a result too deep to decode rejects that task with a typed error; its batch-mates are unaffected', async () => {
    const p = pool({ filename: MERCURIAL, cores: 3, redundancy: 'dmr' });
    const others = Array.from({ length: 30 }, (_, i) => p.run(50 + i, { name: 'spin' }));
    const deep = p.run(20_000, { name: 'deep' });
    const more = Array.from({ length: 30 }, (_, i) => p.run(80 + i, { name: 'spin' }));
    await expect(deep).rejects.toMatchObject({ code: 'ERR_NOT_CLONEABLE' });
    expect(await Promise.all([...others, ...more])).toEqual([...Array.from({ length: 30 }, (_, i) => 50 + i), ...Array.from({ length: 30 }, (_, i) => 80 + i)]);
    const shallow = (await p.run(500, { name: 'deep' })) as Record<string, unknown>;
    expect(typeof shallow.c).toBe('object');
    await until(() => p.cores.every((core) => !core.busy), 'the last replicas');
    expect(p.stats.faults).toBe(0);
  });

  it('a throwing listener loses and double-settles nothing; its exception goes to the error listeners; other listeners still run', async () => {
    const faults = new FaultInjector({ seed }).stuck({ core: 2 });
    const p = pool({ cores: 6, redundancy: 'tmr', faults, health: { falseAlarm: 0 } });
    const reported: Error[] = [];
    let thrown = 0;
    let seenByNext = 0;
    p.on('fault', () => {
      thrown++;
      throw new Error(`listener failure ${thrown}`);
    });
    p.on('fault', () => {
      seenByNext++;
    });
    p.on('task-settled', () => {
      throw new Error('settled listener failure');
    });
    p.on('error', (error) => reported.push(error));
    const values = await Promise.all(Array.from({ length: 200 }, (_, i) => p.run(20 + (i % 30), { name: 'fib' })));
    const fib = (n: number): number => {
      let [a, b] = [0, 1];
      for (let i = 0; i < n; i++) [a, b] = [b, a + b];
      return a;
    };
    values.forEach((value, i) => expect(value).toBe(fib(20 + (i % 30))));
    // The stuck core's late replicas are charged after their tasks settled: wait for the last ones.
    await until(() => p.cores.every((core) => !core.busy), 'the last replicas');
    expect(thrown).toBeGreaterThan(0);
    expect(thrown).toBe(p.cores[2]!.tasks); // every replica of the stuck core charged, every listener call threw
    expect(seenByNext).toBe(thrown);
    expect(reported.filter((e) => e.message.startsWith('listener failure'))).toHaveLength(thrown);
    expect(reported.filter((e) => e.message === 'settled listener failure')).toHaveLength(200);
    expect(p.stats.completed).toBe(200);
  });

  it('a listener that destroys the pool mid-stream: every task settles exactly once', async () => {
    const p = pool({ cores: 4, redundancy: 'dmr' });
    const settledIds: number[] = [];
    p.on('task-settled', (event) => {
      settledIds.push(event.taskId);
      if (settledIds.length === 50) void p.destroy();
    });
    const outcomes = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => p.run(200 + i, { name: 'spin' })));
    const resolved = outcomes.filter((o) => o.status === 'fulfilled');
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(resolved.length).toBeGreaterThanOrEqual(50);
    for (const r of rejected) expect(r.reason).toMatchObject({ code: 'ERR_DESTROYED' });
    expect(resolved.length + rejected.length).toBe(300);
    expect(new Set(settledIds).size).toBe(settledIds.length);
    expect(settledIds).toHaveLength(300);
  });

  it('a throwing `equals` rejects only the tasks it was comparing, with ERR_EQUALS and its cause; no core is charged', async () => {
    const equals = (a: unknown, b: unknown): boolean => {
      if (Math.floor(a as number) === 7) throw new Error('equals exploded');
      return Math.abs((a as number) - (b as number)) < 1e-6;
    };
    const p = pool({ filename: MERCURIAL, cores: 3, redundancy: 'dmr', equals });
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, x) => p.run(x, { name: 'noisy' })));
    outcomes.forEach((outcome, x) => {
      if (x === 7) {
        expect(outcome.status).toBe('rejected');
        const reason = (outcome as PromiseRejectedResult).reason as Error;
        expect(isTriplexError(reason)).toBe(true);
        expect(reason).toMatchObject({ code: 'ERR_EQUALS' });
        expect((reason.cause as Error).message).toBe('equals exploded');
      } else {
        expect(outcome.status).toBe('fulfilled');
        expect(Math.abs((outcome as PromiseFulfilledResult<number>).value - x)).toBeLessThan(1e-6);
      }
    });
    expect(p.stats.faults).toBe(0);
  });

  it('an `equals` that returns a non-boolean (a promise) is a typed error, never a silent agreement', async () => {
    const p = pool({ filename: MERCURIAL, cores: 3, redundancy: 'dmr', equals: (async () => true) as never });
    await expect(p.run(1, { name: 'noisy' })).rejects.toMatchObject({ code: 'ERR_EQUALS', message: /must return a boolean/ });
  });
});

describe('aborts and timeouts are bound to a replica, not a core', () => {
  const pool = pools();

  for (const redundancy of ['dmr', 'tmr'] as const) {
    it(`${redundancy.toUpperCase()}: a seeded abort storm with crashes settles every task exactly once, none wrong`, async () => {
      const rand = random(seed + (redundancy === 'tmr' ? 1 : 0));
      const faults = new FaultInjector({ seed }).crash({ rate: 0.001 });
      const p = pool({ filename: MERCURIAL, cores: redundancy === 'tmr' ? 4 : 3, redundancy, faults, health: { falseAlarm: 0 } });
      const settledIds = new Map<number, number>();
      p.on('task-settled', (event) => settledIds.set(event.taskId, (settledIds.get(event.taskId) ?? 0) + 1));
      const total = redundancy === 'dmr' ? 20_000 : 10_000;
      let inFlight = 0;
      let aborted = 0;
      let wrong = 0;
      const all: Promise<void>[] = [];
      for (let i = 0; i < total; i++) {
        while (inFlight >= 60) await new Promise((resolve) => setImmediate(resolve));
        const abort = rand() < 0.5 ? new AbortController() : undefined;
        const us = 100 + Math.floor(rand() * 50);
        inFlight++;
        const task = p.run(us, { name: 'spin', ...(abort ? { signal: abort.signal } : {}) }).then(
          (value) => {
            if (value !== us) wrong++;
          },
          (error: { code?: string }) => {
            if (abort === undefined || error.code !== 'ERR_ABORTED') wrong++;
            else aborted++;
          },
        );
        all.push(task.finally(() => inFlight--));
        if (abort !== undefined) {
          // 0–1 ms after submit: queued, placed, running or answered by then.
          const delay = Math.floor(rand() * 2);
          if (delay === 0) queueMicrotask(() => abort.abort(new Error('storm')));
          else setTimeout(() => abort.abort(new Error('storm')), delay);
        }
      }
      const drained = await Promise.race([Promise.all(all).then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 120_000))]);
      const stats = p.stats;
      expect(drained, `tasks never settled: ${total - stats.completed - stats.failed}`).toBe(true);
      expect(wrong).toBe(0);
      expect(aborted).toBeGreaterThan(total / 4);
      expect(stats.completed + stats.failed).toBe(total);
      expect(settledIds.size).toBe(total);
      expect([...settledIds.values()].every((count) => count === 1)).toBe(true);
      expect(stats.crashes).toBeGreaterThan(0);
    });
  }
});

describe('errors keep their meaning', () => {
  const pool = pools();

  it('a thrown built-in error comes back as the same class with its own properties and cause', async () => {
    const p = pool({ filename: MERCURIAL, cores: 3, redundancy: 'dmr' });
    for (const type of ['RangeError', 'TypeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'Error']) {
      const error = await p.run({ type }, { name: 'throws' }).then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string; row?: number },
      );
      expect(error, type).toBeInstanceOf((globalThis as unknown as Record<string, ErrorConstructor>)[type]!);
      expect(error!.constructor.name).toBe(type);
      expect(error!.name).toBe(type);
      expect(error!.message).toBe('bad row');
      expect(error!.code).toBe('E_ROW');
      expect(error!.row).toBe(3);
      expect(error!.cause).toBeInstanceOf(Error);
      expect((error!.cause as Error).message).toBe('inner');
      expect(Object.keys(error!)).toEqual(['code', 'row']);
    }
  });

  it('a custom subclass comes back as its nearest built-in class, keeping its name, properties and cause', async () => {
    const p = pool({ filename: MERCURIAL, cores: 3, redundancy: 'dmr' });
    const error = (await p.run({ type: 'TypeError', custom: true }, { name: 'throws' }).catch((e: unknown) => e)) as TypeError & {
      code?: string;
      rows?: number[];
    };
    expect(error).toBeInstanceOf(TypeError);
    expect(error.name).toBe('LedgerError');
    expect(error.message).toBe('ledger out of balance');
    expect(error.code).toBe('E_LEDGER');
    expect(error.rows).toEqual([1, 2]);
    expect(error.cause).toEqual({ account: 7 });
    expect(error.stack).toContain('ledger out of balance');
  });

  it('an error that is its own cause: thrown, it comes back without the cause (listed as dropped); returned, a typed error and no charge', async () => {
    const p = pool({ filename: MERCURIAL, cores: 3, redundancy: 'dmr' });
    const thrown = (await p.run({ thrown: true }, { name: 'selfCause' }).catch((e: unknown) => e)) as Error;
    expect(thrown.message).toBe('loop');
    expect('cause' in thrown).toBe(false);
    expect((thrown as Error & { droppedProperties?: string[] }).droppedProperties).toEqual(['cause']);
    // Returned, it cannot be decoded on the main thread: judged by its bytes only, which differ with
    // each replica's stack, so no majority (or, with equal stacks, ERR_NOT_CLONEABLE); never a charge.
    const returned = (await p.run({ thrown: false }, { name: 'selfCause' }).catch((e: unknown) => e)) as { code?: string; message: string };
    expect(['ERR_NOT_CLONEABLE', 'ERR_NO_MAJORITY']).toContain(returned.code);
    if (returned.code === 'ERR_NO_MAJORITY') expect(returned.message).toContain('undecodable');
    expect(p.stats.faults).toBe(0);
  });

  it('a crashed replica says why its worker died, in runDetailed and in the fault event', async () => {
    const faults = new FaultInjector({ seed }).crash({ core: 1, rate: 1 });
    const p = pool({ cores: 3, redundancy: 'dmr', faults, health: { falseAlarm: 0 } });
    const details: (string | undefined)[] = [];
    p.on('fault', (event) => details.push(event.detail));
    let crashed: { error?: string } | undefined;
    for (let i = 0; i < 20 && crashed === undefined; i++) {
      const result = await p.runDetailed(25, { name: 'fib' });
      expect(result.value).toBe(75025);
      crashed = result.replicas.find((r) => r.status === 'crash');
    }
    expect(crashed?.error).toMatch(/exit|code/i);
    expect(details.some((d) => d !== undefined && /exit|code/i.test(d))).toBe(true);
  });
});
