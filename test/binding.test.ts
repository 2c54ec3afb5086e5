import { describe, expect, it } from 'vitest';
import { createBinding, DynamicBinding, StaticBinding } from '../dist/binding/index.js';
import type { CoreView, Placement, PlacementRequest } from '../dist/binding/index.js';
import { SeededRandom } from '../dist/util/random.js';

import { fakeCores, type FakeCore } from './support/core-views.js';

function req(over: Partial<PlacementRequest> = {}): PlacementRequest {
  return { taskId: 1, taskName: 'fib', k: 3, count: over.k ?? 3, used: [], group: undefined, ...over };
}

function placed(p: Placement): number[] {
  if (p.kind !== 'place') throw new Error(`expected a placement, got ${JSON.stringify(p)}`);
  return p.cores;
}

function occupy(cores: FakeCore[], ids: readonly number[]): void {
  for (const id of ids) cores[id]!.busy = true;
}

describe('StaticBinding', () => {
  it('cuts consecutive groups and deals the last cores as spares round-robin', () => {
    const cores = fakeCores(8);
    const b = new StaticBinding(cores, 3, 1);
    // 7 non-spare cores: groups {0,1,2} {3,4,5}; leftover 6 and spare 7 are dealt to g0, g1.
    expect(b.groupsSnapshot()).toEqual([
      { group: 0, members: [0, 1, 2], spares: [6], inService: true },
      { group: 1, members: [3, 4, 5], spares: [7], inService: true },
    ]);
    expect(b.binding(4)).toEqual({ role: 'member', group: 1 });
    expect(b.binding(6)).toEqual({ role: 'spare', group: 0 });
    expect(b.binding(99)).toEqual({ role: 'free' });
    expect(b.capacity(cores)).toBe(6);
  });

  it('runs a new task on a whole idle group and spreads work over groups', () => {
    const cores = fakeCores(6);
    const b = new StaticBinding(cores, 3, 0);
    const first = b.place(req(), cores);
    expect(first).toEqual({ kind: 'place', cores: [0, 1, 2], group: 0 });
    // Without marking anything busy, the least recently used group comes next.
    expect(b.place(req(), cores)).toEqual({ kind: 'place', cores: [3, 4, 5], group: 1 });
    expect(b.place(req(), cores)).toEqual({ kind: 'place', cores: [0, 1, 2], group: 0 });
  });

  it('keeps a group busy until all its members are idle', () => {
    const cores = fakeCores(6);
    const b = new StaticBinding(cores, 3, 0);
    occupy(cores, [1]);
    expect(b.place(req(), cores)).toEqual({ kind: 'place', cores: [3, 4, 5], group: 1 });
    occupy(cores, [5]);
    expect(b.place(req(), cores)).toEqual({ kind: 'wait' });
  });

  it('re-executes on the group spare, else on another whole group, else waits or gives up', () => {
    const cores = fakeCores(5);
    const b = new StaticBinding(cores, 2, 1); // DMR: {0,1} spare 4, {2,3}
    const again = req({ k: 2, count: 1, used: [0, 1], group: 0 });
    expect(b.place(again, cores)).toEqual({ kind: 'place', cores: [4], group: 0 });
    occupy(cores, [4]);
    expect(b.place(again, cores)).toEqual({ kind: 'place', cores: [2, 3], group: 1 });
    occupy(cores, [2]);
    expect(b.place(again, cores)).toEqual({ kind: 'wait' });
    // Group 1 has no spare and no other group without a used core remains.
    const exhausted = req({ k: 2, count: 1, used: [2, 3, 0, 1], group: 1 });
    expect(b.place(exhausted, cores)).toEqual({ kind: 'impossible', reason: 'exhausted' });
  });

  it('promotes a spare on a permanent fault and keeps capacity; strands the group without one', () => {
    const cores = fakeCores(7);
    const b = new StaticBinding(cores, 3, 1); // {0,1,2} spare 6, {3,4,5}
    cores[1]!.enabled = false;
    expect(b.update(cores)).toEqual([{ type: 'spare-promoted', group: 0, cores: [6], replaced: 1 }]);
    expect(b.capacity(cores)).toBe(6);
    expect(b.binding(6)).toEqual({ role: 'member', group: 0 });
    expect(placed(b.place(req(), cores)).sort()).toEqual([0, 2, 6]);

    cores[4]!.enabled = false;
    expect(b.update(cores)).toEqual([{ type: 'group-stranded', group: 1, cores: [3, 5] }]);
    expect(b.capacity(cores)).toBe(3);
    expect(b.binding(3)).toEqual({ role: 'stranded', group: 1 });
    expect(b.binding(4)).toEqual({ role: 'free', group: 1 });
    for (let i = 0; i < 4; i++) expect(placed(b.place(req(), cores)).sort()).toEqual([0, 2, 6]);

    // Reintegration brings the stranded group back; a reintegrated replaced member is a spare again.
    cores[4]!.enabled = true;
    cores[1]!.enabled = true;
    expect(b.update(cores)).toEqual([
      { type: 'spare-assigned', group: 0, cores: [1] },
      { type: 'group-restored', group: 1, cores: [3, 4, 5] },
    ]);
    expect(b.capacity(cores)).toBe(6);
    expect(b.binding(1)).toEqual({ role: 'spare', group: 0 });
  });

  it('reports not-enough-cores when no group is in service', () => {
    const few = fakeCores(2);
    expect(new StaticBinding(few, 3, 0).place(req(), few)).toEqual({ kind: 'impossible', reason: 'not-enough-cores' });
    const cores = fakeCores(3);
    const b = new StaticBinding(cores, 3, 0);
    cores[0]!.enabled = false;
    b.update(cores);
    expect(b.place(req(), cores)).toEqual({ kind: 'impossible', reason: 'not-enough-cores' });
  });

  it('lets a spare stand in for a member excluded from the task kind', () => {
    const cores = fakeCores(4);
    const b = new StaticBinding(cores, 3, 1);
    cores[2]!.excludedKinds.add('fib');
    expect(placed(b.place(req(), cores)).sort()).toEqual([0, 1, 3]);
    expect(b.place(req({ taskName: 'other' }), cores)).toEqual({ kind: 'place', cores: [0, 1, 2], group: 0 });
    cores[3]!.excludedKinds.add('fib');
    expect(b.place(req(), cores)).toEqual({ kind: 'impossible', reason: 'not-enough-cores' });
  });

  it('finds cores by id when the caller passes them in another order', () => {
    const cores = fakeCores(6);
    const b = new StaticBinding(cores, 3, 0);
    const shuffled = [...cores].reverse();
    shuffled.find((c) => c.id === 0)!.busy = true;
    expect(b.place(req(), shuffled)).toEqual({ kind: 'place', cores: [3, 4, 5], group: 1 });
  });
});

describe('DynamicBinding', () => {
  it('puts the first two TMR replicas on distinct CPUs', () => {
    const cores = fakeCores(6, 2);
    const b = new DynamicBinding(new SeededRandom(1));
    for (let t = 0; t < 20; t++) {
      const [a, c] = placed(b.place(req(), cores));
      expect(cores[a!]!.cpu).not.toBe(cores[c!]!.cpu);
    }
  });

  it('balances load per CPU: a free pick avoids the CPU with more busy cores', () => {
    const cores = fakeCores(6, 2); // CPU 0: 0 2 4, CPU 1: 1 3 5
    occupy(cores, [0, 2]);
    const b = new DynamicBinding(new SeededRandom(2));
    const out = placed(b.place(req(), cores));
    expect(out.map((id) => cores[id]!.cpu)).toEqual([1, 0, 1]);
    // A tie-break (cap allows either CPU) still goes to the less loaded CPU.
    const again = placed(b.place(req({ count: 1, used: [0, 1] }), cores));
    expect(cores[again[0]!]!.cpu).toBe(1);
  });

  it('waits rather than doubling up on a CPU while the other CPU is busy', () => {
    const cores = fakeCores(4, 2);
    occupy(cores, [1, 3]);
    const b = new DynamicBinding(new SeededRandom(3));
    expect(b.place(req({ k: 2, count: 2 }), cores)).toEqual({ kind: 'wait' });
  });

  it('relaxes the fault-domain cap when no unused core on another CPU exists', () => {
    const cores = fakeCores(6, 2);
    const b = new DynamicBinding(new SeededRandom(4));
    cores[1]!.enabled = false;
    cores[3]!.enabled = false;
    cores[5]!.enabled = false;
    expect(placed(b.place(req(), cores)).sort()).toEqual([0, 2, 4]);
    cores[1]!.enabled = true;
    expect(placed(b.place(req({ count: 1, used: [0, 1, 2] }), cores))).toEqual([4]);
  });

  it('prefers speed close to the other replicas, else the fastest, then the least recently faulty', () => {
    const cores = fakeCores(4, 1);
    cores[1]!.speed = 3;
    cores[2]!.speed = 2.95;
    cores[3]!.lastFaultAt = 10;
    cores[0]!.lastFaultAt = 20;
    const b = new DynamicBinding(new SeededRandom(5));
    expect(placed(b.place(req({ k: 2, count: 1, used: [1] }), cores))).toEqual([2]);
    expect(placed(b.place(req({ k: 2, count: 1, used: [2] }), cores))).toEqual([1]);
    expect(placed(b.place(req({ k: 2, count: 1, used: [1, 2] }), cores))).toEqual([3]);
  });

  it('reports exhausted and not-enough-cores', () => {
    const cores = fakeCores(4, 2);
    const b = new DynamicBinding(new SeededRandom(6));
    expect(b.place(req({ count: 1, used: [0, 1, 2, 3] }), cores)).toEqual({ kind: 'impossible', reason: 'exhausted' });
    occupy(cores, [3]);
    expect(b.place(req({ count: 1, used: [0, 1, 2] }), cores)).toEqual({ kind: 'wait' });
    cores[0]!.excludedKinds.add('fib');
    cores[1]!.enabled = false;
    expect(b.place(req(), cores)).toEqual({ kind: 'impossible', reason: 'not-enough-cores' });
    expect(b.place(req({ taskName: 'other' }), cores)).toEqual({ kind: 'wait' });
  });

  it('keeps serving until fewer than k enabled cores remain', () => {
    const cores = fakeCores(6, 2);
    const b = new DynamicBinding(new SeededRandom(7));
    for (let down = 0; down < 6; down++) {
      b.update(cores);
      expect(b.capacity(cores)).toBe(6 - down);
      expect(b.place(req(), cores).kind).toBe(6 - down >= 3 ? 'place' : 'impossible');
      cores[down]!.enabled = false;
    }
    b.update(cores);
    expect(b.binding(0)).toEqual({ role: 'free' });
  });

  it('handles CPU ids outside the direct range', () => {
    const cores = fakeCores(4, 2).map((c) => ({ ...c, cpu: c.cpu === 0 ? -1 : 1e9 }));
    const b = new DynamicBinding();
    const [a, c] = placed(b.place(req({ k: 2, count: 2 }), cores));
    expect(cores[a!]!.cpu).not.toBe(cores[c!]!.cpu);
  });
});

describe('createBinding', () => {
  it('builds either policy', () => {
    const cores: CoreView[] = fakeCores(4, 2);
    expect(createBinding('static', cores, 2, 0, new SeededRandom(1)).name).toBe('static');
    const dyn = createBinding('dynamic', cores, 2, 0, new SeededRandom(1));
    expect(dyn.name).toBe('dynamic');
    expect(dyn.binding(0)).toEqual({ role: 'member' });
    expect(() => createBinding('x' as 'static', cores, 2, 0, new SeededRandom(1))).toThrow(/binding/);
    expect(() => new StaticBinding(cores, 0, 0)).toThrow(/"k"/);
  });
});
