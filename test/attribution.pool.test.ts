// Attribution on real pools (real workers; faultDomain 'none' from the test factory: this 2-CPU
// machine has fewer fault domains than these pools have cores, so their replicas share CPUs).
// The rows of the simulator's table (bench/attribution.ts) that a real pool can run in seconds.
import { describe, expect, it } from 'vitest';
import { FaultInjector } from '../dist/index.js';
import { pools, until } from './helpers.js';

const pool = pools();

function disabledWith(p: ReturnType<typeof pool>): { core: number; replicas: number; stream: string }[] {
  const out: { core: number; replicas: number; stream: string }[] = [];
  p.on('core-state', (e) => {
    if (e.to === 'disabled' && e.attribution !== undefined) out.push({ core: e.core, replicas: e.attribution.replicas, stream: e.attribution.stream });
  });
  return out;
}

describe('attribution on real pools', () => {
  it('a core that always crashes is disabled, on crash evidence', async () => {
    const faults = new FaultInjector({ seed: 5 }).crash({ core: 2, rate: 1 });
    const p = pool({ cores: 5, faults });
    const disabled = disabledWith(p);
    // Keep work coming while the crashing core restarts between replicas (dynamic binding places
    // few replicas on a core that is restarting, so a fixed number of rounds may not reach it often enough).
    const deadline = Date.now() + 20_000;
    while (p.cores[2]!.state !== 'disabled' && Date.now() < deadline) await Promise.all(Array.from({ length: 5 }, () => p.run(15, { name: 'fib' })));
    await until(() => p.cores[2]!.state === 'disabled', 'core 2 disabled');
    expect(disabled).toEqual([{ core: 2, replicas: expect.any(Number), stream: 'crash' }]);
    expect(disabled[0]!.replicas).toBeLessThanOrEqual(12);
    expect(p.cores.filter((c) => c.state === 'disabled').map((c) => c.id)).toEqual([2]);
  });

  it('a core that always hangs is disabled, on timeout evidence', async () => {
    const faults = new FaultInjector({ seed: 9 }).hang({ core: 1, rate: 1 });
    const p = pool({ cores: 5, faults, taskTimeout: 100 });
    const disabled = disabledWith(p);
    // Keep work coming while the hung replicas time out one by one (each blocks its core for 100 ms).
    const deadline = Date.now() + 20_000;
    while (p.cores[1]!.state !== 'disabled' && Date.now() < deadline) {
      await Promise.all(Array.from({ length: 5 }, () => p.run(15, { name: 'fib' })));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await until(() => p.cores[1]!.state === 'disabled', 'core 1 disabled');
    expect(disabled).toEqual([{ core: 1, replicas: expect.any(Number), stream: 'timeout' }]);
    expect(p.cores.filter((c) => c.state === 'disabled').map((c) => c.id)).toEqual([1]);
  });

  it('a kind diverging on 5 % of executions disables nobody; a deterministic kind in the same pool gets its stuck core disabled', async () => {
    // Three fresh pools of 400 tasks at once: under that backlog out-voted replicas are judged long after
    // their core's later ones (about one run in seventeen disabled a healthy core before each core's
    // replicas were judged in the order they came back: bench/burst.ts). Early on, the base rate is also
    // estimated from few replicas (one run in five before a core also had to stand out significantly).
    for (let trial = 0; trial < 3; trial++) {
      const p = pool({ cores: 4 });
      const faults: { kind: string; charged: boolean; statistic: number }[] = [];
      p.on('fault', (e) => faults.push({ kind: e.taskKind ?? e.taskName, charged: e.charged, statistic: e.attribution?.statistic ?? -1 }));
      const settled = await Promise.allSettled(Array.from({ length: 400 }, (_, i) => p.run(i, { name: 'flaky' })));
      expect(settled.filter((s) => s.status === 'fulfilled').length).toBeGreaterThan(350);
      await until(() => p.cores.every((c) => !c.busy), 'the last replicas');
      expect(faults.length).toBeGreaterThan(0); // out-voted replicas were counted as evidence...
      expect(faults.every((f) => f.charged && f.statistic >= 0)).toBe(true);
      expect(p.cores.every((c) => c.state !== 'disabled')).toBe(true); // ...and nobody stood out
    }
    const stuck = pool({ cores: 4, faults: new FaultInjector({ seed: 2 }).stuck({ core: 3 }) });
    const disabled = disabledWith(stuck);
    await Promise.allSettled(Array.from({ length: 200 }, (_, i) => stuck.run(i, { name: 'flaky' })));
    for (let i = 0; i < 10 && stuck.cores[3]!.state !== 'disabled'; i++) {
      await Promise.all(Array.from({ length: 8 }, (_, j) => stuck.run(j + 5, { name: 'fib' })));
    }
    await until(() => stuck.cores[3]!.state === 'disabled', 'the stuck core disabled');
    expect(disabled.map((d) => d.core)).toEqual([3]);
  });

  it('run(input, { kind }) judges cores per kind; a declared non-deterministic kind is never charged', async () => {
    const p = pool({ cores: 4, health: { nondeterministic: ['noisy'], salvage: true }, faults: new FaultInjector({ seed: 4 }).stuck({ core: 0 }) });
    const charged: boolean[] = [];
    p.on('fault', (e) => charged.push(e.charged));
    await Promise.all(Array.from({ length: 60 }, (_, i) => p.run(i % 20, { name: 'fib', kind: 'noisy' })));
    // TMR answers at the first two that agree: the stuck core's replicas may all be judged late.
    await until(() => charged.length > 0 && p.cores.every((c) => !c.busy), 'the stuck core judged');
    expect(charged.every((c) => !c)).toBe(true);
    expect(p.cores[0]!.state).not.toBe('disabled');
    expect(p.cores[0]!.excludedKinds).toEqual([]);
    // The same task under another kind is charged, and salvage excludes the core from that kind only.
    const deadline = Date.now() + 20_000;
    while (p.cores[0]!.excludedKinds.length === 0 && Date.now() < deadline) {
      await Promise.all(Array.from({ length: 8 }, (_, j) => p.run(j + 3, { name: 'fib', kind: 'exact' })));
    }
    await until(() => p.cores[0]!.excludedKinds.includes('exact'), 'core 0 excluded from kind "exact"');
    expect(p.cores[0]!.excludedKinds).toEqual(['exact']);
    await expect(p.run(1, { name: 'fib', kind: 7 as unknown as string })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});
