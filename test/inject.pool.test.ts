// Fault models on real pinned workers: each one activates as specified, and maintenance faults
// reach the pool through the injector's hook.
import { describe, expect, it } from 'vitest';
import { campaign, FaultInjector, wasInjected, type InjectionRecord } from '../dist/index.js';
import { TASKS, until, pools } from './helpers.js';

const pool = pools();

const fib = (n: number): number => {
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
};
const NEVER_DISABLE = { falseAlarm: 0 };

describe('fault models on real workers', () => {
  it('stuck: every replica on the core is out-voted, each with its n flipped bits logged', async () => {
    const faults = new FaultInjector({ seed: 21 }).stuck({ core: 1, bits: 3 });
    const p = pool({ cores: 4, faults, health: NEVER_DISABLE });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => p.runDetailed(i + 10, { name: 'fib' })));
    results.forEach((r, i) => expect(r.value).toBe(fib(i + 10)));
    for (const r of results) for (const replica of r.replicas) if (replica.core === 1 && replica.status !== 'running') expect(replica.ok).toBe(false);
    // Flips are filled in when the replica answers (a TMR third replica may answer after the vote).
    await until(() => faults.log.every((record) => record.flips !== undefined), 'every injected replica to answer');
    const log = faults.log;
    // One injection per replica placed on core 1 (a TMR third replica is not placed once two agree).
    expect(log.length).toBe(results.flatMap((r) => r.replicas).filter((x) => x.core === 1).length);
    expect(log.length).toBeGreaterThan(0);
    for (const record of log) {
      expect(record).toMatchObject({ model: 'stuck', core: 1, target: 'result', taskName: 'fib' });
      expect(record.flips).toHaveLength(3);
      for (const flip of record.flips!) expect(flip).toEqual({ path: '$', bit: expect.any(Number) });
    }
  });

  it('transient on the input: the replica computes on a corrupted copy, the vote corrects it', async () => {
    const faults = new FaultInjector({ seed: 4 }).transient({ rate: 1, target: 'input', core: 2 });
    const p = pool({ cores: 3, redundancy: 'dmr', faults, health: NEVER_DISABLE });
    // `float` loops a fixed number of times: a flipped loop bound (fib's n) could run for ages, a hang only taskTimeout ends.
    const inputs = Array.from({ length: 12 }, (_, i) => 0.1 + i / 7);
    const clean = pool({ cores: 3, redundancy: 'dmr' });
    const golden = await Promise.all(inputs.map((x) => clean.run(x, { name: 'float' })));
    const results = await Promise.all(inputs.map((x) => p.runDetailed(x, { name: 'float' })));
    results.forEach((r, i) => expect(r.value).toBe(golden[i]));
    const touched = results.filter((r) => r.replicas.some((x) => x.core === 2));
    expect(touched.length).toBeGreaterThan(0);
    for (const r of touched) expect(r.corrected).toBe(true);
    for (const record of faults.log) expect(record).toMatchObject({ target: 'input', core: 2, flips: [{ path: '$' }] });
  });

  it('intermittent: injections only inside one burst of each window of tasks', async () => {
    const model = { core: 0, period: 20, burst: 5 };
    const faults = new FaultInjector({ seed: 8 }).intermittent(model);
    // The bursts, from the same seed: at rate 1 a burst hits every replica placed on core 0.
    const bursts = new FaultInjector({ seed: 8 }).intermittent(model);
    const inBurst = new Set(
      Array.from({ length: 60 }, (_, t) => t).filter((t) => bursts.decide({ taskId: t, taskName: 'fib', replica: 0, core: 0 }) !== undefined),
    );
    expect(inBurst.size).toBe(15);
    const p = pool({ cores: 3, faults, health: NEVER_DISABLE });
    // fib(n) for n <= 46 fits an int32: beyond, a core that has seen larger n returns (and digests) doubles.
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => p.runDetailed(i % 40, { name: 'fib' })));
    results.forEach((r, i) => expect(r.value).toBe(fib(i % 40)));
    for (const record of faults.log) expect(inBurst.has(record.taskId)).toBe(true);
    // Every replica that ran on core 0 during a burst was hit, and none outside one.
    results.forEach((r, t) => {
      const onCore0 = r.replicas.some((x) => x.core === 0);
      expect(faults.log.some((record) => record.taskId === t)).toBe(onCore0 && inBurst.has(t));
    });
  });

  it('slow: the result is right, the injection is logged as a timing fault', async () => {
    const faults = new FaultInjector({ seed: 1 }).slow({ core: 0, factor: 3 });
    const p = pool({ cores: 3, faults });
    const values = await Promise.all(Array.from({ length: 6 }, () => p.run(200, { name: 'spin' })));
    expect(values).toEqual(Array(6).fill(200));
    expect(faults.log.length).toBeGreaterThan(0);
    expect(faults.log.every((r) => r.model === 'slow' && r.target === 'timing' && r.core === 0)).toBe(true);
    expect(p.cores.every((c) => c.faults === 0)).toBe(true);
  });

  it('crash and hang: the replica dies or never answers, and the task is re-executed elsewhere', async () => {
    const faults = new FaultInjector({ seed: 6 }).crash({ rate: 1, core: 1 }).hang({ rate: 1, core: 2 });
    const p = pool({ cores: 5, redundancy: 'dmr', faults, taskTimeout: 400, health: NEVER_DISABLE });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => p.runDetailed(i + 5, { name: 'fib' })));
    results.forEach((r, i) => expect(r.value).toBe(fib(i + 5)));
    const statuses = results.flatMap((r) => r.replicas).filter((r) => r.core === 1 || r.core === 2);
    // 'lost': queued in the same message as the replica that died, re-run elsewhere without blame.
    for (const r of statuses) expect([r.core === 1 ? 'crash' : 'timeout', 'lost']).toContain(r.status);
    expect(statuses.some((r) => r.status === 'crash')).toBe(true);
    expect(statuses.some((r) => r.status === 'timeout')).toBe(true);
    // A replica lost behind the crash never ran: its crash was not injected, and is not counted.
    const crashes = results.flatMap((r, taskId) =>
      faults.recordsOf(taskId).flatMap((record) => (record.model === 'crash' ? [{ record, status: r.replicas[record.replica]!.status }] : [])),
    );
    expect(crashes.some((c) => c.status === 'lost')).toBe(true);
    for (const { record, status } of crashes) {
      if (status === 'lost') expect(wasInjected(record), `task ${record.taskId} replica ${record.replica}`).toBe(false);
      if (status === 'crash') expect(wasInjected(record), `task ${record.taskId} replica ${record.replica}`).toBe(true);
    }
    expect(p.stats.injected).toBe(faults.log.filter(wasInjected).length);
  });

  it('offline/online at task counts: the pool stops and resumes using the core', async () => {
    const faults = new FaultInjector({ seed: 2 }).offline({ core: 3, at: 5 }).online({ core: 3, at: 15 });
    const p = pool({ cores: 4, redundancy: 'dmr', faults });
    const cores: number[][] = [];
    for (let i = 0; i < 20; i++) {
      const r = await p.runDetailed(10, { name: 'fib' });
      cores.push(r.replicas.map((x) => x.core));
      if (i === 5) expect(p.cores[3]!.state).toBe('offline');
    }
    for (let i = 5; i < 15; i++) expect(cores[i]).not.toContain(3);
    expect(p.cores[3]!.state).toBe('healthy');
    expect(faults.log.map((r) => `${r.model} ${r.core} @${r.taskId}`)).toEqual(['offline 3 @5', 'online 3 @15']);
  });

  it('offline after a time, counted from the pool’s first task', async () => {
    const faults = new FaultInjector().offline({ core: 2, at: 30, unit: 'ms' });
    const p = pool({ cores: 3, redundancy: 'dmr', faults });
    expect(await p.run(5, { name: 'fib' })).toBe(5);
    await until(() => p.cores[2]!.state === 'offline', 'core 2 to go offline');
    expect(faults.log).toMatchObject([{ model: 'offline', core: 2, taskId: -1, applied: true }]);
  });
});

describe('reproducibility on a real pool', () => {
  // TMR static on exactly one group, one task at a time: replica i always runs on the group's
  // i-th core, so placement cannot vary and the same seed must give the same log.
  const run = async (seed: number): Promise<{ log: string[]; outcomes: unknown }> => {
    const faults = new FaultInjector({ seed })
      .stuck({ core: 1, bits: 2 })
      .transient({ rate: 0.05 })
      .intermittent({ core: 2, period: 40, burst: 6, rate: 0.5 })
      .commonMode({ rate: 0.02 });
    const result = await campaign({
      pool: { filename: TASKS, faultDomain: 'none', cores: 3, redundancy: 'tmr', binding: 'static', health: NEVER_DISABLE },
      task: { name: 'fib', inputs: Array.from({ length: 30 }, (_, i) => i + 3) },
      tasks: 240,
      concurrency: 1,
      faults,
    });
    const log = faults.log.map((r: InjectionRecord) => JSON.stringify([r.taskId, r.replica, r.core, r.model, r.target, r.flips]));
    return { log: log.sort(), outcomes: result.outcomes };
  };

  it('the same seed gives the same injections, flips and outcomes; another seed does not', async () => {
    const a = await run(77);
    const b = await run(77);
    expect(a.log.length).toBeGreaterThan(50);
    expect(b.log).toEqual(a.log);
    expect(b.outcomes).toEqual(a.outcomes);
    const c = await run(78);
    expect(c.log).not.toEqual(a.log);
  });
});
