/**
 * Metric collection for one run: fixed memory whatever the run length. Throughput goes into
 * a fixed number of time buckets whose width doubles (pairs merge) when time outgrows them;
 * capacity, disabled and failed counts are step functions logged only when they change.
 */
import type { DisableCause } from './faults.js';

export interface DisableRecord {
  core: number;
  at: number;
  cause: DisableCause;
  /** Onset of the fault that got the core disabled (failure time, or first bad outcome). */
  onset: number;
  timeToDisable: number;
  /** Replicas the core had been given when it was disabled. */
  replicas: number;
}

export class Metrics {
  private counts: Float64Array;
  private width = 1;
  readonly latency: Float64Array;
  nLatency = 0;
  /** Step logs: time and value after the change. */
  readonly capT: number[] = [];
  readonly capV: number[] = [];
  readonly disT: number[] = [];
  readonly disV: number[] = [];
  readonly disables: DisableRecord[] = [];
  readonly enabledSince: Float64Array;
  readonly enabledTotal: Float64Array;
  private up = true;
  private upSince = 0;
  upTime = 0;
  downTime = 0;
  outages = 0;
  repairs = 0;
  private disabledNow = 0;

  constructor(
    readonly n: number,
    readonly k: number,
    count: number,
    buckets: number,
  ) {
    this.counts = new Float64Array(buckets);
    this.latency = new Float64Array(count);
    this.enabledSince = new Float64Array(n);
    this.enabledTotal = new Float64Array(n);
  }

  /** A task resolved at `t` after `latency` ms. */
  resolved(t: number, latency: number): void {
    let i = Math.floor(t / this.width);
    while (i >= this.counts.length) {
      // Merge pairs: the series keeps its length, each bucket covers twice the time.
      const c = this.counts;
      const half = c.length >> 1;
      for (let j = 0; j < half; j++) c[j] = c[2 * j]! + c[2 * j + 1]!;
      if (c.length % 2 === 1) c[half] = c[c.length - 1]!;
      c.fill(0, c.length % 2 === 1 ? half + 1 : half);
      this.width *= 2;
      i = Math.floor(t / this.width);
    }
    this.counts[i]!++;
    this.latency[this.nLatency++] = latency;
  }

  capacity(t: number, capacity: number): void {
    this.capT.push(t);
    this.capV.push(capacity);
    const up = capacity >= this.k;
    if (up === this.up) return;
    if (up) {
      this.downTime += t - this.upSince;
      this.repairs++;
    } else {
      this.upTime += t - this.upSince;
      this.outages++;
    }
    this.up = up;
    this.upSince = t;
  }

  enabled(core: number, t: number, on: boolean): void {
    if (on) this.enabledSince[core] = t;
    else this.enabledTotal[core]! += t - this.enabledSince[core]!;
  }

  disabled(record: DisableRecord | undefined, t: number, delta: number): void {
    if (record !== undefined) this.disables.push(record);
    this.disabledNow += delta;
    this.disT.push(t);
    this.disV.push(this.disabledNow);
  }

  /** Closes the accounting at the end of the run. */
  close(end: number, enabled: (core: number) => boolean): void {
    for (let i = 0; i < this.n; i++) if (enabled(i)) this.enabledTotal[i]! += end - this.enabledSince[i]!;
    if (this.up) this.upTime += end - this.upSince;
    else this.downTime += end - this.upSince;
    this.upSince = end;
  }

  /** Throughput per bucket (tasks/s) up to `end`, with bucket end times. */
  series(end: number): { t: number[]; throughput: number[] } {
    const t: number[] = [];
    const throughput: number[] = [];
    const last = Math.min(this.counts.length, Math.max(1, Math.ceil(end / this.width)));
    for (let i = 0; i < last; i++) {
      const to = Math.min(end, (i + 1) * this.width);
      const span = to - i * this.width;
      t.push(to);
      throughput.push(span > 0 ? (this.counts[i]! / span) * 1000 : 0);
    }
    return { t, throughput };
  }

  /** Nearest-rank percentiles of the resolved tasks' latencies. */
  percentiles(qs: number[]): number[] {
    const sorted = this.latency.subarray(0, this.nLatency).sort();
    return qs.map((q) => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!));
  }
}

/** Value of a step function (logged times and values) at time t, or `initial` before the first step. */
export function stepAt(ts: readonly number[], vs: readonly number[], t: number, initial: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? initial : vs[lo - 1]!;
}

/** Time-weighted mean of a step function over [0, end]. */
export function stepMean(ts: readonly number[], vs: readonly number[], end: number, initial: number): number {
  if (end <= 0) return initial;
  let sum = 0;
  let prevT = 0;
  let prevV = initial;
  for (let i = 0; i < ts.length && ts[i]! < end; i++) {
    sum += prevV * (ts[i]! - prevT);
    prevT = ts[i]!;
    prevV = vs[i]!;
  }
  sum += prevV * (end - prevT);
  return sum / end;
}
