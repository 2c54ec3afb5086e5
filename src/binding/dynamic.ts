import { invalidOption } from '../errors.js';
import type { Random } from '../util/random.js';
import { DomainMarks } from './domains.js';
import type { BindingChange, BindingPolicy, CoreBinding, CoreView, Placement, PlacementRequest } from './types.js';

// Shared answers: the hot path allocates nothing but the placed core list.
const WAIT: Placement = Object.freeze({ kind: 'wait' });
const NOT_ENOUGH: Placement = Object.freeze({ kind: 'impossible', reason: 'not-enough-cores' });
const EXHAUSTED: Placement = Object.freeze({ kind: 'impossible', reason: 'exhausted' });

/** CPU ids below this index the per-CPU scratch directly; others go through a map. */
const DIRECT_CPUS = 4096;
const MAX_GEN = 0x3fff_ffff;

export interface DynamicBindingOptions {
  /** Breaks ties between equally good cores, so load spreads reproducibly. Round-robin without it. */
  random?: Random;
  /**
   * Speeds whose distance to the task's other replicas differs by less than this count as
   * equally close (measured speeds are noisy). Units of relative slowness. @default 0.1
   */
  speedTolerance?: number;
}

/** Counts from one pass over the cores, for one placement. */
interface Tally {
  /** The cores declare fault domains. */
  faultDomains: boolean;
  /** Enabled cores serving the task's kind, the CPUs and the fault domains they are on. */
  serving: number;
  servingCpus: number;
  servingDomains: number;
  /** Serving cores that may take a replica (not used, domain not taken), their CPUs and domains. */
  eligible: number;
  eligibleCpus: number;
  eligibleDomains: number;
  /** Eligible cores that are idle: the candidates. */
  idle: number;
  /** Sum and count of the speeds of the task's replicas (used, then picked). */
  refSum: number;
  refN: number;
}

function isRandom(value: unknown): value is Random {
  return typeof value === 'object' && value !== null && typeof (value as Random).next === 'function';
}

/**
 * Dynamic binding: each replica goes, at dispatch, to any enabled idle core that has not run
 * the task and is not excluded from its kind. Every enabled core is a spare for every task.
 *
 * One pass over the cores gathers per-CPU counts and the idle candidates; each replica then
 * scans the idle candidates only, so a call costs O(cores + count * idle cores). Per-CPU
 * counters live in reusable typed arrays stamped with a generation number instead of being
 * cleared, so nothing but the result is allocated.
 */
export class DynamicBinding implements BindingPolicy {
  readonly name = 'dynamic' as const;
  private readonly random: Random | undefined;
  private readonly tolerance: number;
  private readonly disabled = new Set<number>();
  private turn = 0;
  private gen = 0;
  private stamp = new Int32Array(16);
  /** Busy cores per CPU (all of them: a busy core uses its CPU whatever its state). */
  private busyOn = new Int32Array(16);
  /** Replicas of this task per CPU (used cores and cores picked in this call). */
  private repOn = new Int32Array(16);
  /** Enabled, serving, unused, unpicked cores per CPU, busy or not. */
  private eligOn = new Int32Array(16);
  /** CPU holds an enabled core serving the kind (counts fault domains). */
  private servingOn = new Uint8Array(16);
  /** Slots holding a replica of this task: the only CPUs the fault-domain cap can block. */
  private repList = new Int32Array(16);
  private nRep = 0;
  private farSlots: Map<number, number> | undefined;
  /** Idle candidates: position in the caller's array (-1 once picked) and CPU slot. */
  private cand = new Int32Array(16);
  private candSlot = new Int32Array(16);
  /** Fault domains holding a replica of this task (used or picked), and domains counted. */
  private readonly taken = new DomainMarks();
  private readonly servingDomains = new DomainMarks();
  private readonly eligibleDomains = new DomainMarks();
  /** What survey() found, reused across calls (nothing allocated per call). */
  private readonly tally: Tally = {
    faultDomains: false,
    serving: 0,
    servingCpus: 0,
    servingDomains: 0,
    eligible: 0,
    eligibleCpus: 0,
    eligibleDomains: 0,
    idle: 0,
    refSum: 0,
    refN: 0,
  };

  constructor(options: Random | DynamicBindingOptions = {}) {
    const o: DynamicBindingOptions = isRandom(options) ? { random: options } : options;
    const tolerance = o.speedTolerance ?? 0.1;
    if (typeof tolerance !== 'number' || !(tolerance >= 0)) {
      throw invalidOption('speedTolerance', 'a number >= 0', tolerance, 'range');
    }
    this.random = o.random;
    this.tolerance = tolerance;
  }

  place(request: PlacementRequest, cores: readonly CoreView[]): Placement {
    const count = request.count;
    const nUsed = request.used.length;
    const tally = this.survey(request, cores);
    const fd = tally.faultDomains;
    if (nUsed === 0 && (tally.serving < request.k || (fd && tally.servingDomains < request.k))) return NOT_ENOUGH;
    if (tally.eligible < count || (fd && tally.eligibleDomains < count)) return EXHAUSTED;
    const idle = tally.idle;
    if (idle < count) return WAIT;
    const out = new Array<number>(Math.max(0, count));
    if (count <= 0) return { kind: 'place', cores: out };
    if (tally.servingCpus === 0) tally.servingCpus = 1;
    // Rotating the scan start breaks ties fairly; one random draw per call at most.
    const start = idle <= 1 ? 0 : this.random !== undefined ? Math.floor(this.random.next() * idle) % idle : this.turn++ % idle;
    for (let r = 0; r < count; r++) {
      // Fault domains first: at most ceil(replicas / CPUs) replicas of the task per CPU, unless
      // no unused enabled core anywhere (busy or not) respects that cap.
      const best = this.bestCandidate(cores, start, Math.ceil((nUsed + r + 1) / tally.servingCpus));
      // The cores that respect the cap are all busy: wait rather than share a fault domain.
      if (best < 0) return WAIT;
      out[r] = this.pick(best, cores);
    }
    return { kind: 'place', cores: out };
  }

  /**
   * One pass over the cores: per-CPU counts (busy, replicas of the task, eligible, serving),
   * the idle candidates, and the speed of the task's replicas so far. Fills the reused tally.
   */
  private survey(request: PlacementRequest, cores: readonly CoreView[]): Tally {
    const used = request.used;
    const nUsed = used.length;
    const name = request.taskName;
    this.nextGen();
    if (this.cand.length < cores.length) {
      this.cand = new Int32Array(cores.length);
      this.candSlot = new Int32Array(cores.length);
    }
    const cand = this.cand;
    const candSlot = this.candSlot;
    const tally = this.tally;
    const fd = this.markUsedDomains(request.voters ?? used, cores);
    tally.faultDomains = fd;
    tally.serving = tally.servingCpus = tally.servingDomains = 0;
    tally.eligible = tally.eligibleCpus = tally.eligibleDomains = 0;
    tally.idle = tally.refSum = tally.refN = 0;
    for (let p = 0; p < cores.length; p++) {
      const c = cores[p]!;
      const busy = c.busy;
      const on = c.enabled;
      if (!on && !busy && nUsed === 0) continue;
      const s = this.slot(c.cpu);
      if (busy) this.busyOn[s]!++;
      const serves = on && (c.excludedKinds.size === 0 || !c.excludedKinds.has(name));
      if (serves) {
        tally.serving++;
        if (fd && this.servingDomains.add(c.domain)) tally.servingDomains++;
        if (this.servingOn[s] === 0) {
          this.servingOn[s] = 1;
          tally.servingCpus++;
        }
      }
      if (nUsed !== 0 && contains(used, c.id)) {
        if (this.repOn[s]!++ === 0) this.repList[this.nRep++] = s;
        tally.refSum += c.speed;
        tally.refN++;
        continue;
      }
      if (!serves || (fd && this.taken.has(c.domain))) continue;
      if (fd && this.eligibleDomains.add(c.domain)) tally.eligibleDomains++;
      tally.eligible++;
      if (this.eligOn[s]!++ === 0) tally.eligibleCpus++;
      if (!busy) {
        cand[tally.idle] = p;
        candSlot[tally.idle] = s;
        tally.idle++;
      }
    }
    return tally;
  }

  /**
   * The best idle candidate for the next replica (index into the candidates, -1 if none): fewer
   * replicas of the task on the CPU, less loaded CPU, speed closest to the task's other replicas
   * (else fastest), least recently faulty. Skips CPUs at the cap, while any eligible CPU is under it.
   */
  private bestCandidate(cores: readonly CoreView[], start: number, cap: number): number {
    const tally = this.tally;
    const fd = tally.faultDomains;
    const idle = tally.idle;
    const tol = this.tolerance;
    const cand = this.cand;
    const candSlot = this.candSlot;
    const repOn = this.repOn;
    const busyOn = this.busyOn;
    const eligOn = this.eligOn;
    let blocked = 0;
    for (let t = 0; t < this.nRep; t++) {
      const s = this.repList[t]!;
      if (eligOn[s]! > 0 && repOn[s]! >= cap) blocked++;
    }
    const capped = tally.eligibleCpus > blocked;
    const ref = tally.refN === 0 ? 0 : tally.refSum / tally.refN;
    let best = -1;
    let bRep = 0;
    let bBusy = 0;
    let bDist = 0;
    let bFault = 0;
    for (let q = 0; q < idle; q++) {
      let j = start + q;
      if (j >= idle) j -= idle;
      const p = cand[j]!;
      if (p < 0) continue;
      const s = candSlot[j]!;
      const rep = repOn[s]!;
      if (capped && rep >= cap) continue;
      const c = cores[p]!;
      if (fd && this.taken.has(c.domain)) continue; // picked earlier in this call
      const load = busyOn[s]!;
      const d = Math.abs(c.speed - ref);
      const dist = tol > 0 ? Math.floor(d / tol) : d;
      const fault = c.lastFaultAt;
      if (best >= 0) {
        if (rep !== bRep) {
          if (rep > bRep) continue;
        } else if (load !== bBusy) {
          if (load > bBusy) continue;
        } else if (dist !== bDist) {
          if (dist > bDist) continue;
        } else if (!(fault < bFault)) continue;
      }
      best = j;
      bRep = rep;
      bBusy = load;
      bDist = dist;
      bFault = fault;
    }
    return best;
  }

  /** Takes candidate `j` for the task: counts it on its CPU and domain; returns its core id. */
  private pick(j: number, cores: readonly CoreView[]): number {
    const tally = this.tally;
    const p = this.cand[j]!;
    const s = this.candSlot[j]!;
    this.cand[j] = -1;
    if (this.repOn[s]!++ === 0) this.repList[this.nRep++] = s;
    this.busyOn[s]!++;
    if (--this.eligOn[s]! === 0) tally.eligibleCpus--;
    const c = cores[p]!;
    this.taken.add(c.domain);
    tally.refSum += c.speed;
    tally.refN++;
    return c.id;
  }

  /** Records which cores are disabled for binding(); dynamic binding has no roles to change. */
  update(cores: readonly CoreView[]): BindingChange[] {
    this.disabled.clear();
    for (const c of cores) if (!c.enabled) this.disabled.add(c.id);
    return [];
  }

  binding(core: number): CoreBinding {
    return { role: this.disabled.has(core) ? 'free' : 'member' };
  }

  capacity(cores: readonly CoreView[]): number {
    let n = 0;
    for (const c of cores) if (c.enabled) n++;
    return n;
  }

  /** Marks the domains of the task's voting cores; true when the cores have fault domains at all. */
  private markUsedDomains(used: readonly number[], cores: readonly CoreView[]): boolean {
    this.taken.clear();
    this.servingDomains.clear();
    this.eligibleDomains.clear();
    if (cores.length === 0 || cores[0]!.domain === undefined) return false;
    if (used.length !== 0) for (const c of cores) if (contains(used, c.id)) this.taken.add(c.domain);
    return true;
  }

  private nextGen(): void {
    this.nRep = 0;
    if (++this.gen >= MAX_GEN) {
      this.stamp.fill(0);
      this.gen = 1;
    }
  }

  /** Scratch slot of a CPU id, reset on first touch in this call. */
  private slot(cpu: number): number {
    const s = cpu >= 0 && cpu < DIRECT_CPUS && (cpu | 0) === cpu ? cpu : this.farSlot(cpu);
    if (s >= this.stamp.length) this.grow(s + 1);
    if (this.stamp[s] !== this.gen) {
      this.stamp[s] = this.gen;
      this.busyOn[s] = 0;
      this.repOn[s] = 0;
      this.eligOn[s] = 0;
      this.servingOn[s] = 0;
    }
    return s;
  }

  private farSlot(cpu: number): number {
    this.farSlots ??= new Map();
    let s = this.farSlots.get(cpu);
    if (s === undefined) {
      s = DIRECT_CPUS + this.farSlots.size;
      this.farSlots.set(cpu, s);
    }
    return s;
  }

  private grow(min: number): void {
    const size = Math.max(min, this.stamp.length * 2);
    const widen = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.stamp = widen(this.stamp, (n) => new Int32Array(n));
    this.busyOn = widen(this.busyOn, (n) => new Int32Array(n));
    this.repOn = widen(this.repOn, (n) => new Int32Array(n));
    this.eligOn = widen(this.eligOn, (n) => new Int32Array(n));
    this.servingOn = widen(this.servingOn, (n) => new Uint8Array(n));
    this.repList = widen(this.repList, (n) => new Int32Array(n));
  }
}

function contains(list: readonly number[], id: number): boolean {
  for (let j = 0; j < list.length; j++) if (list[j] === id) return true;
  return false;
}
