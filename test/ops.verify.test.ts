// State scan on real workers: intended vs actual (sched_getcpu / sched_getaffinity inside the worker).
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultInjector, Triplex, availableCpus, pinningUnavailableReason, type TriplexOptions } from '../dist/index.js';
import { until } from './helpers.js';

const OPS_TASKS = fileURLToPath(new URL('./fixtures/ops-tasks.mjs', import.meta.url));
const cpus = availableCpus();
// Re-pinning one core onto another CPU needs pinning and at least two CPUs.
const canPin = pinningUnavailableReason() === undefined && cpus.length >= 2;

const pools: Triplex[] = [];
function pool(options: Partial<TriplexOptions> = {}): Triplex {
  const created = new Triplex({ filename: OPS_TASKS, faultDomain: 'none', ...options }); // more cores than CPUs here: replicas share CPUs
  pools.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
});

describe('pool.verify()', () => {
  it.runIf(canPin)('reports no drift on a healthy pinned pool, and drift once a task re-pins its worker', async () => {
    const [a, b] = [cpus[0]!, cpus[1]!];
    const p = pool({ cores: 2, redundancy: 'dmr', cpus: [a, b] });
    const clean = await p.verify();
    expect(clean.ok).toBe(true);
    for (const core of clean.cores) {
      expect(core.drift).toEqual([]);
      expect(core.intended.pinned).toBe(true);
      expect(core.actual.answered).toBe(true);
      expect(core.actual.affinity).toEqual([core.intended.cpu]);
      expect(core.actual.cpu).toBe(core.intended.cpu);
      expect(core.actual.threadId).toBeGreaterThan(0);
    }
    // Core 1 (intended CPU b) moves itself to CPU a behind the pool's back.
    expect(await p.run({ core: 1, cpu: a }, { name: 'repin' })).toBe(true);
    const report = await p.verify();
    expect(report.ok).toBe(false);
    expect(report.cores[0]!.drift).toEqual([]);
    const drift = report.cores[1]!.drift.join('\n');
    expect(drift).toContain(`affinity: the worker thread may run on CPUs [${a}], intended CPU ${b} only`);
    expect(drift).toContain(`cpu: the worker thread runs on CPU ${a}, intended CPU ${b}`);
    expect(report.cores[1]!.actual.affinity).toEqual([a]);
  });

  it.runIf(canPin)('with pin off, intends unpinned threads and flags one that pinned itself', async () => {
    const p = pool({ cores: 2, redundancy: 'dmr', pin: 'off' });
    const clean = await p.verify();
    expect(clean.ok).toBe(true);
    expect(clean.cores.every((c) => !c.intended.pinned && c.actual.affinity !== null && c.actual.affinity.length === cpus.length)).toBe(true);
    await p.run({ core: 0, cpu: cpus[1]! }, { name: 'repin' });
    const report = await p.verify();
    expect(report.ok).toBe(false);
    expect(report.cores[0]!.drift).toEqual([
      `affinity: the worker thread is restricted to CPUs [${cpus[1]}] though it is meant to be unpinned (process mask [${cpus.join(', ')}])`,
    ]);
  });

  it('accepts an offline core whose worker still runs, and a disabled core whose worker stopped', async () => {
    const faults = new FaultInjector({ seed: 2 }).stuck({ core: 2 });
    const p = pool({ cores: 4, faults });
    await Promise.all(Array.from({ length: 12 }, (_, i) => p.run(i + 3, { name: 'fib' })));
    await until(() => p.cores[2]!.state === 'disabled' && !p.cores[2]!.busy, 'core 2 to be disabled and idle');
    p.setOffline(0);
    const report = await p.verify();
    expect(report.ok).toBe(true);
    const [offline, , disabled] = report.cores;
    expect(offline!.intended).toMatchObject({ state: 'offline', enabled: false, worker: null });
    expect(offline!.actual).toMatchObject({ worker: true, enabled: false });
    expect(disabled!.intended).toMatchObject({ state: 'disabled', enabled: false, worker: false });
    expect(disabled!.actual).toMatchObject({ worker: false, answered: false });
    await expect(p.verify({ timeout: 0 })).rejects.toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });

  it.runIf(canPin)('scanInterval: the periodic scan emits drift and logs it', async () => {
    const [a, b] = [cpus[0]!, cpus[1]!];
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const p = pool({ cores: 2, redundancy: 'dmr', cpus: [a, b], scanInterval: 20, audit: { stream } });
    const events: { ok: boolean; cores: { drift: string[] }[] }[] = [];
    p.on('drift', (report) => events.push(report));
    await p.ready;
    await p.run({ core: 0, cpu: b }, { name: 'repin' });
    await until(() => events.length > 0, 'a drift event');
    expect(events[0]!.ok).toBe(false);
    expect(events[0]!.cores[0]!.drift.join()).toContain(`intended CPU ${a}`);
    await until(() => text.includes('"type":"drift"'), 'a drift line in the audit log');
    const line = JSON.parse(text.split('\n').find((l) => l.includes('"type":"drift"'))!) as { cores: { core: number; drift: string[] }[] };
    expect(line.cores.map((c) => c.core)).toEqual([0]);
    await p.destroy();
    await expect(p.verify()).rejects.toThrow(expect.objectContaining({ code: 'ERR_DESTROYED' }));
  });
});
