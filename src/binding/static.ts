import { invalidOption } from '../errors.js';
import { DomainMarks } from './domains.js';
import type { BindingChange, BindingPolicy, CoreBinding, CoreView, Placement, PlacementRequest } from './types.js';

// Shared answers: the hot path allocates nothing but the placed core list.
const WAIT: Placement = Object.freeze({ kind: 'wait' });
const NOT_ENOUGH: Placement = Object.freeze({ kind: 'impossible', reason: 'not-enough-cores' });
const EXHAUSTED: Placement = Object.freeze({ kind: 'impossible', reason: 'exhausted' });

const READY = 0;
const BUSY = 1;
const INCAPABLE = 2;

interface Group {
  readonly id: number;
  /** Internal indices of the k cores that run the group's tasks. */
  active: number[];
  /** Internal indices of the group's other cores: unpromoted spares, then replaced members. */
  reserve: number[];
  inService: boolean;
}

function serves(c: CoreView | undefined, taskName: string): c is CoreView {
  return c !== undefined && c.enabled && (c.excludedKinds.size === 0 || !c.excludedKinds.has(taskName));
}

/**
 * Static binding (Pham et al.): cores are cut once into fixed groups of k consecutive ids and
 * a task runs on one whole group. Spares (the last `spares` cores plus leftovers that do not
 * fill a group) are dealt to groups round-robin, once. A disabled member is replaced by its
 * group's spare; with none left the whole group leaves service ("stranded").
 *
 * Cores are referred to internally by index in id order; positions in the caller's array are
 * cached and re-checked by id, so the pool and the simulator may pass any stable array.
 */
export class StaticBinding implements BindingPolicy {
  readonly name = 'static' as const;
  readonly k: number;
  private readonly ids: number[];
  private readonly pos: Int32Array;
  private readonly index = new Map<number, number>();
  private readonly groupOf: Int32Array;
  /** Enabled state seen by the last update(), to report reintegrated spares. */
  private readonly enabled: Uint8Array;
  private readonly groups: Group[] = [];
  /** Group ids, least recently used first: new work spreads over the groups. */
  private readonly order: Int32Array;
  /** Scratch for field(): internal indices of the cores a group would run on. */
  private readonly pick: Int32Array;
  private inService = 0;
  /** Fault domains of the task's used cores and of the cores picked so far in one call. */
  private readonly taken = new DomainMarks();

  constructor(cores: readonly CoreView[], k: number, spares: number) {
    if (!Number.isInteger(k) || k < 1) throw invalidOption('k', 'an integer >= 1', k, 'range');
    if (!Number.isInteger(spares) || spares < 0) throw invalidOption('spares', 'an integer >= 0', spares, 'range');
    this.k = k;
    const sorted = cores.map((c, p) => ({ id: c.id, p })).sort((a, b) => a.id - b.id);
    const n = sorted.length;
    this.ids = sorted.map((s) => s.id);
    this.pos = Int32Array.from(sorted, (s) => s.p);
    for (let i = 0; i < n; i++) {
      const id = this.ids[i]!;
      if (this.index.has(id)) throw invalidOption('cores', 'cores with distinct ids', id, 'range');
      this.index.set(id, i);
    }
    const count = Math.max(0, Math.floor((n - spares) / k));
    this.groupOf = new Int32Array(n).fill(-1);
    this.enabled = new Uint8Array(n).fill(1);
    this.order = Int32Array.from({ length: count }, (_, g) => g);
    this.pick = new Int32Array(Math.max(k, n));
    for (let g = 0; g < count; g++) {
      const active: number[] = [];
      for (let j = 0; j < k; j++) {
        active.push(g * k + j);
        this.groupOf[g * k + j] = g;
      }
      this.groups.push({ id: g, active, reserve: [], inService: true });
    }
    if (count > 0) {
      for (let i = count * k; i < n; i++) {
        const g = (i - count * k) % count;
        this.groups[g]!.reserve.push(i);
        this.groupOf[i] = g;
      }
    }
    this.inService = count;
    // Settle cores that start disabled; there is nobody to report these changes to yet.
    this.update(cores);
  }

  place(request: PlacementRequest, cores: readonly CoreView[]): Placement {
    if (request.used.length === 0) return this.placeNew(request, cores);
    return this.placeAgain(request, cores);
  }

  /** A new task: the least recently used idle group that can serve the kind. */
  private placeNew(request: PlacementRequest, cores: readonly CoreView[]): Placement {
    let waitable = false;
    const order = this.order;
    for (let r = 0; r < order.length; r++) {
      const g = this.groups[order[r]!]!;
      if (!g.inService) continue;
      const state = this.field(g, request, cores);
      if (state === READY) {
        this.touch(r);
        return { kind: 'place', cores: this.result(this.k), group: g.id };
      }
      if (state === BUSY) waitable = true;
    }
    return waitable ? WAIT : NOT_ENOUGH;
  }

  /**
   * A re-execution: the task's group's spares when enough are free, else a whole other group
   * with no used core, so a task never runs with less redundancy than planned.
   */
  private placeAgain(request: PlacementRequest, cores: readonly CoreView[]): Placement {
    const count = request.count;
    const used = request.used;
    let waitable = false;
    const own = request.group === undefined ? undefined : this.groups[request.group];
    if (own !== undefined && own.inService && count <= own.reserve.length) {
      let able = 0;
      let idle = 0;
      this.markUsed(request.voters ?? used, cores);
      for (let j = 0; j < own.reserve.length; j++) {
        const i = own.reserve[j]!;
        const c = this.view(cores, i);
        if (!serves(c, request.taskName) || used.includes(c.id) || this.taken.has(c.domain)) continue;
        able++;
        if (!c.busy && idle < count) {
          this.pick[idle++] = i;
          this.taken.add(c.domain);
        }
      }
      if (idle === count) return { kind: 'place', cores: this.result(count), group: own.id };
      if (able >= count) waitable = true;
    }
    const order = this.order;
    for (let r = 0; r < order.length; r++) {
      const g = this.groups[order[r]!]!;
      if (g === own || !g.inService) continue;
      const state = this.field(g, request, cores);
      if (state === READY) {
        this.touch(r);
        return { kind: 'place', cores: this.result(this.k), group: g.id };
      }
      if (state === BUSY) waitable = true;
    }
    return waitable ? WAIT : EXHAUSTED;
  }

  /**
   * Can group g run the whole task now? Fills `pick` with k cores: its members, with a spare
   * standing in for a member excluded from the kind (salvaging) or disabled but not yet
   * replaced by update(). The group is busy until all its enabled members are idle.
   */
  private field(g: Group, request: PlacementRequest, cores: readonly CoreView[]): number {
    const used = request.used;
    const name = request.taskName;
    let taken = 0;
    let need = 0;
    let busy = false;
    const active = g.active;
    this.markUsed(request.voters ?? used, cores);
    for (let j = 0; j < active.length; j++) {
      const i = active[j]!;
      const c = this.view(cores, i);
      if (c === undefined || !c.enabled) {
        need++;
        continue;
      }
      if (used.length !== 0 && used.includes(c.id)) return INCAPABLE;
      // A member sharing a fault domain with a replica of the task (or another member) cannot serve it.
      if (c.domain !== undefined && !this.taken.add(c.domain)) return INCAPABLE;
      if (c.busy) busy = true;
      if (c.excludedKinds.size !== 0 && c.excludedKinds.has(name)) {
        need++;
        continue;
      }
      this.pick[taken++] = i;
    }
    if (need > 0) {
      let able = 0;
      let idle = 0;
      for (let j = 0; j < g.reserve.length; j++) {
        const i = g.reserve[j]!;
        const c = this.view(cores, i);
        if (!serves(c, name) || (used.length !== 0 && used.includes(c.id)) || this.taken.has(c.domain)) continue;
        able++;
        if (!c.busy && idle < need) {
          this.pick[taken++] = i;
          this.taken.add(c.domain);
          idle++;
        }
      }
      if (able < need) return INCAPABLE;
      if (idle < need) busy = true;
    }
    return busy ? BUSY : READY;
  }

  update(cores: readonly CoreView[]): BindingChange[] {
    const changes: BindingChange[] = [];
    const k = this.k;
    for (const g of this.groups) {
      let up = 0;
      for (const i of g.active) if (this.isEnabled(cores, i)) up++;
      for (const i of g.reserve) if (this.isEnabled(cores, i)) up++;
      if (g.inService && up < k) {
        g.inService = false;
        this.inService--;
        changes.push({ type: 'group-stranded', group: g.id, cores: this.enabledIds(cores, g) });
      } else if (g.inService) {
        for (let s = 0; s < k; s++) {
          const old = g.active[s]!;
          if (this.isEnabled(cores, old)) continue;
          // up >= k guarantees an enabled reserve core for every disabled member; fault domains may still rule them all out.
          const r = g.reserve.findIndex((i) => this.isEnabled(cores, i) && !this.clashes(cores, g, s, i));
          if (r < 0) {
            g.inService = false;
            this.inService--;
            changes.push({ type: 'group-stranded', group: g.id, cores: this.enabledIds(cores, g) });
            break;
          }
          const spare = g.reserve[r]!;
          g.reserve.splice(r, 1);
          g.reserve.push(old);
          g.active[s] = spare;
          changes.push({ type: 'spare-promoted', group: g.id, cores: [this.ids[spare]!], replaced: this.ids[old]! });
        }
        for (const i of g.reserve) {
          if (this.enabled[i] === 0 && this.isEnabled(cores, i)) {
            changes.push({ type: 'spare-assigned', group: g.id, cores: [this.ids[i]!] });
          }
        }
      } else if (up >= k) {
        // Reintegrated cores bring the group back: keep enabled members in their slots first.
        const all = [...g.active, ...g.reserve];
        const ready = this.distinctDomains(
          cores,
          all.filter((i) => this.isEnabled(cores, i)),
        ).slice(0, k);
        if (ready.length < k) continue; // enough cores, but not in enough fault domains
        g.active = ready;
        g.reserve = all.filter((i) => !ready.includes(i));
        g.inService = true;
        this.inService++;
        changes.push({ type: 'group-restored', group: g.id, cores: ready.map((i) => this.ids[i]!) });
      }
    }
    for (let i = 0; i < this.ids.length; i++) this.enabled[i] = this.isEnabled(cores, i) ? 1 : 0;
    return changes;
  }

  binding(core: number): CoreBinding {
    const i = this.index.get(core);
    if (i === undefined) return { role: 'free' };
    const gid = this.groupOf[i]!;
    const g = this.groups[gid];
    if (g === undefined) return { role: 'free' };
    // Disabled cores are out of every role until reintegrated.
    if (this.enabled[i] === 0) return { role: 'free', group: gid };
    if (!g.inService) return { role: 'stranded', group: gid };
    return { role: g.active.includes(i) ? 'member' : 'spare', group: gid };
  }

  /** Cores of in-service groups: k per group, spares not counted (a promotion keeps capacity). */
  capacity(_cores: readonly CoreView[]): number {
    return this.inService * this.k;
  }

  /** Snapshot of the groups (ids of members and spares), for diagnostics and tests. */
  groupsSnapshot(): { group: number; members: number[]; spares: number[]; inService: boolean }[] {
    return this.groups.map((g) => ({
      group: g.id,
      members: g.active.map((i) => this.ids[i]!),
      spares: g.reserve.map((i) => this.ids[i]!),
      inService: g.inService,
    }));
  }

  /** Marks the fault domains of the task's voting cores (clears the marks first). */
  private markUsed(used: readonly number[], cores: readonly CoreView[]): void {
    this.taken.clear();
    for (let u = 0; u < used.length; u++) {
      const i = this.index.get(used[u]!);
      if (i !== undefined) this.taken.add(this.view(cores, i)?.domain);
    }
  }

  /** The cores in order, skipping any that shares a fault domain with an earlier one. */
  private distinctDomains(cores: readonly CoreView[], list: number[]): number[] {
    this.taken.clear();
    return list.filter((i) => {
      const d = this.view(cores, i)?.domain;
      return d === undefined || this.taken.add(d);
    });
  }

  /** Would core i, standing in at slot s of group g, share a fault domain with another member? */
  private clashes(cores: readonly CoreView[], g: Group, s: number, i: number): boolean {
    const d = this.view(cores, i)?.domain;
    if (d === undefined) return false;
    return g.active.some((m, slot) => slot !== s && this.view(cores, m)?.domain === d);
  }

  private result(count: number): number[] {
    const out = new Array<number>(count);
    for (let j = 0; j < count; j++) out[j] = this.ids[this.pick[j]!]!;
    return out;
  }

  /** Moves the group at order[r] to the most recently used end. */
  private touch(r: number): void {
    const order = this.order;
    const g = order[r]!;
    order.copyWithin(r, r + 1);
    order[order.length - 1] = g;
  }

  private isEnabled(cores: readonly CoreView[], i: number): boolean {
    const c = this.view(cores, i);
    return c !== undefined && c.enabled;
  }

  private enabledIds(cores: readonly CoreView[], g: Group): number[] {
    return [...g.active, ...g.reserve].filter((i) => this.isEnabled(cores, i)).map((i) => this.ids[i]!);
  }

  /** The caller's record of internal core i; a core missing from the array counts as disabled. */
  private view(cores: readonly CoreView[], i: number): CoreView | undefined {
    const c = cores[this.pos[i]!];
    if (c !== undefined && c.id === this.ids[i]) return c;
    const id = this.ids[i];
    for (let p = 0; p < cores.length; p++) {
      if (cores[p]!.id === id) {
        this.pos[i] = p;
        return cores[p];
      }
    }
    return undefined;
  }
}
