/** Records what changed over a campaign's time (settles, charges per core, serving cores) and buckets it for charts. */
import type { Timeline } from './types.js';

export class TimelineRecorder {
  private readonly settledAt: number[] = [];
  private readonly faultsAt: { t: number; core: number }[] = [];
  private readonly capacityAt: { t: number; value: number }[] = [];
  readonly t0 = performance.now();

  constructor(
    private readonly cores: number,
    initialCapacity: number,
  ) {
    this.capacityAt.push({ t: 0, value: initialCapacity });
  }

  now(): number {
    return performance.now() - this.t0;
  }

  settled(): void {
    this.settledAt.push(this.now());
  }

  fault(core: number): void {
    this.faultsAt.push({ t: this.now(), core });
  }

  capacity(value: number): void {
    const last = this.capacityAt[this.capacityAt.length - 1];
    if (last === undefined || last.value !== value) this.capacityAt.push({ t: this.now(), value });
  }

  build(elapsedMs: number, buckets: number): Timeline {
    const span = Math.max(elapsedMs, 1);
    const bucketMs = span / buckets;
    const index = (t: number): number => Math.min(buckets - 1, Math.max(0, Math.floor(t / bucketMs)));
    const t = Array.from({ length: buckets }, (_, i) => round((i + 1) * bucketMs));
    const settled = new Array<number>(buckets).fill(0);
    for (const at of this.settledAt) settled[index(at)]!++;
    const faults = Array.from({ length: this.cores }, () => new Array<number>(buckets).fill(0));
    for (const { t: at, core } of this.faultsAt) if (core < this.cores) faults[core]![index(at)]!++;
    for (const series of faults) for (let i = 1; i < buckets; i++) series[i]! += series[i - 1]!;
    // Lowest capacity within each bucket: a short outage must not vanish between samples.
    const capacity = new Array<number>(buckets).fill(0);
    let c = 0;
    for (let i = 0; i < buckets; i++) {
      const end = (i + 1) * bucketMs;
      let low = this.capacityAt[c]!.value;
      while (c + 1 < this.capacityAt.length && this.capacityAt[c + 1]!.t <= end) low = Math.min(low, this.capacityAt[++c]!.value);
      capacity[i] = low;
    }
    // Exact steps for the capacity chart (core states change rarely; capped so a flapping pool cannot bloat the JSON).
    const changes = this.capacityAt.slice(0, 1000).map((c) => ({ t: round(Math.min(c.t, span)), value: c.value }));
    return { bucketMs: round(bucketMs), t, settled, capacity, faults, capacityChanges: changes };
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
