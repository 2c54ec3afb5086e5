/**
 * What a replay checks a run's lines against: the counts pool-stop's stats must account for,
 * from the last baseline that recorded them (audit-replay.ts).
 */
import { auditLevelRank, type AuditLine } from './types.js';

/** A number field of a parsed line, else undefined. */
export const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

type Counts = Record<'faults' | 'completed' | 'failed' | 'corrected', number>;

/**
 * The lines of one stretch of a run (from a baseline that records the pool's stats: pool-start,
 * or a level line) that pool-stop's stats must account for. Level 'actions' logs every fault
 * (stats.faults); 'tasks' and 'debug' add one task line per settled task (stats.completed +
 * stats.failed) saying whether it was corrected (stats.corrected). A stretch logged at level
 * 'off' (or from a baseline without stats: logs of earlier versions) checks nothing.
 */
export class Tally {
  private readonly seen: Counts = { faults: 0, completed: 0, failed: 0, corrected: 0 };

  private constructor(
    private readonly base: Counts,
    private readonly rank: number,
  ) {}

  /** From a pool-start (its audit level in options) or a level line (its `to`). */
  static from(line: AuditLine): Tally | undefined {
    const stats = counts(line.stats);
    const audit = (line.options as { audit?: { level?: unknown } } | undefined)?.audit;
    const level = line.type === 'level' ? line.to : (line.level ?? audit?.level);
    return stats === undefined ? undefined : new Tally(stats, auditLevelRank(level));
  }

  count(line: AuditLine): void {
    if (line.type === 'fault') this.seen.faults++;
    else if (line.type === 'task') {
      if (line.outcome === 'value') this.seen.completed++;
      else this.seen.failed++;
      if (line.corrected === true) this.seen.corrected++;
    }
  }

  check(stop: unknown): string[] {
    const end = counts(stop);
    if (end === undefined || this.rank === 0) return [];
    const fields: (keyof Counts)[] = this.rank >= 2 ? ['faults', 'completed', 'failed', 'corrected'] : ['faults'];
    const found: string[] = [];
    for (const field of fields) {
      const recorded = end[field] - this.base[field];
      if (this.seen[field] !== recorded) found.push(`${this.seen[field]} ${LINE_OF[field]} line(s) logged, pool-stop stats.${field} says ${recorded}`);
    }
    return found;
  }
}

const LINE_OF: Record<keyof Counts, string> = { faults: 'fault', completed: 'task (value)', failed: 'task (not a value)', corrected: 'task (corrected)' };

function counts(stats: unknown): Counts | undefined {
  if (typeof stats !== 'object' || stats === null) return undefined;
  const s = stats as Record<string, unknown>;
  const out: Counts = { faults: 0, completed: 0, failed: 0, corrected: 0 };
  for (const key of Object.keys(out) as (keyof Counts)[]) {
    const value = num(s[key]);
    if (value === undefined) return undefined;
    out[key] = value;
  }
  return out;
}
