/** A fixed-bucket histogram: O(buckets) memory whatever the sample count, exportable to Prometheus as is. */
import type { HistogramSnapshot } from './types.js';

/** ms bounds from 50 µs to 1 min: replica times range from microseconds to taskTimeout. */
const TIME_BUCKETS_MS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000];

/** Replicas per task: k, plus tie-breaks and re-executions. */
export const COUNT_BUCKETS: readonly number[] = [1, 2, 3, 4, 5, 6, 8, 10];

export class Histogram {
  /** counts[i]: samples in (bounds[i-1], bounds[i]]; counts[bounds.length]: above the last bound. */
  private readonly counts: number[];
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  constructor(readonly bounds: readonly number[] = TIME_BUCKETS_MS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    if (!(value >= 0)) value = 0; // negative or NaN timings (clock quirks) count as 0
    const bounds = this.bounds;
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (value <= bounds[mid]!) hi = mid;
      else lo = mid + 1;
    }
    this.counts[lo]!++;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** Estimated q-quantile (0..1), linear inside the bucket and clamped to [min, max]. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = q * this.count;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const n = this.counts[i]!;
      if (n === 0 || seen + n < rank) {
        seen += n;
        continue;
      }
      const lower = i === 0 ? this.min : this.bounds[i - 1]!;
      const upper = i < this.bounds.length ? this.bounds[i]! : this.max;
      const estimate = lower + (upper - lower) * ((rank - seen) / n);
      return Math.min(this.max, Math.max(this.min, estimate));
    }
    return this.max;
  }

  snapshot(): HistogramSnapshot {
    const cumulative: number[] = [];
    let running = 0;
    for (let i = 0; i < this.bounds.length; i++) cumulative.push((running += this.counts[i]!));
    const empty = this.count === 0;
    return {
      count: this.count,
      sum: this.sum,
      min: empty ? null : this.min,
      max: empty ? null : this.max,
      mean: empty ? null : this.sum / this.count,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      bounds: [...this.bounds],
      counts: cumulative,
    };
  }
}
