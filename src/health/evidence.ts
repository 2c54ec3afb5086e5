/**
 * Evidence per (core, task kind), counted per replica: replicas judged, out-voted, crashed, timed
 * out, and the CUSUM charts of each stream against the kind's base rate across the fleet.
 *
 * The base rate is robust: pooled over the "typical" cores of the kind, those whose own rate is
 * at most the fleet's median, so up to half the fleet can be bad without raising the bar. A kind
 * whose every core disagrees alike has a high base and nobody stands out: no latch is needed, and
 * when the kind becomes deterministic again its base falls (counts fade after MEMORY replicas of
 * each core) and it is judged like any other.
 */
import { CHARTS, increments, jeffreys, step, type Increments } from './sequential.js';

export const STREAMS = ['wrong', 'crash', 'timeout'] as const;
/** What a replica's fault was: out-voted (`wrong`), a crashed worker, or a replica past its timeout. */
export type Stream = (typeof STREAMS)[number];
export type Observation = 'ok' | Stream;

/** Replicas of one core after which its old evidence weighs 1/e: the base follows a changing fleet. */
export const MEMORY = 10_000;
const KEEP = 1 - 1 / MEMORY;
/** A base within this relative distance of the one the charts use keeps the charts' increments. */
const REBASE = 0.01;
/**
 * How far (in standard errors) a core's rate must stand above the other typical cores' before its
 * chart may disable it. The chart's base is an estimate: early, or on a kind that diverges by
 * itself, the typical cores can look better than they are by chance, and the chart then alarms on
 * an ordinary core. One-sided p ≈ 0.0013.
 */
const STANDS_OUT_Z = 3;

/** What an event shows of the evidence against a core on one kind. */
export interface AttributionEvidence {
  /** The task kind judged. */
  kind: string;
  /** The stream this evidence is about. */
  stream: Stream;
  /** Replicas of the kind this core ran that reached a verdict, and how they failed (totals). */
  replicas: number;
  wrong: number;
  crashes: number;
  timeouts: number;
  /** This core's recent fault rate on the stream (Jeffreys estimate over the faded counts). */
  rate: number;
  /** The kind's base rate on the stream across the fleet (typical cores pooled). */
  base: number;
  /** The CUSUM statistic on the stream (largest chart) and the threshold that disables. */
  statistic: number;
  threshold: number;
  /**
   * Present on a charge that waits for its turn: how many of the core's earlier replicas still
   * await their verdict. The counts above do not include it yet; it joins them after those.
   */
  pending?: number;
}

/** The evidence of one core on one kind. */
export class CoreKindEvidence {
  /** Faded replica count and faded fault counts per stream (for the base rate). */
  n = 0;
  readonly f = new Float64Array(STREAMS.length);
  replicas = 0;
  readonly totals = new Float64Array(STREAMS.length);
  /** CHARTS statistics per stream, stream-major. */
  readonly charts = new Float64Array(STREAMS.length * CHARTS);
  /** Largest statistic per stream. */
  readonly stat = new Float64Array(STREAMS.length);
  /** Whether the core is among the kind's typical cores, per stream. */
  readonly typical = new Uint8Array(STREAMS.length);

  constructor(readonly core: number) {}

  /** Largest statistic over the streams. */
  peak(): number {
    let max = 0;
    for (let s = 0; s < STREAMS.length; s++) if (this.stat[s]! > max) max = this.stat[s]!;
    return max;
  }

  rate(s: number): number {
    return jeffreys(this.f[s]!, this.n);
  }

  /** Forget everything (a core back from known-answer tests starts afresh). */
  reset(): void {
    this.n = 0;
    this.f.fill(0);
    this.charts.fill(0);
    this.stat.fill(0);
  }
}

/** The fleet's evidence on one kind. */
export class KindEvidence {
  readonly records = new Map<number, CoreKindEvidence>();
  /** The records in insertion order, and scratch for their rates: selectTypical allocates nothing. */
  private readonly list: CoreKindEvidence[] = [];
  private rates = new Float64Array(0);
  private sorted = new Float64Array(0);
  private readonly sumN = new Float64Array(STREAMS.length);
  private readonly sumF = new Float64Array(STREAMS.length);
  private readonly inc: Increments[] = STREAMS.map(() => increments(0.5));
  private sinceSelect = 0;
  /** The kind reads as non-deterministic (a high base rate of out-voted replicas). */
  suspected = false;
  /** Replicas of the kind judged across the fleet. */
  replicas = 0;

  constructor(readonly kind: string) {}

  record(core: number): CoreKindEvidence {
    let rec = this.records.get(core);
    if (rec === undefined) {
      rec = new CoreKindEvidence(core);
      this.records.set(core, rec);
      this.list.push(rec);
      this.rates = new Float64Array(this.list.length);
      this.sorted = new Float64Array(this.list.length);
      this.sinceSelect = Number.POSITIVE_INFINITY; // a new core: re-select the typical set now
    }
    return rec;
  }

  /** The kind's base rate on a stream. */
  base(s: number): number {
    return jeffreys(this.sumF[s]!, this.sumN[s]!);
  }

  /**
   * One replica of this kind on `core` reached a verdict. `charge` false: a declared
   * non-deterministic kind, whose out-voted replicas are not evidence (crashes and timeouts are).
   */
  observe(core: number, what: Observation, chargeWrong: boolean): CoreKindEvidence {
    const rec = this.record(core);
    this.replicas++;
    // Re-selecting sorts every core's rate: about every 4 replicas per core (the sums follow each replica meanwhile).
    if (++this.sinceSelect >= Math.max(8, 4 * this.records.size)) this.selectTypical();
    rec.replicas++;
    const n0 = rec.n;
    rec.n = n0 * KEEP + 1;
    for (let s = 0; s < STREAMS.length; s++) {
      const faulted = what === STREAMS[s];
      if (faulted) rec.totals[s]!++;
      if (s === 0 && !chargeWrong) continue;
      const f0 = rec.f[s]!;
      rec.f[s] = f0 * KEEP + (faulted ? 1 : 0);
      if (rec.typical[s] === 1) {
        this.sumN[s]! += rec.n - n0;
        this.sumF[s]! += rec.f[s]! - f0;
      }
      // Charts at 0 stay at 0 on a success (its increments are never positive): the common case.
      if (!faulted && rec.stat[s] === 0) continue;
      rec.stat[s] = step(rec.charts, this.increments(s), faulted, s * CHARTS);
    }
    return rec;
  }

  evidence(rec: CoreKindEvidence, s: number, threshold: number): AttributionEvidence {
    return {
      kind: this.kind,
      stream: STREAMS[s]!,
      replicas: rec.replicas,
      wrong: rec.totals[0]!,
      crashes: rec.totals[1]!,
      timeouts: rec.totals[2]!,
      rate: rec.rate(s),
      base: this.base(s),
      statistic: rec.stat[s]!,
      threshold,
    };
  }

  /**
   * Whether the core's rate on the stream is significantly above the other typical cores' (a
   * two-proportion z-test, the core itself left out of the pool): required, beside the chart, to
   * disable it.
   */
  standsOut(rec: CoreKindEvidence, s: number): boolean {
    const own = rec.typical[s] === 1;
    const n = rec.n;
    const f = rec.f[s]!;
    const others = this.sumN[s]! - (own ? n : 0);
    const othersF = this.sumF[s]! - (own ? f : 0);
    if (n <= 0) return false;
    if (others <= 0) return true; // nobody else to compare with: the chart alone decides
    const pooled = (f + othersF) / (n + others);
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / others));
    const lift = f / n - othersF / others;
    return se === 0 ? lift > 0 : lift / se >= STANDS_OUT_Z;
  }

  /** Re-select the typical cores on the next replica (a core's evidence was reset). */
  reselect(): void {
    this.sinceSelect = Number.POSITIVE_INFINITY;
  }

  private increments(s: number): Increments {
    const base = this.base(s);
    const inc = this.inc[s]!;
    if (Math.abs(base - inc.base) <= REBASE * inc.base) return inc;
    const fresh = increments(base);
    this.inc[s] = fresh;
    return fresh;
  }

  /** Typical cores per stream: own rate at most the median rate; the sums restart from them. */
  private selectTypical(): void {
    this.sinceSelect = 0;
    const recs = this.list;
    const rates = this.rates;
    for (let s = 0; s < STREAMS.length; s++) {
      for (let i = 0; i < recs.length; i++) rates[i] = recs[i]!.rate(s);
      this.sorted.set(rates);
      const median = this.sorted.sort()[recs.length >> 1] ?? 1; // the upper median (fewer than half the cores may be bad)
      let n = 0;
      let f = 0;
      for (let i = 0; i < recs.length; i++) {
        const rec = recs[i]!;
        const typical = rates[i]! <= median && rec.n > 0;
        rec.typical[s] = typical ? 1 : 0;
        if (!typical) continue;
        n += rec.n;
        f += rec.f[s]!;
      }
      this.sumN[s] = n;
      this.sumF[s] = f;
    }
  }
}
