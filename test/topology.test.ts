// Fault domains: sysfs topology parsing on fixture trees, the faultDomain option, and placement
// that never puts two replicas of a task in one domain (dynamic and static binding, tie-breaks and
// re-executions included). Pools built here run real workers on this machine's real sysfs.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DynamicBinding, StaticBinding, type Placement, type PlacementRequest } from '../dist/binding/index.js';
import { domainsOf, parseCpuList, readTopology, spreadCpus, type Topology } from '../dist/cores/topology.js';
import { resolveDomains } from '../dist/pool/domain-options.js';
import { honestRedundancy } from '../dist/cli/commands/cores.js';
import { resolveOptions } from '../dist/pool/options.js';
import { FaultInjector, Triplex } from '../dist/index.js';
import { fakeCores, type FakeCore } from './support/core-views.js';
import { TASKS } from './helpers.js';

/** A sysfs-like tree: cpuN/topology/{thread_siblings_list,core_id,physical_package_id}. */
function tree(cpus: Record<number, { siblings: string; core: number; pkg: number }>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'triplex-sysfs-'));
  for (const [cpu, t] of Object.entries(cpus)) {
    const dir = path.join(root, `cpu${cpu}`, 'topology');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'thread_siblings_list'), `${t.siblings}\n`);
    writeFileSync(path.join(dir, 'core_id'), `${t.core}\n`);
    writeFileSync(path.join(dir, 'physical_package_id'), `${t.pkg}\n`);
  }
  return root;
}

/** 4 CPUs, 2 physical cores with 2 SMT threads each: siblings 0,2 and 1,3 (Linux numbers them apart). */
const SMT = {
  0: { siblings: '0,2', core: 0, pkg: 0 },
  1: { siblings: '1,3', core: 1, pkg: 0 },
  2: { siblings: '0,2', core: 0, pkg: 0 },
  3: { siblings: '1,3', core: 1, pkg: 0 },
};

describe('topology parsing', () => {
  it('parses CPU lists', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('5')).toEqual([5]);
    expect(parseCpuList('')).toBeUndefined();
    expect(parseCpuList('3-1')).toBeUndefined();
    expect(parseCpuList('a')).toBeUndefined();
  });

  it('SMT siblings are one physical-core domain; cpu mode gives one per CPU', () => {
    const topo = readTopology([0, 1, 2, 3], tree(SMT));
    expect(topo.source).toBe('sysfs');
    expect(topo.cpus[2]).toEqual({ cpu: 2, pkg: 0, core: 0, siblings: [0, 2] });
    const physical = domainsOf(topo, 'physical-core')!;
    expect([0, 1, 2, 3].map((c) => physical.get(c))).toEqual([0, 1, 0, 1]);
    const cpu = domainsOf(topo, 'cpu')!;
    expect([0, 1, 2, 3].map((c) => cpu.get(c))).toEqual([0, 1, 2, 3]);
    expect(domainsOf(topo, 'none')).toBeUndefined();
    // Cores take CPUs round-robin: spread so consecutive cores land in distinct domains.
    expect(spreadCpus([0, 2, 1, 3], physical)).toEqual([0, 1, 2, 3]);
  });

  it('the same core id in two packages is two domains', () => {
    const topo = readTopology([0, 1], tree({ 0: { siblings: '0', core: 0, pkg: 0 }, 1: { siblings: '1', core: 0, pkg: 1 } }));
    expect(new Set(domainsOf(topo, 'physical-core')!.values()).size).toBe(2);
  });

  it('`triplex cores` says what redundancy the topology can honestly give', () => {
    expect(honestRedundancy(readTopology([0, 1, 2, 3], tree(SMT))).verdict).toMatch(/^DMR only.*only detected/);
    const eight = Object.fromEntries([0, 1, 2, 3, 4, 5, 6, 7].map((c) => [c, { siblings: `${c % 4},${(c % 4) + 4}`, core: c % 4, pkg: 0 }]));
    const honest = honestRedundancy(readTopology([0, 1, 2, 3, 4, 5, 6, 7], tree(eight)));
    expect(honest).toMatchObject({ physicalCores: 4, cpus: 8, verdict: expect.stringMatching(/^TMR and DMR/) });
    expect(honestRedundancy(readTopology([0, 2], tree({ 0: SMT[0], 2: SMT[2] }))).verdict).toMatch(/^none/); // two SMT threads of one core
  });

  it('falls back to one domain per CPU without sysfs', () => {
    const topo = readTopology([0, 1, 5], path.join(tmpdir(), 'triplex-no-such-sysfs'));
    expect(topo.source).toBe('fallback');
    expect([...domainsOf(topo, 'physical-core')!.values()]).toEqual([0, 1, 2]);
  });
});

describe('the faultDomain option', () => {
  const smt = (cpus: readonly number[]): Topology => readTopology(cpus, tree(SMT));

  it('too few domains for the redundancy: ERR_INVALID_OPTION naming faultDomain, the domains found and what is needed', () => {
    let error: (Error & { code?: string }) | undefined;
    try {
      resolveDomains(undefined, [0, 1, 2, 3], 4, 3, smt);
    } catch (e) {
      error = e as Error & { code?: string };
    }
    expect(error).toBeInstanceOf(RangeError);
    expect(error?.code).toBe('ERR_INVALID_OPTION');
    expect(error?.message).toContain('"faultDomain"');
    expect(error?.message).toContain('at least 3 fault domains for TMR');
    expect(error?.message).toContain('finds 2 physical cores');
    // DMR with exactly 2 domains is allowed; 'cpu' counts 4; 'none' checks nothing.
    expect(resolveDomains(undefined, [0, 1, 2, 3], 4, 2, smt).cpuDomains).toEqual([0, 1, 0, 1]);
    expect(resolveDomains('cpu', [0, 1, 2, 3], 4, 3, smt).cpuDomains).toEqual([0, 1, 2, 3]);
    expect(resolveDomains('none', [0, 1, 2, 3], 4, 3, smt).cpuDomains).toBeUndefined();
  });

  it('validates the value (TypeError / RangeError naming it)', () => {
    expect(() => resolveOptions({ filename: '/tmp/t.mjs', faultDomain: 'socket' })).toThrow(/"faultDomain".*"socket"/);
    expect(() => resolveOptions({ filename: '/tmp/t.mjs', faultDomain: 3 })).toThrow(TypeError);
  });

  it('on this machine (real sysfs) default TMR throws unless the CPUs give 3 domains; faultDomain none is explicit', () => {
    const cpus = resolveOptions({ filename: '/tmp/t.mjs', faultDomain: 'none' }).cpus;
    const domains = new Set(domainsOf(readTopology(cpus), 'physical-core')!.values()).size;
    if (domains < 3) expect(() => resolveOptions({ filename: '/tmp/t.mjs' })).toThrow(/faultDomain/);
    else expect(resolveOptions({ filename: '/tmp/t.mjs' }).faultDomain).toBe('physical-core');
    expect(resolveOptions({ filename: '/tmp/t.mjs', redundancy: 'dmr', cores: 2 }).faultDomain).toBe('physical-core');
  });
});

function withDomains(n: number, domains: number): FakeCore[] {
  return fakeCores(n).map((c) => ({ ...c, cpu: c.id, domain: c.id % domains }));
}

function cores(p: Placement): number[] {
  if (p.kind !== 'place') throw new Error(`expected a placement, got ${JSON.stringify(p)}`);
  return p.cores;
}

const req = (over: Partial<PlacementRequest> = {}): PlacementRequest => ({ taskId: 1, taskName: 'fib', k: 3, count: 3, used: [], group: undefined, ...over });

describe('placement never shares a fault domain', () => {
  it('dynamic: first replicas, tie-breaks and re-executions each in a new domain; too few domains is impossible', () => {
    const cs = withDomains(6, 3); // domains 0,1,2,0,1,2
    const b = new DynamicBinding();
    b.update(cs);
    const first = cores(b.place(req(), cs));
    expect(new Set(first.map((id) => cs[id]!.domain)).size).toBe(3);
    // A re-execution after 3 replicas: every domain is used, so none is left.
    expect(b.place(req({ count: 1, used: first }), cs)).toEqual({ kind: 'impossible', reason: 'exhausted' });
    // DMR on domains 0 and 1: the tie-break must avoid both.
    const dmr = withDomains(6, 4);
    b.update(dmr);
    const tie = cores(b.place(req({ k: 2, count: 1, used: [0, 1] }), dmr));
    expect([2, 3]).toContain(dmr[tie[0]!]!.domain);
    // Two domains only: TMR is not possible, DMR is.
    const two = withDomains(6, 2);
    b.update(two);
    expect(b.place(req(), two)).toEqual({ kind: 'impossible', reason: 'not-enough-cores' });
    expect(
      cores(b.place(req({ k: 2, count: 2 }), two))
        .map((id) => two[id]!.domain)
        .sort(),
    ).toEqual([0, 1]);
    // Domains 0,1,2,0 with core 2 busy: idle cores 0, 1, 3 span only 2 domains, so TMR waits.
    const busy = withDomains(4, 3);
    busy[2]!.busy = true;
    b.update(busy);
    expect(b.place(req({ count: 3 }), busy)).toEqual({ kind: 'wait' });
    expect(
      cores(b.place(req({ k: 2, count: 2 }), busy))
        .map((id) => busy[id]!.domain)
        .sort(),
    ).toEqual([0, 1]);
  });

  it('static: a group never spans one domain twice; a spare from a used domain is not promoted', () => {
    const cs = fakeCores(4).map((c) => ({ ...c, domain: [0, 1, 2, 0][c.id]! }));
    const b = new StaticBinding(cs, 3, 1); // group {0,1,2}, spare 3 in domain 0
    cs[1]!.enabled = false;
    // The spare shares domain 0 with member 0: the group cannot be repaired and leaves service.
    expect(b.update(cs)).toEqual([expect.objectContaining({ type: 'group-stranded', group: 0 })]);
    const ok = fakeCores(4).map((c) => ({ ...c, domain: [0, 1, 2, 1][c.id]! }));
    const s = new StaticBinding(ok, 3, 1);
    ok[1]!.enabled = false;
    expect(s.update(ok)).toEqual([expect.objectContaining({ type: 'spare-promoted', cores: [3], replaced: 1 })]);
    expect(
      cores(s.place(req(), ok))
        .map((id) => ok[id]!.domain)
        .sort(),
    ).toEqual([0, 1, 2]);
    // DMR tie-break on the group's spares: the spare in a used domain is skipped.
    const dmr = fakeCores(4).map((c) => ({ ...c, domain: [0, 1, 0, 2][c.id]! }));
    const d = new StaticBinding(dmr, 2, 2); // group {0,1}, spares 2 (domain 0) and 3 (domain 2)
    expect(cores(d.place(req({ k: 2, count: 1, used: [0, 1], group: 0 }), dmr))).toEqual([3]);
  });
});

describe('real pools on this machine', () => {
  it("pool.cores shows each core's domain; a mercurial CPU under DMR on 2 domains is detected, never voted", async () => {
    // 2 cores on the 2 CPUs of this machine: DMR with exactly 2 fault domains (allowed).
    const faults = new FaultInjector({ seed: 1 }).stuck({ cpu: 0 });
    const pool = new Triplex({ filename: TASKS, redundancy: 'dmr', cores: 2, faults, health: { falseAlarm: 0 } });
    try {
      await pool.ready;
      const info = pool.cores;
      expect(info.map((c) => c.domain)).toHaveLength(2);
      expect(new Set(info.map((c) => c.domain)).size).toBe(2);
      const pinned = info.every((c) => c.pinned === true);
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => pool.run(i + 10, { name: 'fib' })));
      if (pinned) {
        // Every task has one replica on CPU 0 (wrong) and one on CPU 1: no majority, never a wrong value.
        for (const o of outcomes) expect(o.status === 'rejected' && (o.reason as { code: string }).code).toBe('ERR_NO_MAJORITY');
        // Injected only where a replica really ran on CPU 0: one of each task's two.
        expect(pool.stats.injected).toBe(10);
        expect(faults.log.filter((r) => r.applied === false)).toHaveLength(10);
      }
    } finally {
      await pool.destroy();
    }
  });

  it('DMR on exactly 2 domains survives crashes: a replica that cast no vote frees its domain for the re-execution', async () => {
    // 6 cores on this machine's 2 CPUs (2 domains); every crash leaves the task one vote short. (Were a
    // crashed replica's domain kept, each crash would end its task with ERR_NO_MAJORITY.)
    const faults = new FaultInjector({ seed: 5 }).crash({ rate: 0.05 });
    const pool = new Triplex({ filename: TASKS, redundancy: 'dmr', cores: 6, faults, health: { falseAlarm: 0 } });
    try {
      const values = await Promise.all(Array.from({ length: 60 }, (_, i) => pool.run(i % 20, { name: 'fib' })));
      const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));
      values.forEach((value, i) => expect(value).toBe(fib(i % 20)));
      expect(pool.stats.crashes).toBeGreaterThan(0);
      expect(pool.stats.noMajority).toBe(0);
    } finally {
      await pool.destroy();
    }
  });
});
