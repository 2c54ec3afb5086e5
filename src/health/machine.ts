/**
 * Internals of the health model shared by CoreHealth: the per-core records, transition
 * reporting, and the charge/disable/retire rules. Split from core-health.ts only to keep each
 * file small; CoreHealth is the public face.
 */
import type { Clock } from '../util/clock.js';
import { type CoreRec, type DisableCause, type Mode, Scorer } from './core-record.js';
import type { FaultEvidence, HealthEffects, HealthState, ResolvedHealthOptions } from './types.js';

export abstract class HealthMachine {
  protected readonly recs = new Map<number, CoreRec>();
  /** Disabled cores, so dueForSelfTest scans only those. */
  protected readonly disabled = new Set<CoreRec>();
  protected readonly scorer: Scorer;
  protected readonly threshold: number;

  constructor(
    readonly options: ResolvedHealthOptions,
    readonly clock: Clock,
  ) {
    this.scorer = new Scorer(options);
    this.threshold = this.scorer.threshold;
  }

  protected must(core: number): CoreRec {
    const rec = this.recs.get(core);
    if (rec === undefined) throw new RangeError(`Unknown core ${core}`);
    return rec;
  }

  protected decay(value: number, at: number, now: number): number {
    return this.scorer.decay(value, at, now);
  }

  protected visible(rec: CoreRec, now: number): HealthState {
    return this.scorer.visible(rec, now);
  }

  /** Pushes a transition if the visible state moved since the last one reported. */
  protected report(rec: CoreRec, now: number, fx: HealthEffects, reason: string, evidence?: FaultEvidence): void {
    const to = this.visible(rec, now);
    if (to === rec.reported) return;
    fx.transitions.push(evidence === undefined ? { core: rec.id, from: rec.reported, to, reason, at: now } : { core: rec.id, from: rec.reported, to, reason, at: now, evidence });
    rec.reported = to;
  }

  protected setMode(rec: CoreRec, mode: Mode): void {
    rec.mode = mode;
    rec.serving = !rec.offline && (mode === 'active' || mode === 'probation');
    if (mode === 'disabled') this.disabled.add(rec);
    else this.disabled.delete(rec);
  }

  protected bumpCore(rec: CoreRec, now: number): number {
    rec.value = this.decay(rec.value, rec.at, now) + 1;
    rec.at = now;
    return rec.value;
  }

  protected bumpKind(rec: CoreRec, kind: string, now: number): number {
    const ks = rec.kinds.get(kind);
    if (ks === undefined) {
      rec.kinds.set(kind, { value: 1, at: now, ok: 0 });
      return 1;
    }
    ks.value = this.decay(ks.value, ks.at, now) + 1;
    ks.at = now;
    return ks.value;
  }

  protected resetScores(rec: CoreRec, now: number): void {
    rec.value = 0;
    rec.at = now;
    rec.kinds.clear();
  }

  /** Charge on a serving core; returns the reason for any transition it causes. */
  protected chargeActive(rec: CoreRec, kind: string, kindScore: number, now: number, fx: HealthEffects, evidence: FaultEvidence, why: string): string {
    if (rec.excluded.has(kind)) return `charged: ${why} (already excluded from it)`; // a straggler
    const total = this.bumpCore(rec, now);
    const salvage = this.options.salvage;
    // Salvage: the kind alone reached disableAt and the rest of the core holds less than one
    // fresh charge, i.e. the core faults only on this kind: exclude the kind, not the core.
    if (salvage !== false && kindScore >= this.threshold && total - kindScore < 1) {
      rec.excluded.add(kind);
      rec.value = Math.max(0, total - kindScore); // that evidence is now accounted for by the exclusion
      fx.exclusions.push({ core: rec.id, taskName: kind, at: now, evidence });
      if (rec.excluded.size > salvage.maxKinds) {
        return this.disable(rec, now, 'kinds', `excluded from ${rec.excluded.size} task kinds, more than salvage.maxKinds (${salvage.maxKinds}): ${why}`);
      }
      return `excluded from "${kind}": ${why}`;
    }
    if (total >= this.threshold) return this.disable(rec, now, 'score', `fault score reached ${this.options.disableAt}: ${why}`);
    return `charged: ${why}`;
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
