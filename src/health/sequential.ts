/**
 * The sequential test that judges a core: a bank of Bernoulli CUSUM charts (Page 1954) over the
 * replicas one core ran of one task kind, each chart testing "this core's fault rate is p1"
 * against "it is the fleet's base rate p0".
 *
 * Why CUSUM and not Wald's SPRT: a core is judged for as long as it serves, and the fault we look
 * for starts at an unknown time (a core that turns mercurial after a million clean replicas). An
 * SPRT's statistic would by then sit a million successes below zero and take as long to climb
 * back; CUSUM is the SPRT restarted at every step (it never goes below 0), which is the optimal
 * change-point detector for a known shift (Lorden 1971, Moustakides 1986).
 *
 * Why a bank of charts: one chart is tuned to one p1. A stuck core (p1 = 1) should be caught in a
 * handful of replicas, a core wrong on 1 % of replicas over a 0.1 % background needs a chart near
 * 3·p0. The charts sit on a geometric grid p1 = p0·ratio·step^j (capped below 1); the threshold
 * pays for the multiplicity (Bonferroni: ln(charts) more).
 *
 * False alarms: for one chart fed with data whose rate is p0, the mean number of replicas before
 * a false alarm is at least e^h (Lorden's bound), so h = ln(charts · streams / falseAlarm) keeps
 * the false-alarm rate of a healthy core below `falseAlarm` per replica.
 */

/** Lowest fault-rate ratio over the base that the first chart targets. */
export const MIN_RATIO = 3;
/** Ratio between neighbouring charts. */
export const CHART_STEP = 4;
/** Charts per stream: the grid spans ratios 3 … 3·4^7 ≈ 49,000 (a base down to ~2e-5 still reaches p1 ≈ 1). */
export const CHARTS = 8;
/** Highest alternative rate tested (a stuck core). */
export const P1_MAX = 0.99;

/** Per-chart log-likelihood-ratio increments for a replica that faulted / did not. */
export interface Increments {
  readonly base: number;
  readonly fault: Float64Array;
  readonly ok: Float64Array;
}

/** The alternative rate of chart j for base rate p0. */
export function alternative(p0: number, j: number): number {
  return Math.min(P1_MAX, p0 * MIN_RATIO * CHART_STEP ** j);
}

/**
 * Increments of every chart for base p0 (0 < p0 < 1). A chart whose alternative is not above the
 * base (a base near 1) adds nothing: no rate can stand out from a fleet that is always wrong.
 */
export function increments(p0: number): Increments {
  const fault = new Float64Array(CHARTS);
  const ok = new Float64Array(CHARTS);
  for (let j = 0; j < CHARTS; j++) {
    const p1 = alternative(p0, j);
    if (!(p1 > p0)) continue;
    fault[j] = Math.log(p1 / p0);
    ok[j] = Math.log((1 - p1) / (1 - p0));
  }
  return { base: p0, fault, ok };
}

/** Alarm threshold for a false-alarm budget per replica, spread over `streams` × CHARTS charts. */
export function threshold(falseAlarm: number, streams: number): number {
  if (falseAlarm <= 0) return Number.POSITIVE_INFINITY;
  return Math.log((streams * CHARTS) / falseAlarm);
}

/** One CUSUM step of the CHARTS charts at `at` in `charts`, in place; returns the largest statistic. */
export function step(charts: Float64Array, inc: Increments, faulted: boolean, at = 0): number {
  const add = faulted ? inc.fault : inc.ok;
  let max = 0;
  for (let j = 0; j < CHARTS; j++) {
    const s = charts[at + j]! + add[j]!;
    const v = s > 0 ? s : 0;
    charts[at + j] = v;
    if (v > max) max = v;
  }
  return max;
}

/** Jeffreys estimate of a rate: (faults + ½) / (replicas + 1); never 0 or 1, so every LLR is finite. */
export function jeffreys(faults: number, replicas: number): number {
  return (faults + 0.5) / (replicas + 1);
}
