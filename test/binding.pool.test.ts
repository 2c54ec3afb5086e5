// Core binding and health with real workers: capacity under static vs dynamic binding,
// reintegration by known-answer tests, retirement, software core salvaging.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { FaultInjector, Triplex } from '../dist/index.js';
import { until, pools } from './helpers.js';

const CORE_FAULTS = fileURLToPath(new URL('./fixtures/core-faults.mjs', import.meta.url));
const pool = pools();

async function drive(p: Triplex, count: number, name = 'fib', input: unknown = 20): Promise<void> {
  await Promise.all(Array.from({ length: count }, () => p.run(input, { name })));
}

describe('static vs dynamic binding with a stuck core', () => {
  it('static without spares loses the whole group: its healthy cores are stranded', async () => {
    const p = pool({ cores: 6, binding: 'static', faults: new FaultInjector({ seed: 1 }).stuck({ core: 1 }) });
    await p.ready;
    expect(p.cores.map((c) => c.group)).toEqual([0, 0, 0, 1, 1, 1]);
    await drive(p, 30);
    await until(() => p.cores[1]!.state === 'disabled', 'core 1 disabled');
    const states = p.cores.map((c) => c.state);
    expect(states).toEqual(['stranded', 'disabled', 'stranded', 'healthy', 'healthy', 'healthy']);
    // The surviving group still serves, with full TMR.
    const r = await p.runDetailed(20, { name: 'fib' });
    expect(r.value).toBe(6765);
    expect(new Set(r.replicas.map((x) => x.core))).toEqual(new Set([3, 4, 5]));
  });

  it('static with a spare promotes it and keeps both groups', async () => {
    const p = pool({ cores: 7, spares: 1, binding: 'static', faults: new FaultInjector({ seed: 1 }).stuck({ core: 1 }) });
    const spares: string[] = [];
    p.on('spare', (e) => spares.push(`${e.type}:${e.cores.join(',')}:${e.replaced ?? ''}`));
    await p.ready;
    expect(p.cores[6]!.role).toBe('spare');
    await drive(p, 30);
    await until(() => p.cores[1]!.state === 'disabled', 'core 1 disabled');
    expect(spares).toContain('spare-promoted:6:1');
    expect(p.cores.filter((c) => c.state === 'stranded')).toEqual([]);
    expect(p.cores[6]!.role).toBe('member');
    const results = await Promise.all(Array.from({ length: 12 }, () => p.runDetailed(20, { name: 'fib' })));
    const used = new Set(results.flatMap((r) => r.replicas.map((x) => x.core)));
    expect(used.has(6)).toBe(true);
    expect(used.has(1)).toBe(false);
  });

  it('dynamic keeps every other core in service', async () => {
    const p = pool({ cores: 6, binding: 'dynamic', faults: new FaultInjector({ seed: 1 }).stuck({ core: 1 }) });
    await p.ready;
    await drive(p, 30);
    await until(() => p.cores[1]!.state === 'disabled', 'core 1 disabled');
    expect(p.cores.filter((c) => c.state === 'healthy').length).toBe(5);
    const results = await Promise.all(Array.from({ length: 20 }, () => p.runDetailed(20, { name: 'fib' })));
    const used = new Set(results.flatMap((r) => r.replicas.map((x) => x.core)));
    expect([...used].sort()).toEqual([0, 2, 3, 4, 5]);
  });
});

describe('reintegration by known-answer tests', () => {
  it('a core that failed transiently is disabled, passes its KATs, serves on probation, and is healthy again', async () => {
    const p = pool({
      filename: CORE_FAULTS,
      cores: 4,
      health: { selfTest: { after: 100, passes: 3, probationTasks: 5 } },
    });
    const transitions: string[] = [];
    const kats: boolean[] = [];
    p.on('core-state', (e) => {
      if (e.core === 2) transitions.push(e.to);
    });
    p.on('self-test', (e) => {
      if (e.core === 2) kats.push(e.passed);
    });
    await p.ready;
    const until2 = Date.now() + 1_500;
    // During the episode core 2 answers wrong and is out-voted, then disabled.
    while (p.cores[2]!.state !== 'disabled') {
      await Promise.all(Array.from({ length: 8 }, (_, i) => p.run({ n: i, badCore: 2, until: until2 }, { name: 'episode' })));
    }
    // Once the episode is over the KATs pass and the core comes back on probation.
    await until(() => p.cores[2]!.state === 'probation', 'core 2 on probation', 15_000);
    expect(kats.length).toBeGreaterThanOrEqual(3);
    while ((p.cores[2]!.state as string) === 'probation') {
      await new Promise((r) => setTimeout(r, Math.max(0, until2 - Date.now())));
      await Promise.all(Array.from({ length: 8 }, (_, i) => p.run({ n: i, badCore: 2, until: until2 }, { name: 'episode' })));
    }
    expect(p.cores[2]!.state).toBe('healthy');
    expect(transitions).toEqual(expect.arrayContaining(['disabled', 'probation', 'healthy']));
    expect(transitions.indexOf('probation')).toBeGreaterThan(transitions.indexOf('disabled'));
  });

  it('an intermittent core passes its KATs but faults again on probation, and is retired for good', async () => {
    // The stuck model corrupts user results only: the known-answer probes pass, as they would on a
    // mercurial core whose bad instruction the KATs do not hit.
    const p = pool({ cores: 4, faults: new FaultInjector({ seed: 4 }).stuck({ core: 0 }), health: { selfTest: { after: 50, passes: 2, maxProbations: 1 } } });
    const transitions: string[] = [];
    p.on('core-state', (e) => {
      if (e.core === 0) transitions.push(e.to);
    });
    await p.ready;
    const deadline = Date.now() + 20_000;
    while (p.cores[0]!.state !== 'retired' && Date.now() < deadline) {
      await drive(p, 8);
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(p.cores[0]!.state).toBe('retired');
    expect(transitions).toContain('probation');
    // Every answer stayed correct throughout, and the retired core never serves again.
    const r = await Promise.all(Array.from({ length: 10 }, () => p.runDetailed(20, { name: 'fib' })));
    for (const x of r) {
      expect(x.value).toBe(6765);
      expect(x.replicas.some((y) => y.core === 0)).toBe(false);
    }
  });
});

describe('software core salvaging', () => {
  it('excludes a core from the one task kind it gets wrong and keeps it serving the others', async () => {
    const p = pool({ filename: CORE_FAULTS, cores: 4, health: { salvage: { maxKinds: 2 } } });
    await p.ready;
    for (let round = 0; round < 6 && p.cores[1]!.excludedKinds.length === 0; round++) {
      await Promise.all(Array.from({ length: 8 }, (_, i) => p.run({ x: i + 2, badCore: 1 }, { name: 'floatPath' })));
      await Promise.all(Array.from({ length: 8 }, (_, i) => p.run({ n: i }, { name: 'intPath' })));
    }
    await until(() => p.cores[1]!.excludedKinds.includes('floatPath'), 'core 1 excluded from floatPath');
    expect(p.cores[1]!.state).not.toBe('disabled');
    const floats = await Promise.all(Array.from({ length: 10 }, (_, i) => p.runDetailed({ x: i + 2, badCore: 1 }, { name: 'floatPath' })));
    for (const r of floats) expect(r.replicas.some((x) => x.core === 1)).toBe(false);
    const ints = await Promise.all(Array.from({ length: 16 }, (_, i) => p.runDetailed({ n: i }, { name: 'intPath' })));
    expect(ints.some((r) => r.replicas.some((x) => x.core === 1))).toBe(true);
    // One more core offline: 3 enabled, enough for TMR, but only 2 may run floatPath, and the error says so.
    p.setOffline(2);
    await expect(p.run({ x: 2, badCore: 1 }, { name: 'floatPath' })).rejects.toMatchObject({
      code: 'ERR_NOT_ENOUGH_CORES',
      message: expect.stringMatching(/2 can serve task kind "floatPath" \(1 of the 3 enabled exclude it/),
    });
  });
});

describe('health export and restore', () => {
  it('a restarted pool remembers a known-bad core', async () => {
    const p = pool({ cores: 4, faults: new FaultInjector({ seed: 2 }).stuck({ core: 3 }) });
    await drive(p, 20);
    await until(() => p.cores[3]!.state === 'disabled', 'core 3 disabled');
    const snapshot = JSON.parse(JSON.stringify(p.health.export()));
    const restarted = pool({ cores: 4, health: { restore: snapshot } });
    await restarted.ready;
    expect(restarted.cores[3]!.state).toBe('disabled');
    const r = await Promise.all(Array.from({ length: 10 }, () => restarted.runDetailed(20, { name: 'fib' })));
    for (const x of r) expect(x.replicas.some((y) => y.core === 3)).toBe(false);
  });
});
