/** Checks of the health options and of a snapshot to restore (cheap; run once per pool). */
import { invalidOption } from '../errors.js';
import { checkNumber, isObject, type NumberRule } from '../options/validate.js';
import type { CoreHealthRecord, HealthSnapshot, HealthState, ResolvedHealthOptions } from './types.js';

const STATES: ReadonlySet<string> = new Set<HealthState>(['healthy', 'suspect', 'disabled', 'probation', 'retired', 'offline']);

function num(name: string, value: unknown, min: number, rule: NumberRule = {}): void {
  checkNumber(name, value, min, rule);
}

/** Throws ERR_INVALID_OPTION for options the health model cannot work with. */
export function validateHealthOptions(o: ResolvedHealthOptions): void {
  if (!isObject(o)) throw invalidOption('health', 'an object', o, 'type');
  num('health.falseAlarm', o.falseAlarm, 0, { max: 0.5 });
  if (!Array.isArray(o.nondeterministic) || !o.nondeterministic.every((k) => typeof k === 'string')) {
    throw invalidOption('health.nondeterministic', 'an array of task kinds', o.nondeterministic, 'type');
  }
  if (o.salvage !== false) {
    if (!isObject(o.salvage)) throw invalidOption('health.salvage', 'false or { maxKinds }', o.salvage, 'type');
    num('health.salvage.maxKinds', o.salvage.maxKinds, 1, { integer: true }); // as the resolver: 0 kinds would be no salvage
  }
  if (o.selfTest !== false) {
    const s = o.selfTest;
    if (!isObject(s)) throw invalidOption('health.selfTest', 'false or an object', s, 'type');
    if (!Array.isArray(s.tasks) || s.tasks.length === 0)
      throw invalidOption('health.selfTest.tasks', 'a non-empty array of { name, input, expected }', s.tasks, 'type');
    num('health.selfTest.after', s.after, 0);
    num('health.selfTest.passes', s.passes, 1, { integer: true });
    num('health.selfTest.maxProbations', s.maxProbations, 0, { integer: true });
    num('health.selfTest.probationTasks', s.probationTasks, 1, { integer: true });
  }
}

function validRecord(r: unknown): r is CoreHealthRecord {
  if (!isObject(r)) return false;
  return (
    typeof r.core === 'number' &&
    typeof r.state === 'string' &&
    STATES.has(r.state) &&
    typeof r.score === 'number' &&
    Number.isFinite(r.score) &&
    r.score >= 0 &&
    typeof r.faults === 'number' &&
    typeof r.probations === 'number' &&
    Array.isArray(r.excludedKinds) &&
    r.excludedKinds.every((k) => typeof k === 'string') &&
    (r.lastFaultAt === null || typeof r.lastFaultAt === 'number') &&
    (r.onlineState === undefined || (typeof r.onlineState === 'string' && STATES.has(r.onlineState) && r.onlineState !== 'offline'))
  );
}

/** Throws ERR_INVALID_OPTION unless `value` looks like a snapshot from export(). */
export function validateSnapshot(value: unknown): asserts value is HealthSnapshot {
  if (!isObject(value) || value.version !== 1 || !Array.isArray(value.cores)) {
    throw invalidOption('health.restore', 'a snapshot from pool.health.export() ({ version: 1, cores: [...] })', value, 'type');
  }
  value.cores.forEach((r: unknown, i: number) => {
    if (!validRecord(r)) throw invalidOption(`health.restore.cores[${i}]`, 'a core health record from export()', r, 'type');
  });
  const nd = value.nondeterministic;
  if (nd !== undefined && (!Array.isArray(nd) || !nd.every((k) => typeof k === 'string'))) {
    throw invalidOption('health.restore.nondeterministic', 'an array of task names', nd, 'type');
  }
}
