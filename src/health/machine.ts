/**
 * Internals of the health model shared by CoreHealth: the per-core records, transition
 * reporting, and the disable/retire rules. Split from core-health.ts only to keep each file
 * small; CoreHealth is the public face.
 */
import type { Clock } from '../util/clock.js';
import { type CoreRec, type DisableCause, type Mode, visibleState } from './core-record.js';
import { DEFAULT_FALSE_ALARM, SUSPECT_FRACTION } from './defaults.js';
import { STREAMS, type AttributionEvidence } from './evidence.js';
import { threshold } from './sequential.js';
import type { FaultEvidence, HealthEffects, HealthState, ResolvedHealthOptions } from './types.js';

export abstract class HealthMachine {
  protected readonly recs = new Map<number, CoreRec>();
  /** Disabled cores, so dueForSelfTest scans only those. */
  protected readonly disabled = new Set<CoreRec>();
  /** The test statistic that disables (Infinity when falseAlarm is 0). */
  readonly threshold: number;
  /** The statistic at which a core reads `suspect`, and the scale of `score`. */
  protected readonly scale: number;
  protected readonly suspectAt: number;

  constructor(
    readonly options: ResolvedHealthOptions,
    readonly clock: Clock,
  ) {
    this.threshold = threshold(options.falseAlarm, STREAMS.length);
    this.scale = Number.isFinite(this.threshold) ? this.threshold : threshold(DEFAULT_FALSE_ALARM, STREAMS.length);
    this.suspectAt = SUSPECT_FRACTION * this.scale;
  }

  protected must(core: number): CoreRec {
    const rec = this.recs.get(core);
    if (rec === undefined) throw new RangeError(`Unknown core ${core}`);
    return rec;
  }

  protected visible(rec: CoreRec): HealthState {
    return visibleState(rec, this.suspectAt);
  }

  /** Pushes a transition if the visible state moved since the last one reported. */
  protected report(rec: CoreRec, now: number, fx: HealthEffects, reason: string, evidence?: FaultEvidence, attribution?: AttributionEvidence): void {
    const to = this.visible(rec);
    if (to === rec.reported) return;
    const transition: HealthEffects['transitions'][number] = { core: rec.id, from: rec.reported, to, reason, at: now };
    if (evidence !== undefined) transition.evidence = evidence;
    if (attribution !== undefined) transition.attribution = attribution;
    fx.transitions.push(transition);
    rec.reported = to;
  }

  protected setMode(rec: CoreRec, mode: Mode): void {
    rec.mode = mode;
    rec.serving = !rec.offline && (mode === 'active' || mode === 'probation');
    if (mode === 'disabled') this.disabled.add(rec);
    else this.disabled.delete(rec);
  }

  /** Largest statistic over the kinds the core still serves. */
  protected refreshPeak(rec: CoreRec): void {
    let max = 0;
    for (const [kind, ev] of rec.kinds) {
      if (rec.excluded.size !== 0 && rec.excluded.has(kind)) continue;
      const p = ev.peak();
      if (p > max) max = p;
    }
    rec.peak = max;
  }

  protected disable(rec: CoreRec, now: number, cause: DisableCause, reason: string): string {
    const sel = this.options.selfTest;
    if (sel !== false && rec.probations >= sel.maxProbations) {
      return this.retire(rec, `${reason}; disabled again after ${rec.probations} probation(s)`);
    }
    this.setMode(rec, 'disabled');
    rec.cause = cause;
    rec.streak = 0;
    rec.dueAt = now + (sel === false ? 0 : sel.after);
    return reason;
  }

  protected retire(rec: CoreRec, reason: string): string {
    this.setMode(rec, 'retired');
    return reason;
  }
}
