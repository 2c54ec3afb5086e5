/** Export and restore of the per-core records (pool.health.export() / health.restore). */
import type { CoreRec, Mode, Scorer } from './core-record.js';
import type { CoreHealthRecord, HealthSnapshot, ResolvedHealthOptions } from './types.js';
import { validateSnapshot } from './validate.js';

export function toRecord(rec: CoreRec, scorer: Scorer, now: number): CoreHealthRecord {
  const out: CoreHealthRecord = {
    core: rec.id,
    state: scorer.visible(rec, now),
    score: scorer.score(rec, now),
    faults: rec.faults,
    excludedKinds: [...rec.excluded].sort(),
    probations: rec.probations,
    lastFaultAt: rec.lastFaultAt,
  };
  if (rec.offline) out.onlineState = scorer.modeState(rec, now);
  return out;
}

/**
 * Applies a snapshot so known-bad cores stay out after a restart. Scores restart from their
 * exported value at the new clock's `now`; per-kind scores and probation progress are not kept
 * (a restored probationer starts its probation count again; a restored disabled core is probed
 * `after` ms from now). Records of cores the pool no longer has are ignored.
 */
export function restoreRecs(
  recs: ReadonlyMap<number, CoreRec>,
  snapshot: HealthSnapshot,
  scorer: Scorer,
  options: ResolvedHealthOptions,
  now: number,
  setMode: (rec: CoreRec, mode: Mode) => void,
): void {
  validateSnapshot(snapshot);
  const sel = options.selfTest;
  for (const r of snapshot.cores) {
    const rec = recs.get(r.core);
    if (rec === undefined) continue;
    rec.faults = r.faults;
    rec.probations = r.probations;
    rec.lastFaultAt = r.lastFaultAt; // a time on the previous clock, kept for information
    rec.value = r.score;
    rec.at = now;
    for (const kind of r.excludedKinds) rec.excluded.add(kind);
    rec.offline = r.state === 'offline';
    const state = r.state === 'offline' ? (r.onlineState ?? (r.score >= scorer.threshold ? 'disabled' : 'healthy')) : r.state;
    const mode: Mode = state === 'healthy' || state === 'suspect' ? 'active' : state;
    setMode(rec, mode);
    if (mode === 'disabled') {
      rec.cause = 'restored';
      rec.dueAt = now + (sel === false ? 0 : sel.after);
    }
    rec.reported = scorer.visible(rec, now);
  }
}
