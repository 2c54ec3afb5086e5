/**
 * piscina's documented examples, run against Triplex with only the constructor swapped (plus
 * `pin: 'off'`, a core count that fits this machine and `faultDomain: 'none'`: on 2 CPUs the
 * replicas of a TMR task share CPUs). Real worker threads throughout.
 */
import { describe, expect, it } from 'vitest';
import { EventEmitter, once } from 'node:events';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Triplex, { Triplex as Named, isTriplexError, type TriplexOptions } from '../dist/index.js';
import { until } from './helpers.js';

const FILENAME = fileURLToPath(new URL('./fixtures/compat-tasks.mjs', import.meta.url));
const OTHER = fileURLToPath(new URL('./fixtures/compat-other.cjs', import.meta.url));
const FN_CJS = fileURLToPath(new URL('./fixtures/compat-fn.cjs', import.meta.url));
const DELAYED_CJS = fileURLToPath(new URL('./fixtures/compat-delayed.cjs', import.meta.url));
const DELAYED_ESM = new URL('./fixtures/compat-delayed.mjs', import.meta.url).href;
const base = { filename: FILENAME, cores: 3, pin: 'off', faultDomain: 'none' } as const;

function pool(options: Partial<TriplexOptions> = {}): Triplex {
  return new Triplex({ ...base, ...options });
}

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

describe('piscina README examples', () => {
  it('the default export is the pool; run({ a, b }) returns the voted sum; close() ends it', async () => {
    expect(Triplex).toBe(Named);
    const piscina = pool();
    expect(await piscina.run({ a: 4, b: 6 })).toBe(10);
    await piscina.close();
    await expect(piscina.run({ a: 1, b: 1 })).rejects.toMatchObject({ code: 'ERR_DESTROYED' });
  });

  it("multiple exports: run(task, { name }); the constructor's name is the default task", async () => {
    await using piscina = pool({ name: 'sub' });
    expect(await piscina.run({ a: 4, b: 6 })).toBe(-2);
    expect(await piscina.run({ a: 4, b: 6 }, { name: 'default' })).toBe(10);
  });

  it('await using closes the pool at the end of the scope, after its tasks finished', async () => {
    let escaped: Triplex | undefined;
    let pending: Promise<unknown> | undefined;
    {
      await using piscina = pool();
      escaped = piscina;
      pending = piscina.run(30, { name: 'sleep' });
    }
    await expect(pending).resolves.toBe(30);
    await expect(escaped.run({ a: 1, b: 2 })).rejects.toMatchObject({ code: 'ERR_DESTROYED' });
  });

  it('cancelable tasks: an AbortController rejects with an AbortError whose cause is the reason', async () => {
    await using piscina = pool();
    const abortController = new AbortController();
    const task = piscina.run(5_000, { name: 'sleep', signal: abortController.signal });
    const reason = new Error('no longer needed');
    setTimeout(() => abortController.abort(reason), 50);
    const error = await task.catch((e: unknown) => e as Error & { code: string });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ERR_ABORTED', cause: reason });
    expect(isTriplexError(error)).toBe(true);
    const before = new AbortController();
    before.abort('early');
    await expect(piscina.run(1, { name: 'sleep', signal: before.signal })).rejects.toMatchObject({ name: 'AbortError', cause: 'early' });
  });

  it('signal, transferList, name and filename accept null (piscina’s defaults); an EventEmitter or EventTarget signal aborts as piscina’s do', async () => {
    await using piscina = pool();
    expect(await piscina.run({ a: 1, b: 2 }, { signal: null, transferList: null, name: null, filename: null })).toBe(3);
    const emitter = new EventEmitter();
    const byEmitter = piscina.run(5_000, { name: 'sleep', signal: emitter }).catch((e: unknown) => e);
    setTimeout(() => emitter.emit('abort'), 50);
    expect(await byEmitter).toMatchObject({ name: 'AbortError', code: 'ERR_ABORTED' });
    expect(emitter.listenerCount('abort')).toBe(0);
    const target = Object.assign(new EventTarget(), { aborted: false, reason: 'stop' });
    const byTarget = piscina.run(5_000, { name: 'sleep', signal: target }).catch((e: unknown) => e);
    setTimeout(() => {
      target.aborted = true;
      target.dispatchEvent(new Event('abort'));
    }, 50);
    expect(await byTarget).toMatchObject({ name: 'AbortError', cause: 'stop' });
    const early = Object.assign(new EventTarget(), { aborted: true, reason: 'early' });
    await expect(piscina.run(1, { name: 'sleep', signal: early })).rejects.toMatchObject({ cause: 'early' });
    await expect(piscina.run(1, { signal: {} as never })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', data: { option: 'signal' } });
  });

  it("backpressure: maxQueue 'auto', queueSize, needsDrain and the 'drain' event", async () => {
    await using piscina = pool({ maxQueue: 'auto' });
    expect(piscina.resolvedOptions.maxQueue).toBe(9);
    const events: string[] = [];
    piscina.on('needsDrain', () => events.push('needsDrain'));
    piscina.on('drain', () => events.push('drain'));
    const tasks = Array.from({ length: 6 }, () => piscina.run(40, { name: 'sleep' }));
    await Promise.resolve(); // placement happens in a microtask
    expect(piscina.needsDrain).toBe(true);
    expect(piscina.queueSize).toBeLessThanOrEqual(6);
    await Promise.all(tasks);
    await until(() => events.includes('drain'), 'the drain event');
    expect(events).toEqual(['needsDrain', 'drain']);
    expect(piscina.needsDrain).toBe(false);
    expect(piscina.queueSize).toBe(0);
  });

  it("maxQueue bounds tasks waiting in the cores' rings too, when tasks arrive one event-loop turn apart", async () => {
    // With batching a core's ring holds most of a backlog: tasks placed there but not started were
    // not counted, and a pool fed one task per turn accepted all 30 past maxQueue 4.
    await using piscina = pool({ maxQueue: 4 });
    await piscina.ready;
    const outcomes: Promise<unknown>[] = [];
    let most = 0;
    for (let i = 0; i < 30; i++) {
      outcomes.push(piscina.run(30, { name: 'sleep' }).catch((error: { code?: string }) => error.code));
      await new Promise((resolve) => setImmediate(resolve));
      most = Math.max(most, piscina.queueSize);
    }
    const settled = await Promise.all(outcomes);
    const accepted = settled.filter((outcome) => outcome === 30).length;
    expect(settled.every((outcome) => outcome === 30 || outcome === 'ERR_QUEUE_FULL')).toBe(true);
    // One task slot (3 cores, TMR) and 4 waiting; a few more as the first ones finish meanwhile.
    expect(accepted).toBeGreaterThanOrEqual(5);
    expect(accepted).toBeLessThan(15);
    expect(most).toBe(4);
    expect(piscina.queueSize).toBe(0);
    expect(piscina.completed).toBe(accepted); // refusals are not completed tasks (piscina counts them neither)
  });

  it('close() finishes running and queued tasks; close({ force: true }) aborts those not running', async () => {
    const gentle = pool();
    const all = Array.from({ length: 4 }, () => gentle.run(20, { name: 'sleep' }));
    await gentle.close();
    expect((await Promise.allSettled(all)).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);

    // One task slot (3 cores, TMR) and a backlog: the default maxBatch places the queued tasks in the cores' rings
    // before close() is called, so "placed" must not count as "running".
    const forced = pool();
    await forced.ready;
    const tasks = Array.from({ length: 6 }, () => forced.run(100, { name: 'sleep' }).catch((e: unknown) => e));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(forced.stats.replicas).toBe(18); // every replica placed, ...
    expect(forced.queueSize).toBe(5); // ... and five tasks still waiting for the cores
    await forced.close({ force: true });
    const settled = await Promise.all(tasks);
    expect(settled[0]).toBe(100);
    for (const error of settled.slice(1)) expect(error).toMatchObject({ name: 'AbortError', code: 'ERR_ABORTED' });
    await expect(forced.close({ force: 'yes' as never })).rejects.toThrow(TypeError);
  });

  it('closeTimeout bounds close(): tasks still running then reject with ERR_DESTROYED', async () => {
    const piscina = pool({ closeTimeout: 50 });
    const slow = piscina.run(2_000, { name: 'sleep' }).catch((e: unknown) => e);
    const started = Date.now();
    await piscina.close();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await slow).toMatchObject({ code: 'ERR_DESTROYED' });
  });

  it('Triplex.move() and transferList hand the buffer over: the caller’s copy is detached', async () => {
    await using piscina = pool();
    const moved = new Uint8Array([1, 2, 3, 4]);
    expect(await piscina.run(Triplex.move(moved), { name: 'byteSum' })).toBe(10);
    expect(moved.byteLength).toBe(0);
    const listed = new ArrayBuffer(3);
    new Uint8Array(listed).set([5, 6, 7]);
    expect(await piscina.run(listed, { name: 'byteSum', transferList: [listed] })).toBe(18);
    expect(listed.byteLength).toBe(0);
    const { port1 } = new MessageChannel();
    await expect(piscina.run(1, { name: 'byteSum', transferList: [port1] })).rejects.toThrow(/transferList.*port cannot be copied/);
    port1.close();
  });

  it('typed arrays reach a task and come back on buffers of their own, as a structured clone gives them', async () => {
    // v8.deserialize returned views into the serialized bytes: a task reading `.buffer` saw the
    // serialization header and every replica agreed on the wrong answer.
    await using piscina = pool();
    const inner = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4);
    const facts = await piscina.run(
      [new Float64Array([1.5, 2.5]), new Uint8Array([1, 2, 3, 4]), Buffer.from([5, 6]), new DataView(new ArrayBuffer(2)), inner],
      { name: 'bufferFacts' },
    );
    expect(facts).toEqual([
      { offset: 0, bufferBytes: 16, whole: [1.5, 2.5] },
      { offset: 0, bufferBytes: 4, whole: [1, 2, 3, 4] },
      { offset: 0, bufferBytes: 2, whole: [5, 6] },
      { offset: 0, bufferBytes: 2, whole: [0, 0] },
      // A view into a larger buffer arrives as its own bytes (piscina's clone would carry the whole buffer).
      { offset: 0, bufferBytes: 3, whole: [1, 2, 3] },
    ]);
    const nested = (await piscina.run(null, { name: 'nestedViews' })) as { floats: Float64Array; bytes: Buffer; words: Uint32Array[] };
    expect([...new Float64Array(nested.floats.buffer)]).toEqual([1.5, 2.5]);
    expect(Buffer.isBuffer(nested.bytes) && nested.bytes.byteOffset === 0 && nested.bytes.buffer.byteLength === 3).toBe(true);
    expect([...new Uint32Array(nested.words[0]!.buffer)]).toEqual([7, 8]);
  });

  it('a task that returns a moved buffer resolves to the buffer’s value, voted as usual', async () => {
    await using piscina = pool();
    const triplexMoved = await piscina.runDetailed('triplex', { name: 'moveBack' });
    expect(triplexMoved.value).toEqual(new Uint8Array([1, 2, 3]));
    expect(triplexMoved.replicas.filter((r) => r.ok).length).toBeGreaterThanOrEqual(2);
    expect(await piscina.run('piscina', { name: 'moveBack' })).toEqual(new Uint8Array([1, 2, 3]));
    const buffer = await piscina.run('piscina-buffer', { name: 'moveBack' });
    expect(buffer).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(buffer as ArrayBuffer)]).toEqual([1, 2, 3]);
  });

  it('a worker that cannot start rejects ready, pending and later runs with ERR_WORKER_START, without re-placing replicas', async () => {
    for (const options of [{ execArgv: ['--title=x'] }, { resourceLimits: { stackSizeMb: 1e9 } }]) {
      const piscina = pool(options);
      const pending = piscina.run({ a: 1, b: 2 }).catch((e: unknown) => e);
      const ready = await piscina.ready.catch((e: unknown) => e);
      expect(ready).toMatchObject({ code: 'ERR_WORKER_START' });
      expect(await pending).toBe(ready);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(piscina.stats.replicas).toBeLessThanOrEqual(3);
      await expect(piscina.run({ a: 1, b: 2 })).rejects.toMatchObject({ code: 'ERR_WORKER_START' });
      await piscina.destroy();
    }
  });

  it('resourceLimits fields are validated, naming the field and the value', () => {
    const cases: [unknown, ErrorConstructor][] = [
      ['x', TypeError],
      [-5, RangeError],
      [Number.POSITIVE_INFINITY, RangeError],
    ];
    for (const [value, type] of cases) {
      const error = thrown(() => pool({ resourceLimits: { maxOldGenerationSizeMb: value as number } }));
      expect(error).toBeInstanceOf(type);
      expect(error.code).toBe('ERR_INVALID_OPTION');
      expect(error.message).toContain('resourceLimits.maxOldGenerationSizeMb');
      expect(error.message).toContain(String(value));
    }
    expect(thrown(() => pool({ resourceLimits: { maxOldGenMb: 5 } as never })).message).toContain('resourceLimits.maxOldGenMb');
  });

  it('a task module that throws at load is named in the rejection, for the pool’s module and a per-run one', async () => {
    const failing = fileURLToPath(new URL('./fixtures/load-fails.mjs', import.meta.url));
    const broken = pool({ filename: failing });
    const early = broken.run<unknown>(1).catch((e: unknown) => e as Error);
    await expect(broken.ready).rejects.toThrow(/load-fails\.mjs failed to load: init failed/);
    expect(((await early) as Error).message).toMatch(/load-fails\.mjs failed to load: init failed/);
    await broken.destroy();
    await using piscina = pool();
    await expect(piscina.run(1, { filename: failing })).rejects.toThrow(/load-fails\.mjs failed to load: init failed/);
  });

  it('a transferList task refused with ERR_QUEUE_FULL leaves the caller’s buffer attached', async () => {
    await using piscina = pool({ maxQueue: 0 });
    await piscina.ready;
    const running = piscina.run(100, { name: 'sleep' });
    const bytes = new Uint8Array([1, 2, 3]);
    await expect(piscina.run(bytes, { name: 'byteSum', transferList: [bytes.buffer] })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
    expect(bytes.byteLength).toBe(3);
    await expect(piscina.run(Triplex.move(bytes), { name: 'byteSum' })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
    expect([...bytes]).toEqual([1, 2, 3]);
    await running;
  });

  it('per-run filename loads another module in the workers (CommonJS too) and votes as usual', async () => {
    await using piscina = pool();
    expect(await piscina.run({ a: 4, b: 6 }, { filename: OTHER, name: 'mul' })).toBe(24);
    expect(await piscina.run({ a: 4, b: 6 }, { filename: pathToFileURL(OTHER) })).toBe('other:10');
    const detailed = await piscina.runDetailed({ a: 2, b: 3 }, { filename: OTHER, name: 'mul' });
    expect(detailed.value).toBe(6);
    expect(new Set(detailed.replicas.map((r) => r.core)).size).toBe(detailed.replicas.length);
    expect(detailed.replicas.filter((r) => r.ok).length).toBeGreaterThanOrEqual(2);
    await expect(piscina.run({ a: 1, b: 1 }, { filename: OTHER, name: 'nope' })).rejects.toMatchObject({ code: 'ERR_TASK_NOT_FOUND' });
    // `module.exports = fn; fn.twice = ...`: the function and its properties, as piscina finds them.
    expect(await piscina.run({ a: 4, b: 6 }, { filename: FN_CJS })).toBe(10);
    expect(await piscina.run({ a: 4 }, { filename: FN_CJS, name: 'twice' })).toBe(8);
  });

  it('delaying availability: new Triplex() with no module, tasks from modules that export a promise of the task', async () => {
    await using piscina = new Triplex({ faultDomain: 'none' });
    const [cjs, esm] = await Promise.all([piscina.run({ a: 1, b: 2 }, { filename: DELAYED_CJS }), piscina.run({ a: 3, b: 4 }, { filename: DELAYED_ESM })]);
    expect([cjs, esm]).toEqual(['cjs:3', 'esm:7']);
    await expect(piscina.run({ a: 1, b: 1 })).rejects.toThrow(/has no task module \(option filename\)/);
  });

  it('filename: null leaves every run to name its module', async () => {
    await using piscina = pool({ filename: null });
    expect(await piscina.run({ a: 2, b: 5 }, { filename: OTHER, name: 'mul' })).toBe(10);
  });
});

describe('run() never ignores an option', () => {
  it('unknown run() options throw ERR_INVALID_OPTION naming the option', async () => {
    await using piscina = pool();
    const typo = (await piscina.run({ a: 1, b: 2 }, { nmae: 'sub' } as never).catch((e: unknown) => e)) as Error & { code: string };
    expect(typo).toBeInstanceOf(RangeError);
    expect(typo).toMatchObject({ code: 'ERR_INVALID_OPTION' });
    expect(typo.message).toContain('"nmae"');
    await expect(piscina.run(1, { onOutput: () => {} } as never)).rejects.toThrow(/"onOutput"/);
    await expect(piscina.run(1, { kind: 42 } as never)).rejects.toThrow(TypeError);
    await expect(piscina.run(1, { filename: 42 } as never)).rejects.toThrow(/"filename"/);
    expect(await piscina.run({ a: 1, b: 2 }, { name: 'sub', kind: 'arith' })).toBe(-1);
  });
});

describe('piscina constructor options', () => {
  it('workerData, env and argv reach every replica identically; triplex’s own data stays hidden', async () => {
    await using piscina = pool({ workerData: { tenant: 'acme', limits: [1, 2] }, env: { TRIPLEX_COMPAT: 'on' }, argv: ['--flag'] });
    const seen = await piscina.runDetailed(null, { name: 'environment' });
    expect(seen.value).toEqual({ workerData: { tenant: 'acme', limits: [1, 2] }, env: 'on', argv: ['--flag'], isWorkerThread: true });
    expect(seen.corrected).toBe(false);
    expect(await piscina.run(null, { name: 'identity' })).toEqual({ typed: true, internalHidden: true });
    expect(await piscina.run(null, { name: 'statics' })).toEqual({ isWorkerThread: true, workerData: { tenant: 'acme', limits: [1, 2] } });
    expect(Triplex.isWorkerThread).toBe(false);
  });

  it('piscina’s own workerData inside a task is the user’s data, identical on every core', async () => {
    const data = { tenant: 'acme' };
    // DMR: the first two replicas must agree for an uncorrected answer, so each core's view is checked.
    await using piscina = pool({ workerData: data, redundancy: 'dmr', cores: 2 });
    const detailed = await piscina.runDetailed(null, { name: 'piscinaWorkerData' });
    expect(detailed.value).toEqual({ required: data, getter: data, imported: data });
    expect(detailed.replicas.map((r) => r.ok)).toEqual([true, true]);
    expect(detailed.corrected).toBe(false);
  });

  it('workerData is the user’s: an audit log names it but does not copy it (it may hold secrets, or BigInts JSON cannot)', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        lines.push(String(chunk));
        done();
      },
    });
    const piscina = pool({ workerData: { secret: 'hunter2', big: 10n }, audit: { stream } });
    expect(await piscina.run(null, { name: 'environment' })).toMatchObject({ workerData: { secret: 'hunter2', big: 10n } });
    await piscina.close();
    const start = lines
      .join('')
      .split('\n')
      .find((line) => line.includes('"pool-start"'))!;
    expect(JSON.parse(start).options.compat.worker).toEqual(['workerData']);
    expect(lines.join('')).not.toContain('hunter2');
  });

  it('maxThreads is the core count; minThreads, idleTimeout, execArgv, resourceLimits, niceIncrement are accepted', async () => {
    await using piscina = new Triplex({
      filename: FILENAME,
      pin: 'off',
      faultDomain: 'none',
      minThreads: 2,
      maxThreads: 4,
      idleTimeout: 1_000,
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: 64 },
      niceIncrement: 1,
      concurrentTasksPerWorker: 1,
      recordTiming: true,
      workerHistogram: true,
      trackUnmanagedFds: true,
    });
    expect(piscina.cores).toHaveLength(4);
    expect(piscina.threads).toHaveLength(4);
    expect(await piscina.run({ a: 2, b: 2 })).toBe(4);
    // Replicas that answered before the vote settled (2 of 3 agreeing is enough).
    expect(piscina.threads.filter((t) => t.histogram !== undefined).length).toBeGreaterThanOrEqual(2);
  });

  it('options that cannot apply to a voted pool are typed errors that say why', () => {
    const perWorker = thrown(() => pool({ concurrentTasksPerWorker: 2 }));
    expect(perWorker).toBeInstanceOf(RangeError);
    expect(perWorker.code).toBe('ERR_INVALID_OPTION');
    expect(perWorker.message).toMatch(/"concurrentTasksPerWorker".*crash or hang is charged.*received 2/);
    expect(thrown(() => pool({ atomics: 'sync' } as never)).message).toMatch(/"atomics"/);
    expect(thrown(() => pool({ taskQueue: {} } as never)).message).toMatch(/"taskQueue".*maxQueue/);
    expect(thrown(() => pool({ maxThreads: 4, cores: 3 })).message).toMatch(/"maxThreads".*equal to "cores"/);
    expect(thrown(() => pool({ minThreads: 9 }))).toBeInstanceOf(RangeError);
    expect(thrown(() => pool({ env: 'x' as never }))).toBeInstanceOf(TypeError);
    expect(thrown(() => pool({ argv: [1] as never })).message).toMatch(/"argv"/);
    expect(thrown(() => pool({ maxQueue: 'big' as never })).message).toMatch(/"maxQueue"/);
  });
});

describe('the pool surface', () => {
  it('completed, duration, utilization and histogram as piscina reports them (ms)', async () => {
    await using piscina = pool();
    await Promise.all([piscina.run(20, { name: 'sleep' }), piscina.run({ a: 1, b: 1 })]);
    expect(piscina.completed).toBe(2);
    expect(piscina.duration).toBeGreaterThan(0);
    expect(piscina.utilization).toBeGreaterThan(0);
    expect(piscina.utilization).toBeLessThanOrEqual(1);
    const { runTime, waitTime } = piscina.histogram;
    expect(runTime.max).toBeGreaterThanOrEqual(20);
    expect(runTime.p50).toBeGreaterThan(0);
    expect(waitTime.min).toBeGreaterThanOrEqual(0);
    piscina.histogram.resetRunTime();
    expect(piscina.histogram.runTime.mean).toBe(0);
  });

  it('results of long tasks are handed over as each finishes, not with the rest of their batch; run and wait times as piscina reports them', async () => {
    // A core's ring holds a batch of replicas, and the main thread used to take their replies when the
    // whole batch was answered: the first of 6 tasks of 80 ms came back with the third, after 240 ms.
    await using piscina = pool();
    await piscina.ready;
    const completedAtEach: number[] = [];
    const detailed = await Promise.all(
      Array.from({ length: 6 }, () => piscina.runDetailed(80, { name: 'sleep' }).then((r) => (completedAtEach.push(piscina.completed), r))),
    );
    expect(completedAtEach).toEqual([1, 2, 3, 4, 5, 6]);
    // Run time is what the replicas that answered report having run, not their wait in a core's ring;
    // with one task slot (TMR on 3 cores) the later tasks waited for the earlier ones' 80 ms sleeps.
    const ran = detailed.flatMap((r) => r.replicas.filter((x) => x.ok === true).map((x) => x.ms));
    const { runTime, waitTime } = piscina.histogram;
    expect(Math.abs(runTime.max - Math.max(...ran))).toBeLessThan(1); // the histogram keeps 3 significant digits
    expect(waitTime.max).toBeGreaterThanOrEqual(5 * 80);
  });

  it('resolvedOptions is a copy all the way down: changing it changes nothing in the pool', async () => {
    await using piscina = pool({ checkpoint: { steps: 50 }, health: { salvage: true, selfTest: { after: 60_000 } } });
    const copy = piscina.resolvedOptions as unknown as {
      checkpoint: { steps: number };
      health: { salvage: { maxKinds: number }; selfTest: { after: number }; nondeterministic: string[] };
      cpus: number[];
    };
    copy.checkpoint.steps = 1;
    copy.health.salvage.maxKinds = 99;
    copy.health.selfTest.after = 1;
    copy.health.nondeterministic.push('sleep');
    copy.cpus.length = 0;
    const again = piscina.resolvedOptions;
    expect(again.checkpoint).toMatchObject({ steps: 50 });
    expect(again.health.salvage).toEqual({ maxKinds: 2 });
    expect(again.health.selfTest).toMatchObject({ after: 60_000 });
    expect(again.health.nondeterministic).not.toContain('sleep');
    expect(again.cpus.length).toBeGreaterThan(0);
  });

  it('recordTiming: false keeps no histogram', async () => {
    await using piscina = pool({ recordTiming: false });
    await piscina.run({ a: 1, b: 1 });
    expect(piscina.histogram.runTime.max).toBe(0);
  });

  it("piscina's members: maxThreads, minThreads, idleThreads, version, the transferable symbols, using", async () => {
    const piscina = pool();
    await piscina.ready;
    expect([piscina.maxThreads, piscina.minThreads, piscina.idleThreads]).toEqual([3, 3, 3]);
    const running = piscina.run(50, { name: 'sleep' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(piscina.idleThreads).toBe(0); // TMR: the task holds all three cores
    await running;
    await until(() => piscina.idleThreads === 3, 'the late third replica'); // 2 of 3 settle the task
    const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
    expect(Triplex.version).toBe(version);
    expect(Triplex.transferableSymbol).toBe(Symbol.for('Piscina.transferable'));
    expect(Triplex.valueSymbol).toBe(Symbol.for('Piscina.valueOf'));
    // piscina's custom transferable: several buffers handed over, the value is the task's input.
    const [a, b] = [new Uint8Array([1, 2]), new Uint8Array([3])];
    const custom = {
      get [Triplex.transferableSymbol]() {
        return [a.buffer, b];
      },
      get [Triplex.valueSymbol]() {
        return [a, b];
      },
    };
    expect(await piscina.run(custom, { name: 'bufferFacts' })).toEqual([
      { offset: 0, bufferBytes: 2, whole: [1, 2] },
      { offset: 0, bufferBytes: 1, whole: [3] },
    ]);
    expect([a.byteLength, b.byteLength]).toEqual([0, 0]);
    const broken = {
      [Triplex.transferableSymbol]: [],
      get [Triplex.valueSymbol]() {
        throw new Error('getter bug');
      },
    };
    await expect(piscina.run(broken, { name: 'bufferFacts' })).rejects.toThrow('getter bug');
    {
      using disposed = piscina; // synchronous disposal starts close(), as piscina's does
      expect(disposed.maxThreads).toBe(3);
    }
    await expect(piscina.run({ a: 1, b: 1 })).rejects.toMatchObject({ code: 'ERR_DESTROYED' });
  });

  it("a listener for an event the pool never emits is refused with ERR_UNKNOWN_EVENT: piscina's 'message' says why", async () => {
    await using piscina = pool();
    expect(thrown(() => piscina.on('message' as never, () => {}))).toMatchObject({
      code: 'ERR_UNKNOWN_EVENT',
      message: /'message'.*once per replica, unvoted/,
    });
    expect(thrown(() => piscina.once('workerCreate' as never, () => {})).message).toMatch(/"workerCreate".*'core-state'/);
    expect(thrown(() => piscina.addListener('fualt' as never, () => {})).message).toMatch(/no "fualt" event: the events are fault, /);
    expect(thrown(() => piscina.prependListener('msg' as never, () => {})).code).toBe('ERR_UNKNOWN_EVENT');
    expect(thrown(() => piscina.prependOnceListener('msg' as never, () => {})).code).toBe('ERR_UNKNOWN_EVENT');
    // The pool's events, Node's own, and symbols pass; events.once works as usual.
    piscina
      .on('fault', () => {})
      .on('newListener' as never, () => {})
      .on(EventEmitter.errorMonitor as never, () => {});
    const closed = once(piscina, 'close');
    await piscina.close();
    await closed;
  });

  it("a throwing 'drain' listener is reported on 'error', never breaks the pool", async () => {
    await using piscina = pool();
    const errors: Error[] = [];
    piscina.on('error', (e) => errors.push(e));
    piscina.on('needsDrain', () => {
      throw new Error('listener bug');
    });
    await Promise.all(Array.from({ length: 4 }, () => piscina.run(10, { name: 'sleep' })));
    expect(errors.map((e) => e.message)).toEqual(['listener bug']);
  });
});
