import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { DynamicBinding, StaticBinding } from '../dist/binding/index.js';
import type { BindingPolicy, Placement, PlacementRequest } from '../dist/binding/index.js';
import { SeededRandom } from '../dist/util/random.js';

const params = { seed: SEED, numRuns: 300 };

import { fakeCores, type FakeCore } from './support/core-views.js';
import { SEED } from './support/seed.js';

const coreArb = fc.record({
  cpu: fc.integer({ min: 0, max: 3 }),
  enabled: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
  busy: fc.integer({ min: 0, max: 2 }).map((n) => n === 0),
  excluded: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  speed: fc.constantFrom(1, 1.02, 1.5, 3),
  lastFaultAt: fc.oneof(fc.constant(-Infinity), fc.integer({ min: 0, max: 100 })),
});

const worldArb = fc.record({
  specs: fc.array(coreArb, { minLength: 1, maxLength: 16 }),
  k: fc.constantFrom(2, 3),
  spares: fc.integer({ min: 0, max: 4 }),
  taskName: fc.constantFrom('a', 'b'),
  usedMask: fc.array(
    fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    { minLength: 16, maxLength: 16 },
  ),
  count: fc.integer({ min: 1, max: 3 }),
  group: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }),
  reversed: fc.boolean(),
  rng: fc.integer({ min: 0, max: 0xffff_ffff }),
});

type World = typeof worldArb extends fc.Arbitrary<infer W> ? W : never;

function build(w: World): FakeCore[] {
  const cores = w.specs.map((s, id) => ({
    id,
    cpu: s.cpu,
    enabled: s.enabled,
    excludedKinds: new Set<string>(s.excluded ? ['a'] : []),
    busy: s.busy,
    speed: s.speed,
    lastFaultAt: s.lastFaultAt,
  }));
  return w.reversed ? cores.reverse() : cores;
}

function request(w: World, cores: FakeCore[], fresh: boolean): PlacementRequest {
  const used = fresh ? [] : cores.filter((c) => w.usedMask[c.id]).map((c) => c.id);
  const count = used.length === 0 ? w.k : w.count;
  return { taskId: 1, taskName: w.taskName, k: w.k, count, used, group: used.length === 0 ? undefined : w.group };
}

/** The safety rules every placement obeys, whatever the policy. */
function checkSafe(p: Placement, r: PlacementRequest, cores: FakeCore[]): void {
  if (p.kind !== 'place') return;
  expect(new Set(p.cores).size).toBe(p.cores.length);
  for (const id of p.cores) {
    const c = cores.find((x) => x.id === id);
    expect(c).toBeDefined();
    expect(c!.enabled).toBe(true);
    expect(c!.busy).toBe(false);
    expect(c!.excludedKinds.has(r.taskName)).toBe(false);
    expect(r.used).not.toContain(id);
  }
}

/** Marks placed cores busy, as the pool does before the next decision. */
function dispatch(p: Placement, cores: FakeCore[]): void {
  if (p.kind === 'place') for (const id of p.cores) cores.find((c) => c.id === id)!.busy = true;
}

describe('binding properties', () => {
  test.prop([worldArb], params)('static: safe placements of k, or count on the own group', (w) => {
    const cores = build(w);
    const b = new StaticBinding(fakeCores(w.specs.length, 4), w.k, w.spares);
    b.update(cores);
    for (const fresh of [true, false, true, false]) {
      const r = request(w, cores, fresh);
      const p = b.place(r, cores);
      checkSafe(p, r, cores);
      if (p.kind === 'place') {
        const sameGroup = r.used.length > 0 && p.group === r.group;
        expect(p.cores.length).toBe(sameGroup ? r.count : w.k);
      } else if (p.kind === 'impossible') {
        expect(p.reason).toBe(r.used.length === 0 ? 'not-enough-cores' : 'exhausted');
      }
      dispatch(p, cores);
    }
  });

  test.prop([worldArb], params)('dynamic: safe placements of exactly count, with the documented refusals', (w) => {
    const cores = build(w);
    const b: BindingPolicy = new DynamicBinding(new SeededRandom(w.rng));
    for (const fresh of [true, false, true, false]) {
      const r = request(w, cores, fresh);
      const p = b.place(r, cores);
      checkSafe(p, r, cores);
      const serving = cores.filter((c) => c.enabled && !c.excludedKinds.has(r.taskName));
      const eligible = serving.filter((c) => !r.used.includes(c.id));
      const expected =
        r.used.length === 0 && serving.length < r.k
          ? 'not-enough-cores'
          : eligible.length < r.count
            ? 'exhausted'
            : eligible.filter((c) => !c.busy).length < r.count
              ? 'wait'
              : 'place-or-wait';
      if (p.kind === 'impossible') expect(p.reason).toBe(expected);
      else if (p.kind === 'wait') expect(['wait', 'place-or-wait']).toContain(expected);
      else {
        expect(expected).toBe('place-or-wait');
        expect(p.cores.length).toBe(r.count);
      }
      // A new task on two or more fault domains always starts on two distinct CPUs.
      const domains = new Set(serving.map((c) => c.cpu)).size;
      if (p.kind === 'place' && r.used.length === 0 && domains >= 2) {
        const [a, c] = p.cores.map((id) => cores.find((x) => x.id === id)!.cpu);
        expect(a).not.toBe(c);
      }
      dispatch(p, cores);
    }
  });

  test.prop([fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom(2, 3), fc.integer({ min: 0, max: 0xffff })], params)(
    'dynamic: an idle pool spreads a new task over min(k, CPUs) CPUs',
    (n, cpus, k, rng) => {
      const cores = fakeCores(n, cpus);
      const p = new DynamicBinding(new SeededRandom(rng)).place({ taskId: 1, taskName: 'a', k, count: k, used: [], group: undefined }, cores);
      if (n < k) return void expect(p).toEqual({ kind: 'impossible', reason: 'not-enough-cores' });
      if (p.kind !== 'place') throw new Error(`expected a placement, got ${p.kind}`);
      expect(new Set(p.cores.map((id) => cores[id]!.cpu)).size).toBe(Math.min(k, cpus, n));
    },
  );

  test.prop(
    [
      fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 0xffff }),
    ],
    params,
  )('dynamic: with 6 cores on 2 CPUs a free pick avoids the CPU with more busy cores', (busy, u0, u1, rng) => {
    const cores = fakeCores(6, 2); // CPU 0: 0 2 4; CPU 1: 1 3 5
    busy.forEach((b, id) => (cores[id]!.busy = b));
    // One replica already ran on each CPU, so the fault-domain cap allows either CPU.
    const used = [u0 * 2, u1 * 2 + 1];
    const p = new DynamicBinding(new SeededRandom(rng)).place({ taskId: 1, taskName: 'a', k: 3, count: 1, used, group: undefined }, cores);
    const load = [0, 1].map((cpu) => cores.filter((c) => c.cpu === cpu && c.busy).length);
    const free = [0, 1].map((cpu) => cores.some((c) => c.cpu === cpu && !c.busy && !used.includes(c.id)));
    if (p.kind !== 'place') return void expect(free).toEqual([false, false]);
    const cpu = cores[p.cores[0]!]!.cpu;
    const other = 1 - cpu;
    if (free[other]) expect(load[cpu]!).toBeLessThanOrEqual(load[other]!);
  });

  test.prop([fc.integer({ min: 2, max: 16 }), fc.constantFrom(2, 3), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 0xffff })], params)(
    'static loses a whole group per permanent fault without a spare, none with one; dynamic serves down to k cores',
    (n, k, spares, rng) => {
      const cores = fakeCores(n, 2);
      const st = new StaticBinding(cores, k, spares);
      const dyn = new DynamicBinding(new SeededRandom(rng));
      const order = cores.map((c) => c.id);
      const shuffle = new SeededRandom(rng);
      for (let i = order.length - 1; i > 0; i--) {
        const j = shuffle.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (const victim of order) {
        const before = st.capacity(cores);
        const g = st.groupsSnapshot().find((x) => x.members.includes(victim) || x.spares.includes(victim))!;
        const hasSpare = g !== undefined && g.spares.some((id) => cores[id]!.enabled);
        const member = g !== undefined && g.inService && g.members.includes(victim);
        cores[victim]!.enabled = false;
        const changes = st.update(cores);
        dyn.update(cores);
        if (member && hasSpare) {
          expect(st.capacity(cores)).toBe(before);
          expect(changes).toEqual([{ type: 'spare-promoted', group: g.group, cores: [expect.any(Number)], replaced: victim }]);
        } else if (member) {
          expect(st.capacity(cores)).toBe(before - k);
          expect(changes.map((c) => c.type)).toEqual(['group-stranded']);
        } else {
          expect(st.capacity(cores)).toBe(before);
          expect(changes).toEqual([]);
        }
        const fresh = { taskId: 1, taskName: 'a', k, count: k, used: [], group: undefined };
        const sp = st.place(fresh, cores);
        expect(sp.kind).toBe(st.capacity(cores) > 0 ? 'place' : 'impossible');
        const enabled = cores.filter((c) => c.enabled).length;
        expect(dyn.capacity(cores)).toBe(enabled);
        expect(dyn.place(fresh, cores).kind).toBe(enabled >= k ? 'place' : 'impossible');
      }
    },
  );
});
