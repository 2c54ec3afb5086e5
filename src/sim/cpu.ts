/**
 * Processor sharing: a CPU running m replicas gives each 1/m of its time. Each CPU keeps a
 * virtual clock V that advances at 1/m per ms; a replica of w ms of work on a core of slowness
 * s, started at V0, finishes when V reaches V0 + w·s. Only the CPU's earliest finish is in the
 * event heap (stamped with a version, so a changed share invalidates it). With one core per
 * CPU this is plain run-to-completion.
 *
 * The pool's main thread (dispatch, vote, messages) is not pinned: its work queues on one
 * floating job that starts on the least loaded CPU and stays there until it drains.
 */
import type { EventHeap } from './queue.js';

export const EV_CPU = 1;
/** finish() result when the main-thread job drained. */
export const MAIN_DONE = -2;

export class CpuModel {
  private readonly vt: Float64Array;
  private readonly last: Float64Array;
  private readonly m: Int32Array;
  readonly version: Int32Array;
  /** Cores of each CPU: ids in members[first[c] .. first[c + 1]). */
  private readonly first: Int32Array;
  private readonly members: Int32Array;
  private readonly tag: Float64Array;
  readonly active: Uint8Array;
  /** CPU running the main-thread job, -1 when it has nothing to do. */
  private mainCpu = -1;
  private mainTag = 0;

  constructor(
    readonly cpuOf: Int32Array,
    cpus: number,
    private readonly heap: EventHeap,
  ) {
    const n = cpuOf.length;
    this.vt = new Float64Array(cpus);
    this.last = new Float64Array(cpus);
    this.m = new Int32Array(cpus);
    this.version = new Int32Array(cpus);
    this.tag = new Float64Array(n);
    this.active = new Uint8Array(n);
    const count = new Int32Array(cpus + 1);
    for (let i = 0; i < n; i++) count[cpuOf[i]! + 1]!++;
    for (let c = 0; c < cpus; c++) count[c + 1]! += count[c]!;
    this.first = count;
    this.members = new Int32Array(n);
    const fill = Int32Array.from(count);
    for (let i = 0; i < n; i++) this.members[fill[cpuOf[i]!]!++] = i;
  }

  /** Replicas running on a CPU now. */
  load(cpu: number): number {
    return this.m[cpu]!;
  }

  private advance(cpu: number, now: number): void {
    const m = this.m[cpu]!;
    if (m > 0) this.vt[cpu]! += (now - this.last[cpu]!) / m;
    this.last[cpu] = now;
  }

  /** Starts `work` (already scaled by the core's slowness) on a core. */
  start(core: number, now: number, work: number): void {
    const cpu = this.cpuOf[core]!;
    this.advance(cpu, now);
    this.tag[core] = this.vt[cpu]! + work;
    this.active[core] = 1;
    this.m[cpu]!++;
    this.schedule(cpu, now);
  }

  /** Takes a core's replica off its CPU before it finishes (timeout). */
  stop(core: number, now: number): void {
    if (this.active[core] === 0) return;
    const cpu = this.cpuOf[core]!;
    this.advance(cpu, now);
    this.active[core] = 0;
    this.m[cpu]!--;
    this.schedule(cpu, now);
  }

  /** Queues `work` ms of main-thread CPU time. */
  mainWork(now: number, work: number): void {
    if (this.mainCpu >= 0) {
      this.mainTag += work;
      this.schedule(this.mainCpu, now);
      return;
    }
    let cpu = 0;
    for (let c = 1; c < this.m.length; c++) if (this.m[c]! < this.m[cpu]!) cpu = c;
    this.advance(cpu, now);
    this.mainCpu = cpu;
    this.mainTag = this.vt[cpu]! + work;
    this.m[cpu]!++;
    this.schedule(cpu, now);
  }

  /**
   * Handles a CPU event: returns the core whose replica finished, MAIN_DONE when the main
   * thread's job drained, or -1 for a stale event.
   */
  finish(cpu: number, version: number, now: number): number {
    if (this.version[cpu] !== version) return -1;
    this.advance(cpu, now);
    let best = -1;
    let bestTag = this.mainCpu === cpu ? this.mainTag : Number.POSITIVE_INFINITY;
    if (this.mainCpu === cpu) best = MAIN_DONE;
    for (let j = this.first[cpu]!; j < this.first[cpu + 1]!; j++) {
      const core = this.members[j]!;
      if (this.active[core] === 1 && this.tag[core]! < bestTag) {
        bestTag = this.tag[core]!;
        best = core;
      }
    }
    if (best === -1) return -1;
    if (best === MAIN_DONE) this.mainCpu = -1;
    else this.active[best] = 0;
    this.m[cpu]!--;
    this.schedule(cpu, now);
    return best;
  }

  private schedule(cpu: number, now: number): void {
    const version = ++this.version[cpu]!;
    const m = this.m[cpu]!;
    if (m === 0) return;
    let bestTag = this.mainCpu === cpu ? this.mainTag : Number.POSITIVE_INFINITY;
    for (let j = this.first[cpu]!; j < this.first[cpu + 1]!; j++) {
      const core = this.members[j]!;
      if (this.active[core] === 1 && this.tag[core]! < bestTag) bestTag = this.tag[core]!;
    }
    const left = bestTag - this.vt[cpu]!;
    this.heap.push(now + (left > 0 ? left * m : 0), EV_CPU, cpu, version);
  }
}
