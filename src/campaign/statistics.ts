/**
 * Statistics of a fault-injection campaign: the Wilson score interval for coverage and the
 * sample size of Leveugle et al., "Statistical fault injection: quantified error and
 * confidence", DATE 2009.
 */
import { invalidOption } from '../errors.js';

/** Two-sided normal quantile t for a confidence level (0.95 → 1.95996…); Acklam's rational approximation (|error| < 1.2e-9). */
export function zFor(confidence: number): number {
  if (typeof confidence !== 'number' || Number.isNaN(confidence)) throw invalidOption('confidence', 'a number in (0, 1)', confidence, 'type');
  if (!(confidence > 0 && confidence < 1)) throw invalidOption('confidence', 'a number in (0, 1)', confidence, 'range');
  return normalQuantile(1 - (1 - confidence) / 2);
}

function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const poly = (k: number[], x: number): number => k.reduce((acc, v) => acc * x + v, 0);
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -poly(c, q) / (poly(d, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}

export interface Interval {
  /** successes / trials; null when there were no trials. */
  estimate: number | null;
  low: number | null;
  high: number | null;
  confidence: number;
}

/** Wilson score interval for a proportion: sound near 0 and 1, where campaigns live (coverage close to 1). */
export function wilson(successes: number, trials: number, confidence = 0.95): Interval {
  if (trials <= 0) return { estimate: null, low: null, high: null, confidence };
  const z = zFor(confidence);
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials));
  return { estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half), confidence };
}

export interface SampleSizeOptions {
  /** Error margin e, e.g. 0.01 for ±1 %. */
  margin: number;
  /** Confidence level of the margin. @default 0.95 */
  confidence?: number;
  /** Initial population N (fault sites); Infinity for an unbounded one. @default Infinity */
  population?: number;
  /** Expected proportion p of the outcome measured; 0.5 is the safe worst case. @default 0.5 */
  p?: number;
}

function checkP(p: number): number {
  if (typeof p !== 'number' || Number.isNaN(p)) throw invalidOption('p', 'a number in (0, 1)', p, 'type');
  if (!(p > 0 && p < 1)) throw invalidOption('p', 'a number in (0, 1)', p, 'range');
  return p;
}

function checkPopulation(population: number): number {
  if (typeof population !== 'number' || Number.isNaN(population)) throw invalidOption('population', 'an integer >= 1 or Infinity', population, 'type');
  if (population !== Number.POSITIVE_INFINITY && (!Number.isInteger(population) || population < 1))
    throw invalidOption('population', 'an integer >= 1 or Infinity', population, 'range');
  return population;
}

/** Injections needed: n = N / (1 + e²(N−1) / (t²·p(1−p))) (Leveugle et al., DATE 2009), rounded up. */
export function leveugleSampleSize(options: SampleSizeOptions): number {
  const { margin } = options;
  if (typeof margin !== 'number' || Number.isNaN(margin)) throw invalidOption('margin', 'a number in (0, 1)', margin, 'type');
  if (!(margin > 0 && margin < 1)) throw invalidOption('margin', 'a number in (0, 1)', margin, 'range');
  const t = zFor(options.confidence ?? 0.95);
  const p = checkP(options.p ?? 0.5);
  const population = checkPopulation(options.population ?? Number.POSITIVE_INFINITY);
  const q = t * t * p * (1 - p);
  if (population === Number.POSITIVE_INFINITY) return Math.ceil(q / (margin * margin));
  return Math.min(population, Math.ceil(population / (1 + (margin * margin * (population - 1)) / q)));
}

/** The margin that `n` injections give (the formula above solved for e); 0 when the whole population was injected. */
export function achievedMargin(n: number, options: { confidence?: number; population?: number; p?: number } = {}): number | null {
  if (n <= 0) return null;
  const t = zFor(options.confidence ?? 0.95);
  const p = checkP(options.p ?? 0.5);
  const population = checkPopulation(options.population ?? Number.POSITIVE_INFINITY);
  if (population === Number.POSITIVE_INFINITY) return t * Math.sqrt((p * (1 - p)) / n);
  if (n >= population) return 0;
  return t * Math.sqrt(((p * (1 - p)) / n) * ((population - n) / (population - 1)));
}
