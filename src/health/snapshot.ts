/** Export and restore of the per-core records (pool.health.export() / health.restore). */
import { modeState, visibleState, type CoreRec, type Mode } from './core-record.js';
import type { CoreHealthRecord, HealthSnapshot, ResolvedHealthOptions } from './types.js';
import { validateSnapshot } from './validate.js';

export function toRecord(rec: CoreRec, score: number, suspectAt: number): CoreHealthRecord {
  const out: CoreHealthRecord = {
    core: rec.id,
    state: visibleState(rec, suspectAt),
    score,
    faults: rec.faults,
    excludedKinds: [...rec.excluded].sort(),
    probations: rec.probations,
    lastFaultAt: rec.lastFaultAt,
  };
  if (rec.offline) out.onlineState = modeState(rec, suspectAt);
  return out;
}

/**
 * Applies a snapshot so known-bad cores stay out after a restart. The evidence (counts and test
 * statistics) starts afresh: a suspect core comes back healthy; probation progress is not kept
 * (a restored probationer starts its probation count again; a restored disabled core is probed
 * `after` ms from now). Records of cores the pool no longer has are ignored.
 */
export function restoreRecs(
  recs: ReadonlyMap<number, CoreRec>,
  snapshot: HealthSnapshot,
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
    for (const kind of r.excludedKinds) rec.excluded.add(kind);
    rec.offline = r.state === 'offline';
    const state = r.state === 'offline' ? (r.onlineState ?? 'healthy') : r.state;
    const mode: Mode = state === 'healthy' || state === 'suspect' ? 'active' : state;
    setMode(rec, mode);
    if (mode === 'disabled') {
      rec.cause = 'restored';
      rec.dueAt = now + (sel === false ? 0 : sel.after);
    }
    rec.reported = visibleState(rec, Number.POSITIVE_INFINITY);
  }
}
