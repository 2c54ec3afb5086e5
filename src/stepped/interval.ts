/**
 * The checkpoint interval: the `checkpoint` option resolved, and the steps each segment runs.
 * Time-based intervals become step counts from the run's own measurements, since every replica
 * of a segment must run the same steps; `'auto'` picks the Young/Daly interval √(2 · MTBF · C).
 */
import { invalidOption } from '../errors.js';
import * as D from '../options/defaults.js';
import { checkNumber, isObject, rejectUnknown } from '../options/validate.js';
import type { ResolvedCheckpoint } from './types.js';

/** Validates `checkpoint` (pool or run option); undefined gives `fallback`. */
export function resolveCheckpoint(value: unknown, fallback: ResolvedCheckpoint, name = 'checkpoint'): ResolvedCheckpoint {
  if (value === undefined) return fallback;
  if (value === 'auto') return { steps: Number.POSITIVE_INFINITY, ms: Number.NaN, auto: true };
  if (!isObject(value)) throw invalidOption(name, "{ steps?, ms? } or 'auto'", value, 'type');
  rejectUnknown(name, value, ['steps', 'ms']);
  if (value.steps === undefined && value.ms === undefined) throw invalidOption(name, '{ steps } and/or { ms }', value, 'range');
  const steps = value.steps === undefined ? Number.POSITIVE_INFINITY : checkNumber(`${name}.steps`, value.steps, 1, { integer: true });
  const ms = value.ms === undefined ? Number.NaN : checkNumber(`${name}.ms`, value.ms, 0, { exclusive: true });
  return { steps, ms, auto: false };
}

/** The pool's default, resolved once. */
export const DEFAULT_RESOLVED_CHECKPOINT: ResolvedCheckpoint = Object.freeze(
  resolveCheckpoint(D.DEFAULT_CHECKPOINT, { steps: 1, ms: Number.NaN, auto: false }),
);

/** What 'auto' reads of the pool: replica time run so far and faults charged (crashes and hangs included). */
export interface FaultHistory {
  busyMs: number;
  faults: number;
}

/**
 * Young/Daly: the interval T = √(2 · M · C) between checkpoints minimizes expected lost work plus
 * checkpoint cost, for a checkpoint cost C and a mean time between failures M of the k cores
 * running the task. M is estimated from the pool's history as (core time + one prior core-hour) /
 * (faults + 1) / k: with no fault seen it reads "one fault per core-hour", a pessimistic prior that
 * fades as fault-free core time accumulates.
 */
export function youngDaly(history: FaultHistory, k: number, costMs: number): number {
  const mtbf = (history.busyMs + D.DEFAULT_AUTO_PRIOR_MTBF_MS) / (history.faults + 1) / k;
  const interval = Math.sqrt(2 * mtbf * Math.max(costMs, 0.01));
  return Math.min(D.DEFAULT_AUTO_MAX_MS, Math.max(D.DEFAULT_AUTO_MIN_MS, interval));
}

/** Growth cap per segment: a noisy first measurement cannot make one segment huge. */
const MAX_GROWTH = 16;

/**
 * Steps per segment for one run. Each voted segment adds a point (steps, wall ms); a least-squares
 * line through them gives the time per step (slope) and the cost of one checkpoint vote C (intercept:
 * dispatch, state transfer, vote, decode — what a segment costs beyond its steps).
 */
export class IntervalPlanner {
  private n = 0;
  private sx = 0;
  private sy = 0;
  private sxx = 0;
  private sxy = 0;
  private last: number;

  constructor(
    private readonly rule: ResolvedCheckpoint,
    private readonly k: number,
    private readonly history: () => FaultHistory,
  ) {
    // A time-based interval starts with a one-step probe: the step rate is unknown until measured.
    this.last = this.timeBased ? 1 : rule.steps;
  }

  private get timeBased(): boolean {
    return this.rule.auto || !Number.isNaN(this.rule.ms);
  }

  /** Steps of the first segment. */
  first(): number {
    return this.last;
  }

  /** A segment of `steps` steps took `wallMs` from dispatch to vote: the steps of the next one. */
  next(steps: number, wallMs: number): number {
    this.add(steps, wallMs);
    if (!this.timeBased) return this.rule.steps;
    const perStep = this.perStep(steps, wallMs);
    const target = this.rule.auto ? youngDaly(this.history(), this.k, this.cost()) : this.rule.ms;
    const wanted = Math.max(1, Math.round(target / perStep));
    this.last = Math.min(this.rule.steps, wanted, this.last * MAX_GROWTH);
    return this.last;
  }

  /** Measured cost of one checkpoint (the line's intercept), ms; 0 until two step counts were seen. */
  cost(): number {
    const d = this.n * this.sxx - this.sx * this.sx;
    if (this.n < 2 || d <= 0) return 0;
    const slope = (this.n * this.sxy - this.sx * this.sy) / d;
    return Math.max(0, (this.sy - slope * this.sx) / this.n);
  }

  private perStep(steps: number, wallMs: number): number {
    const d = this.n * this.sxx - this.sx * this.sx;
    const slope = this.n >= 2 && d > 0 ? (this.n * this.sxy - this.sx * this.sy) / d : 0;
    // Noise can tilt the line: then the plain mean (overhead included) is the safer estimate.
    return slope > 0 ? slope : Math.max(wallMs / steps, 1e-6);
  }

  private add(x: number, y: number): void {
    this.n++;
    this.sx += x;
    this.sy += y;
    this.sxx += x * x;
    this.sxy += x * y;
  }
}
