/**
 * User code can throw, return or pass values that cannot be turned into text: `{ toString: 1 }`,
 * an object with no prototype. Triplex used `String()` on them where it settles tasks and reports
 * errors, and that threw: tasks were lost, a worker's death crashed the main thread, an abort was
 * ignored. Every path now settles the task once and reports what happened. Real workers throughout
 * (4 cores on 2 CPUs: faultDomain 'none').
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { pools, until } from './helpers.js';

const FILENAME = fileURLToPath(new URL('./fixtures/unprintable.mjs', import.meta.url));
const unprintable = { toString: 1 };

describe('values that cannot be printed', () => {
  const pool = pools();
  const tmr = () => pool({ filename: FILENAME, redundancy: 'tmr', cores: 4, faultDomain: 'none' });

  it('a task every replica of which throws one rejects with it, and runDetailed settles too', async () => {
    const p = tmr();
    await expect(p.run(1, { name: 'throwsUnprintable' })).rejects.toEqual(unprintable);
    await expect(p.runDetailed(1, { name: 'throwsUnprintable' })).rejects.toEqual(unprintable);
    expect(p.stats.failed).toBe(2);
  });

  it("one core's unprintable throw is out-voted: run and runDetailed answer the majority's value", async () => {
    const p = tmr();
    await p.ready;
    for (let i = 0; i < 6; i++) {
      expect(await p.run(i, { name: 'unprintableOnCore0' })).toBe(i);
      expect((await p.runDetailed(i, { name: 'unprintableOnCore0' })).value).toBe(i);
    }
  });

  it('a worker killed by an uncaught value it cannot print is a crash; the pool goes on', async () => {
    const p = pool({ filename: FILENAME, redundancy: 'dmr', cores: 3, faultDomain: 'none', taskTimeout: 5_000 });
    await expect(p.run(0, { name: 'dieUnprintable' })).rejects.toMatchObject({ code: 'ERR_NO_MAJORITY' });
    expect(p.stats.crashes).toBeGreaterThanOrEqual(2);
    expect(await Promise.all([1, 2, 3].map((i) => p.run(i, { name: 'echo' })))).toEqual([1, 2, 3]);
  });

  it('an error whose getters throw is the outcome (what cannot be read is dropped); a result whose getter throws is ERR_NOT_CLONEABLE', async () => {
    const p = tmr();
    const error = (await p.run(0, { name: 'throwsGetterError' }).catch((e: unknown) => e)) as Error & { droppedProperties?: string[] };
    expect(error.message).toBe('kept');
    expect(error.droppedProperties).toEqual(expect.arrayContaining(['code', 'name']));
    await expect(p.run(0, { name: 'returnsGetterNull' })).rejects.toMatchObject({ code: 'ERR_NOT_CLONEABLE', message: /cannot be cloned: null/ });
    expect(p.stats.crashes).toBe(0);
  });

  it('an input whose getter throws null is ERR_NOT_CLONEABLE', async () => {
    const p = tmr();
    const input = {
      get x() {
        throw null;
      },
    };
    await expect(p.run(input, { name: 'echo' })).rejects.toMatchObject({ code: 'ERR_NOT_CLONEABLE' });
  });

  it('an abort whose reason has no prototype rejects with ERR_ABORTED, before and during the run', async () => {
    const p = tmr();
    const reason = Object.create(null) as object;
    await expect(p.run(1, { name: 'echo', signal: AbortSignal.abort(reason) })).rejects.toMatchObject({ code: 'ERR_ABORTED', cause: reason });
    const controller = new AbortController();
    const running = p.run(0, { name: 'dieUnprintable', signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(reason);
    await expect(running).rejects.toMatchObject({ code: 'ERR_ABORTED', cause: reason });
  });

  it('an equals that throws a value with no prototype rejects the task with ERR_EQUALS', async () => {
    const p = pool({
      filename: FILENAME,
      redundancy: 'tmr',
      cores: 4,
      faultDomain: 'none',
      equals: () => {
        throw Object.create(null);
      },
    });
    // Replicas that return different bytes: only equals could make them agree.
    await expect(p.run(1, { name: 'coreId' })).rejects.toMatchObject({ code: 'ERR_EQUALS', message: /failed while comparing/ });
  });

  it("a listener that throws such a value reaches the 'error' listeners as an Error; the other listeners still run", async () => {
    const p = tmr();
    const errors: Error[] = [];
    let second = 0;
    p.on('error', (e) => errors.push(e));
    p.on('task-settled', () => {
      throw Object.create(null);
    });
    p.on('task-settled', () => second++);
    await Promise.all(Array.from({ length: 10 }, (_, i) => p.run(i, { name: 'echo' })));
    await until(() => second === 10, 'the second listener');
    expect(errors).toHaveLength(10);
    expect(errors.every((e) => e instanceof Error)).toBe(true);
  });
});

describe('user code that re-enters the pool', () => {
  const pool = pools();

  it('an equals that destroys the pool mid-vote: every task settles once, and nothing is reported settled twice', async () => {
    const errors: Error[] = [];
    const p: ReturnType<typeof pool> = pool({
      filename: FILENAME,
      redundancy: 'tmr',
      cores: 3,
      faultDomain: 'none',
      equals: () => {
        void p.destroy();
        return true;
      },
    });
    p.on('error', (e) => errors.push(e));
    // Replicas with different bytes: equals decides, and destroys the pool as it does.
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => p.run(0, { name: 'coreId' }).catch((e: { code?: string }) => e.code)));
    expect(outcomes).toEqual(Array.from({ length: 10 }, () => 'ERR_DESTROYED'));
    expect(errors).toEqual([]);
  });
});
