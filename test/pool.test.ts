// Integration tests: real pinned piscina workers running the fixture task module.
import { describe, expect, it } from 'vitest';
import { FaultInjector, isTriplexError } from '../dist/index.js';
import { until, pools, runFixture } from './helpers.js';

const pool = pools();

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; data?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('voting on real workers', () => {
  it('TMR returns the voted value and reports the replicas', async () => {
    const p = pool({ cores: 3 });
    await p.ready;
    expect(await p.run(30, { name: 'fib' })).toBe(832040);
    const detailed = await p.runDetailed({ text: 'abc', rounds: 10 }, { name: 'sha' });
    expect(detailed.value).toMatch(/^[0-9a-f]{64}$/);
    expect(detailed.attempts).toBe(0);
    expect(detailed.corrected).toBe(false);
    const ran = detailed.replicas.filter((r) => r.status === 'value');
    expect(ran.length).toBeGreaterThanOrEqual(2);
    expect(new Set(detailed.replicas.map((r) => r.core)).size).toBe(detailed.replicas.length);
  });

  it('TMR masks a stuck core on every task and disables it on evidence, within 12 of its replicas', async () => {
    const faults = new FaultInjector({ seed: 11 }).stuck({ core: 1 });
    const p = pool({ cores: 4, faults });
    const states: string[] = [];
    const judged: number[] = [];
    p.on('core-state', (e) => {
      states.push(`${e.core}:${e.from}->${e.to}`);
      if (e.to === 'disabled') judged.push(e.attribution?.replicas ?? -1);
    });
    const inputs = Array.from({ length: 40 }, (_, i) => i + 5);
    const results = await Promise.all(inputs.map((n) => p.run(n, { name: 'fib' })));
    const expected = inputs.map((n) => {
      let a = 0,
        b = 1;
      for (let i = 0; i < n; i++) [a, b] = [b, a + b];
      return a;
    });
    expect(results).toEqual(expected);
    // Late third replicas are still judged: wait for the charges to land.
    await until(() => p.cores[1]!.state === 'disabled', 'core 1 to be disabled');
    expect(p.cores[1]!.faults).toBeGreaterThanOrEqual(3);
    expect(states).toContain('1:suspect->disabled');
    // The disabling event carries the evidence: replicas of core 1 judged when it was disabled.
    expect(judged).toHaveLength(1);
    expect(judged[0]).toBeGreaterThanOrEqual(3);
    expect(judged[0]).toBeLessThanOrEqual(12);
    for (const core of p.cores.filter((c) => c.id !== 1)) expect(core.faults).toBe(0);
    // Once disabled, the stuck core is no longer used and the answers stay right.
    const after = await Promise.all(inputs.map((n) => p.runDetailed(n, { name: 'fib' })));
    for (const result of after) expect(result.replicas.some((r) => r.core === 1)).toBe(false);
    expect(after.map((r) => r.value)).toEqual(expected);
  });

  it('DMR corrects a single corrupted replica through a tie-break on a third core', async () => {
    const faults = new FaultInjector({ seed: 3 }).stuck({ core: 0 });
    const p = pool({ cores: 3, redundancy: 'dmr', faults, health: { falseAlarm: 0 } });
    const retries: string[] = [];
    p.on('retry', (e) => retries.push(e.reason));
    const result = await p.runDetailed(25, { name: 'fib' });
    expect(result.value).toBe(75025);
    if (result.replicas.some((r) => r.core === 0)) {
      expect(result.corrected).toBe(true);
      expect(result.attempts).toBe(1);
      expect(retries).toContain('tie-break');
      const bad = result.replicas.find((r) => r.core === 0)!;
      expect(bad.ok).toBe(false);
    }
    // Every task gets the right answer; those that touched core 0 were tie-broken.
    const many = await Promise.all(Array.from({ length: 30 }, () => p.runDetailed(25, { name: 'fib' })));
    for (const r of many) {
      expect(r.value).toBe(75025);
      expect(r.corrected).toBe(r.replicas.some((x) => x.core === 0));
    }
    expect(p.stats.corrected).toBeGreaterThan(0);
  });

  it('re-executes crashed replicas elsewhere and the task still succeeds', async () => {
    // DMR: a crashed replica leaves no majority, so the task must be re-executed on another core.
    const faults = new FaultInjector({ seed: 5 }).crash({ core: 2, rate: 1 });
    const p = pool({ cores: 3, redundancy: 'dmr', faults, health: { falseAlarm: 0 } });
    const results = await Promise.all(Array.from({ length: 12 }, () => p.runDetailed(20, { name: 'fib' })));
    for (const r of results) expect(r.value).toBe(6765);
    const crashed = results.flatMap((r) => r.replicas).filter((r) => r.status === 'crash');
    expect(crashed.length).toBeGreaterThan(0);
    expect(crashed.every((r) => r.core === 2)).toBe(true);
    for (const r of results.filter((x) => x.replicas.some((y) => y.status === 'crash'))) {
      expect(r.attempts).toBeGreaterThan(0);
      expect(r.corrected).toBe(true);
    }
    expect(p.cores[2]!.faults).toBe(crashed.length);
    expect(p.stats.crashes).toBe(crashed.length);
  });

  it('treats a hung replica as a fault after taskTimeout, terminates it and re-executes', async () => {
    const faults = new FaultInjector({ seed: 9 }).hang({ core: 0, rate: 1 });
    const p = pool({ cores: 3, redundancy: 'dmr', faults, taskTimeout: 300, health: { falseAlarm: 0 } });
    const kinds: string[] = [];
    p.on('fault', (e) => kinds.push(e.kind));
    const results = await Promise.all(Array.from({ length: 6 }, () => p.runDetailed(15, { name: 'fib' })));
    for (const r of results) expect(r.value).toBe(610);
    const hung = results.flatMap((r) => r.replicas).filter((r) => r.status === 'timeout');
    expect(hung.length).toBeGreaterThan(0);
    expect(hung.every((r) => r.core === 0)).toBe(true);
    expect(kinds).toContain('timeout');
  });

  it('rejects a non-deterministic task (crypto randomness) with ERR_NO_MAJORITY and disables no core', async () => {
    const p = pool({ cores: 4, maxAttempts: 1, health: { falseAlarm: 0.5 } });
    const errors = await Promise.all(Array.from({ length: 10 }, () => rejection(p.run(null, { name: 'uuid' }))));
    for (const error of errors) {
      expect(isTriplexError(error)).toBe(true);
      expect(error.code).toBe('ERR_NO_MAJORITY');
      expect((error.data!.outcomes as unknown[]).length).toBeGreaterThanOrEqual(3);
    }
    expect(p.cores.every((c) => c.state === 'healthy' && c.faults === 0)).toBe(true);
  });

  it('rejects with the task’s own error when every replica throws it, charging no core', async () => {
    const p = pool({ cores: 3 });
    const error = await rejection(p.run('x', { name: 'fails' }));
    expect(error.name).toBe('RangeError');
    expect(error.message).toBe('bad input: x');
    expect(error.code).toBe('E_BAD_INPUT');
    expect(p.cores.every((c) => c.faults === 0)).toBe(true);
    expect(p.stats.failed).toBe(1);
  });

  it('votes inexactly with equals (floats that differ in the last bits agree)', async () => {
    const loose = pool({ cores: 3, equals: (a, b) => Math.abs((a as number) - (b as number)) < 1e-6 });
    expect(await loose.run(2, { name: 'jitter' })).toBeCloseTo(2, 6);
    const strict = pool({ cores: 3, maxAttempts: 0 });
    expect((await rejection(strict.run(2, { name: 'jitter' }))).code).toBe('ERR_NO_MAJORITY');
  });
});

describe('batching under backlog', () => {
  it('batches replicas when tasks queue up, and a crash or hang inside a batch charges only the replica that was running', async () => {
    const faults = new FaultInjector({ seed: 21 }).crash({ core: 1, rate: 0.15 }).hang({ core: 2, rate: 0.05 });
    const p = pool({ cores: 4, redundancy: 'dmr', faults, taskTimeout: 500, maxBatch: 8, health: { falseAlarm: 0 } });
    const charged = new Set<number>();
    p.on('fault', (e) => charged.add(e.core));
    await p.ready;
    const inputs = Array.from({ length: 300 }, (_, i) => i % 40);
    const results = await Promise.all(inputs.map((n) => p.run(n, { name: 'fib' })));
    const fib = (n: number): number => {
      let a = 0,
        b = 1;
      for (let i = 0; i < n; i++) [a, b] = [b, a + b];
      return a;
    };
    expect(results).toEqual(inputs.map(fib));
    const stats = p.stats;
    expect(stats.messages).toBeLessThan(stats.replicas); // batches formed
    expect(stats.crashes + stats.timeouts).toBeGreaterThan(0);
    expect([...charged].every((core) => core === 1 || core === 2)).toBe(true);
  });
});

describe('pool behaviour', () => {
  it('pins each core and reports the CPU it actually ran on', async () => {
    const p = pool({ cores: 4, pin: 'auto' });
    await p.ready;
    for (const core of p.cores) {
      expect(core.pinned).toBe(true);
      expect(core.observedCpu).toBe(core.cpu);
    }
    const results = await Promise.all(Array.from({ length: 8 }, () => p.runDetailed(10, { name: 'fib' })));
    for (const r of results) {
      for (const replica of r.replicas.filter((x) => x.status === 'value')) {
        expect(replica.cpu).toBe(p.cores[replica.core]!.cpu);
      }
      // Replicas of one task go to distinct CPUs whenever two CPUs exist.
      const cpus = new Set(r.replicas.slice(0, 2).map((x) => x.cpu));
      if (new Set(p.cores.map((c) => c.cpu)).size > 1) expect(cpus.size).toBe(2);
    }
  });

  it("pin: 'off' never pins", async () => {
    const p = pool({ cores: 3, pin: 'off' });
    await p.ready;
    expect(p.cores.every((c) => c.pinned === false)).toBe(true);
    expect(await p.run(10, { name: 'fib' })).toBe(55);
  });

  it('rejects unknown tasks with ERR_TASK_NOT_FOUND and uncloneable inputs with ERR_NOT_CLONEABLE', async () => {
    const p = pool({ cores: 3 });
    expect((await rejection(p.run(1, { name: 'nope' }))).code).toBe('ERR_TASK_NOT_FOUND');
    await p.ready;
    const error = await rejection(p.run(1, { name: 'nope' }));
    expect(error.code).toBe('ERR_TASK_NOT_FOUND');
    expect(error.message).toContain('fib');
    expect((await rejection(p.run({ f: () => 1 }, { name: 'fib' }))).code).toBe('ERR_NOT_CLONEABLE');
    expect((await rejection(p.run(1, { name: 'returnsFunction' }))).code).toBe('ERR_NOT_CLONEABLE');
  });

  it('applies maxQueue backpressure with ERR_QUEUE_FULL', async () => {
    const p = pool({ cores: 3, maxQueue: 2 });
    await p.ready;
    const settled = await Promise.allSettled(Array.from({ length: 8 }, () => p.run(30, { name: 'sleep' })));
    const full = settled.filter((s) => s.status === 'rejected' && (s.reason as { code: string }).code === 'ERR_QUEUE_FULL');
    expect(full.length).toBeGreaterThan(0);
    expect(settled.filter((s) => s.status === 'fulfilled').length).toBeGreaterThanOrEqual(3);
  });

  it('aborts queued and running tasks with ERR_ABORTED, terminating running replicas', async () => {
    const p = pool({ cores: 3 });
    await p.ready;
    const running = new AbortController();
    const queued = new AbortController();
    const first = p.run(5_000, { name: 'sleep', signal: running.signal });
    const second = p.run(5_000, { name: 'sleep', signal: queued.signal });
    await new Promise((r) => setTimeout(r, 50));
    running.abort();
    queued.abort();
    expect((await rejection(first)).code).toBe('ERR_ABORTED');
    expect((await rejection(second)).code).toBe('ERR_ABORTED');
    // The terminated workers restart, pin themselves again and serve; no core was charged.
    const again = await Promise.all(Array.from({ length: 6 }, () => p.runDetailed(12, { name: 'fib' })));
    for (const r of again) {
      expect(r.value).toBe(144);
      for (const replica of r.replicas.filter((x) => x.status === 'value')) expect(replica.cpu).toBe(p.cores[replica.core]!.cpu);
    }
    expect(p.cores.every((c) => c.faults === 0)).toBe(true);
  });

  it('setOffline keeps a core out of service; setOnline brings it back', async () => {
    const p = pool({ cores: 4 });
    await p.ready;
    p.setOffline(3);
    expect(p.cores[3]!.state).toBe('offline');
    const results = await Promise.all(Array.from({ length: 10 }, () => p.runDetailed(10, { name: 'fib' })));
    for (const r of results) expect(r.replicas.some((x) => x.core === 3)).toBe(false);
    p.setOffline(2);
    expect((await rejection(p.run(10, { name: 'fib' }))).code).toBe('ERR_NOT_ENOUGH_CORES');
    p.setOnline(2);
    p.setOnline(3);
    expect(p.cores[3]!.state).toBe('healthy');
    expect(await p.run(10, { name: 'fib' })).toBe(55);
  });

  it('destroy() rejects every pending task with ERR_DESTROYED', async () => {
    const p = pool({ cores: 3 });
    const all = Promise.allSettled(Array.from({ length: 100 }, () => p.run(50, { name: 'sleep' })));
    await new Promise((r) => setTimeout(r, 30));
    await p.destroy();
    const settled = await all;
    const destroyed = settled.filter((s) => s.status === 'rejected' && (s.reason as { code: string }).code === 'ERR_DESTROYED');
    expect(destroyed.length + settled.filter((s) => s.status === 'fulfilled').length).toBe(100);
    expect(destroyed.length).toBeGreaterThanOrEqual(95);
    expect((await rejection(p.run(1, { name: 'fib' }))).code).toBe('ERR_DESTROYED');
  });

  it('destroy() with 100 tasks in flight leaves no thread behind: the process exits by itself', async () => {
    expect(await runFixture('destroy-exit.mjs')).toEqual({ destroyed: 100, other: 0 });
  });

  it('destroy() while workers are still loading never aborts the process (it waits for the loads)', async () => {
    // Terminating a thread inside module instantiation or koffi's initialisation aborts Node;
    // before the fix this child died with SIGABRT in about half of its runs.
    expect(await runFixture('destroy-while-loading.mjs', ['30'], 60_000)).toEqual({ rounds: 30 });
  });
});
