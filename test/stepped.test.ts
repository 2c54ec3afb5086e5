// Stepped tasks on real workers: voted checkpoints, resume from the last checkpoint after a
// fault, output commit (order, exactly once), abort, errors. Pools here have 4 cores on this
// 2-CPU machine, more than its fault domains: they use faultDomain 'none' (TEST_FAULT_DOMAIN, see
// helpers.ts), so replicas share CPUs: what is checked is voting and recovery, not hardware independence.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { campaign, FaultInjector, isTriplexError, wasInjected, type CheckpointEvent, type FaultEvent, type MigrateEvent } from '../dist/index.js';
import { pools, until } from './helpers.js';

const STEPPED = fileURLToPath(new URL('./fixtures/stepped.mjs', import.meta.url));
const pool = pools();
const dir = mkdtempSync(path.join(tmpdir(), 'triplex-stepped-'));
let markers = 0;
/** A one-off fault at `step`: the first replica to get there claims a fresh marker file. */
const once = (step: number) => ({ step, marker: path.join(dir, `m${markers++}`) });
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const sumTo = (n: number) => (n * (n + 1)) / 2;

function recorder(p: ReturnType<typeof pool>) {
  const seen = { checkpoints: [] as CheckpointEvent[], migrations: [] as MigrateEvent[], faults: [] as FaultEvent[] };
  p.on('checkpoint', (e) => seen.checkpoints.push(e));
  p.on('migrate', (e) => seen.migrations.push(e));
  p.on('fault', (e) => seen.faults.push(e));
  return seen;
}

describe('stepped tasks: checkpoints and sparing', () => {
  it('DMR: a crashed replica is re-run on a spare core from the last checkpoint, not from step 0', async () => {
    const p = pool({ filename: STEPPED, cores: 4, redundancy: 'dmr', checkpoint: { steps: 10 } });
    await p.ready;
    const seen = recorder(p);
    const r = await p.runDetailed<{ sum: number }>({ steps: 40, crash: once(25) }, { name: 'counter' });
    expect(r.value.sum).toBe(sumTo(40));
    const segment = r.stepped!.segments.find((s) => s.from === 20)!;
    const crashed = segment.replicas.find((x) => x.status === 'crash')!;
    const resumed = segment.replicas.find((x) => x.ok === true && x.core !== segment.replicas[0]!.core && segment.replicas.indexOf(x) >= 2)!;
    expect(crashed).toBeDefined();
    expect(resumed.from).toBe(20); // it started from the checkpoint at step 20, not from init
    expect(seen.migrations).toEqual([expect.objectContaining({ from: crashed.core, to: resumed.core, step: 20, reason: 'crash' })]);
    expect(r.stepped!.lostSteps).toBeLessThanOrEqual(10); // at most one interval of work lost
    expect(seen.checkpoints.map((c) => c.step)).toEqual([10, 20, 30, 40]);
  });

  it('TMR: the segment is answered by the two survivors and the next one runs on a spare instead of the crashed core', async () => {
    const p = pool({ filename: STEPPED, cores: 4, checkpoint: { steps: 10 } });
    await p.ready;
    const seen = recorder(p);
    // Steps of 10 ms: the crash is seen while later segments still run (a fault seen after the end
    // moves no work). On a loaded machine the worker's exit can be seen a few segments late: 8 follow it.
    const r = await p.runDetailed<{ sum: number }>({ steps: 100, spin: 10, crash: once(15) }, { name: 'counter' });
    expect(r.value.sum).toBe(sumTo(100));
    // The two survivors may agree before the crash is seen: the crashed core is then charged late.
    await until(() => seen.migrations.length > 0, 'the migration');
    const crashed = seen.migrations[0]!.from;
    expect(seen.migrations).toEqual([expect.objectContaining({ from: crashed, reason: 'crash' })]);
    // Segments submitted once the crash was known avoid the core (the one that took over may have been placed just before).
    const after = r.stepped!.segments.filter((s) => s.from > seen.migrations[0]!.step);
    expect(after.length).toBeGreaterThan(0);
    for (const s of after) expect(s.replicas.map((x) => x.core)).not.toContain(crashed);
    expect(seen.faults.filter((f) => f.kind === 'crash').map((f) => f.core)).toEqual([crashed]);
  });

  it('a segment avoids the cores that failed the run only while others can serve it: then it asks them again', async () => {
    // DMR on 4 cores: one replica crashes at step 5 (its core is avoided from then on), then both
    // replicas of the segment at step 15: only the avoided core is left for the re-run. The avoidance
    // used to be a hard limit, and the task was lost with ERR_NO_MAJORITY while a healthy core idled.
    const p = pool({ filename: STEPPED, cores: 4, redundancy: 'dmr', checkpoint: { steps: 2 } });
    const crash = [once(5), once(15), once(15)];
    expect(await p.run({ steps: 30, crash }, { name: 'counter' })).toMatchObject({ sum: sumTo(30) });
    // Static binding: a crash in each group, the spares take over; avoiding both crashed cores left a
    // group with none to place on (ERR_NO_MAJORITY, no replica run), while every core was healthy.
    const faults = new FaultInjector({ seed: 1 }).crash({ core: 1, rate: 1 }).crash({ core: 2, rate: 1 });
    const groups = pool({ filename: STEPPED, cores: 6, spares: 2, binding: 'static', redundancy: 'dmr', checkpoint: { steps: 2 }, faults });
    expect(await groups.run({ steps: 20 }, { name: 'counter' })).toMatchObject({ sum: sumTo(20) });
  });

  it('a corrupted step is out-voted at the next checkpoint, its core charged, the value correct', async () => {
    // DMR: both replicas are needed for every vote, so the corruption is always found at that
    // segment's checkpoint (TMR may answer with the two good ones and charge the third just after).
    const p = pool({ filename: STEPPED, cores: 4, redundancy: 'dmr', checkpoint: { steps: 10 } });
    await p.ready;
    const seen = recorder(p);
    const outputs: unknown[] = [];
    const r = await p.runDetailed<{ sum: number }>({ steps: 50, corrupt: once(13) }, { name: 'counter', onOutput: (x) => outputs.push(x) });
    expect(r.value.sum).toBe(sumTo(50));
    // Found at the checkpoint of step 20, not at the end: that checkpoint is the corrected one.
    expect(seen.checkpoints.filter((c) => c.corrected).map((c) => c.step)).toEqual([20]);
    const wrong = await (async () => {
      await until(() => seen.faults.length > 0, 'the charge');
      return seen.faults[0]!;
    })();
    expect(wrong).toMatchObject({ kind: 'wrong-result', taskName: 'counter', charged: true });
    expect(r.stepped!.segments[1]!.replicas.find((x) => x.ok === false)!.core).toBe(wrong.core);
    expect(outputs).toEqual(range(50)); // the corrupted replica's outputs never reached the caller
  });
});

describe('stepped tasks: output commit', () => {
  it('outputs arrive in order, exactly once, under crashes, and none before its checkpoint', async () => {
    const p = pool({ filename: STEPPED, cores: 4, redundancy: 'dmr', checkpoint: { steps: 7 } });
    await p.ready;
    const outputs: number[] = [];
    let voted = 0;
    p.on('checkpoint', (e) => (voted = e.step));
    const late: number[] = [];
    const value = await p.run(
      { steps: 60, crash: once(9), corrupt: once(33) },
      {
        name: 'counter',
        onOutput: (x) => {
          if ((x as number) > voted) late.push(x as number);
          outputs.push(x as number);
        },
      },
    );
    expect(value).toMatchObject({ sum: sumTo(60), steps: 60 });
    expect(outputs).toEqual(range(60));
    expect(late).toEqual([]);
  });

  it("a throwing onOutput loses and duplicates nothing; the error goes to the pool's error listeners", async () => {
    const p = pool({ filename: STEPPED, cores: 4, checkpoint: { steps: 4 } });
    const errors: Error[] = [];
    p.on('error', (e) => errors.push(e));
    const outputs: unknown[] = [];
    const value = await p.run(
      { steps: 12 },
      {
        name: 'counter',
        onOutput: (x) => {
          outputs.push(x);
          if (x === 5) throw new Error('listener failed');
        },
      },
    );
    expect(value).toMatchObject({ sum: sumTo(12) });
    expect(outputs).toEqual(range(12));
    expect(errors.map((e) => e.message)).toEqual(['listener failed']);
  });

  it('runStream: the outputs as an async iterator, the value as result; a task without result returns its state', async () => {
    const p = pool({ filename: STEPPED, cores: 4 });
    const stream = p.runStream(3, { name: 'plainState' });
    const seen: unknown[] = [];
    for await (const x of stream) seen.push(x);
    expect(seen).toEqual(['left 3', 'left 2', 'left 1']);
    expect(await stream.result).toEqual({ left: 0, acc: [3, 2, 1] });
  });

  it('two loops over one stream share its outputs, each once, and both end', async () => {
    const p = pool({ filename: STEPPED, cores: 4, checkpoint: { steps: 2 } });
    const stream = p.runStream({ steps: 12 }, { name: 'counter' });
    const loop = async (): Promise<unknown[]> => {
      const seen: unknown[] = [];
      for await (const x of stream) seen.push(x);
      return seen;
    };
    const [a, b] = await Promise.all([loop(), loop()]);
    expect([...a, ...b].sort((x, y) => (x as number) - (y as number))).toEqual(range(12));
    expect(await stream.result).toMatchObject({ sum: sumTo(12) });
  });
});

describe('stepped tasks: abort and errors', () => {
  it('abort during a segment rejects with ERR_ABORTED; outputs stop at the last voted checkpoint; the pool goes on', async () => {
    const p = pool({ filename: STEPPED, cores: 4, checkpoint: { steps: 5 } });
    await p.ready;
    const controller = new AbortController();
    const outputs: unknown[] = [];
    let steps = 0;
    p.on('checkpoint', (e) => {
      steps = e.step;
      if (e.checkpoints === 2) setTimeout(() => controller.abort(new Error('enough')), 20);
    });
    const run = p.run(20, { name: 'endless', signal: controller.signal, onOutput: (x) => outputs.push(x) });
    await expect(run).rejects.toMatchObject({ code: 'ERR_ABORTED', name: 'AbortError' });
    expect(outputs).toEqual(Array.from({ length: steps }, (_, i) => i));
    // Aborted before it was queued, too.
    await expect(p.run(1, { name: 'endless', signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(await p.run(21, { name: 'plain' })).toBe(42);
  });

  it('close({ force }) stops a running stepped run at the checkpoint of its current segment', async () => {
    const p = pool({ filename: STEPPED, cores: 4, checkpoint: { steps: 5 } });
    await p.ready;
    const outputs: unknown[] = [];
    let closing: Promise<void> | undefined;
    let lastCheckpoint = 0;
    let closedAfter = -1;
    p.on('checkpoint', (e) => {
      lastCheckpoint = e.step;
      if (e.checkpoints !== 2) return;
      setTimeout(() => {
        closedAfter = lastCheckpoint; // a segment from here is running: the next one is always launched at once
        closing = p.close({ force: true });
      }, 10);
    });
    const error = await p.run(20, { name: 'endless', onOutput: (x) => outputs.push(x) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_ABORTED', name: 'AbortError' });
    const stoppedAt = Number(/stopped at its checkpoint of step (\d+)/.exec((error as Error).message)?.[1]);
    expect(stoppedAt).toBe(closedAfter + 5); // the segment that was running was voted, no segment followed
    expect(outputs).toEqual(Array.from({ length: stoppedAt }, (_, i) => i));
    expect(closing).toBeDefined();
    await closing; // an endless run no longer keeps the pool open
  });

  it('a step that throws on every replica rejects with that error', async () => {
    const p = pool({ filename: STEPPED, cores: 4, checkpoint: { steps: 2 } });
    const error = await p.run(null, { name: 'throwsAtThree' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe('step 3 is out of range');
    expect(p.stats.faults).toBe(0);
  });

  it('a state that cannot be cloned rejects with ERR_NOT_CLONEABLE', async () => {
    const p = pool({ filename: STEPPED, cores: 4, checkpoint: { steps: 1 } });
    const error = await p.run(null, { name: 'uncloneable' }).catch((e: unknown) => e);
    expect(isTriplexError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_NOT_CLONEABLE' });
    expect((error as Error).message).toContain('stepped task "uncloneable"');
    expect(p.stats.faults).toBe(0);
  });

  it('the checkpoint option is validated on the pool and per run; stepped options on a function export are refused', async () => {
    expect(() => pool({ filename: STEPPED, cores: 4, checkpoint: { steps: 0 } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => pool({ filename: STEPPED, cores: 4, checkpoint: { every: 3 } as never })).toThrow(/checkpoint\.every/);
    const p = pool({ filename: STEPPED, cores: 4 });
    await p.ready;
    await expect(p.run(1, { name: 'counter', checkpoint: 'never' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(p.run(1, { name: 'plain', onOutput: () => {} })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    expect(await p.run({ steps: 30 }, { name: 'counter', checkpoint: 'auto' })).toMatchObject({ sum: sumTo(30) });
  });

  it('stepped options on a function export are the same option error before the pool knows its exports, and on another module', async () => {
    const early = pool({ filename: STEPPED, cores: 4 });
    // Submitted at once: the cores have not reported the module's exports yet.
    const [onOutput, checkpoint] = await Promise.all([
      early.run(1, { name: 'plain', onOutput: () => {} }).catch((e: unknown) => e),
      early.run(1, { name: 'plain', checkpoint: { steps: 2 } }).catch((e: unknown) => e),
    ]);
    expect(onOutput).toMatchObject({ code: 'ERR_INVALID_OPTION', data: { option: 'onOutput' } });
    expect(onOutput).toBeInstanceOf(RangeError);
    expect(checkpoint).toMatchObject({ code: 'ERR_INVALID_OPTION', data: { option: 'checkpoint' } });
    const other = pool({ cores: 4 });
    await other.ready;
    const stream = other.runStream(1, { name: 'plain', filename: STEPPED });
    await expect(stream.result).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', data: { option: 'runStream' } });
  });
});

describe('stepped tasks: campaigns', () => {
  it('a campaign targets a stepped task: crashes mid-segment are corrected, work lost per fault is at most one interval', async () => {
    const result = await campaign({
      // 4 cores on 2 CPUs: faultDomain 'none', replicas share CPUs.
      pool: { filename: STEPPED, cores: 4, faultDomain: 'none', checkpoint: { steps: 6 }, health: { falseAlarm: 0 } },
      task: { name: 'counter', inputs: [{ steps: 24 }, { steps: 30 }] },
      tasks: 8,
      faults: new FaultInjector({ seed: 5 }).crash({ core: 1, rate: 0.5 }),
    });
    expect(result.outcomes.sdc).toBe(0);
    expect(result.outcomes.detected).toBe(0);
    expect(result.stepped).toBeDefined();
    const s = result.stepped!;
    expect(s.tasks).toBe(8);
    expect(s.faults).toBeGreaterThan(0);
    expect(s.lostStepsPerFault).toBeLessThanOrEqual(6);
  });

  it('a replica lost with a crashed one (never ran, re-run elsewhere) is no fault, and a crash loses the steps it ran: half its segment', async () => {
    const faults = new FaultInjector({ seed: 2 }).crash({ rate: 0.1 });
    const result = await campaign({
      pool: { filename: STEPPED, redundancy: 'tmr', cores: 4, faultDomain: 'none', checkpoint: { steps: 10 } },
      task: {
        name: 'counter',
        inputs: [
          { steps: 50, spin: 0.5 },
          { steps: 40, spin: 0.5 },
        ],
      },
      tasks: 40,
      faults,
    });
    const crashes = faults.log.filter((r) => r.replica >= 0 && wasInjected(r)).length;
    expect(result.stepped!.faults).toBeGreaterThan(0);
    expect(result.stepped!.faults).toBeLessThanOrEqual(crashes);
    // An injected crash stops its replica after 5 of its segment's 10 steps: that is the work it lost, not the whole interval.
    expect(result.stepped!.lostStepsPerFault).toBe(5);
  });
});
