/** Shared fixtures of the health model's unit tests: a manual clock, rounds of evidence, terse charges. */
import {
  CoreHealth,
  DEFAULT_HEALTH,
  DEFAULT_SELF_TEST_OPTIONS,
  type FaultEvidence,
  type HealthEffects,
  type ResolvedHealthOptions,
  type ResolvedSelfTestOptions,
} from '../../dist/health/index.js';
import { ManualClock } from '../../dist/util/clock.js';

export const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
export const wrong = (taskName = 'fib', taskId?: number): FaultEvidence => ({ kind: 'wrong-result', taskName, taskId, digest: 'bad', majorityDigest: 'good' });
export const selfTest = (over: Partial<ResolvedSelfTestOptions> = {}): ResolvedSelfTestOptions => ({
  ...DEFAULT_SELF_TEST_OPTIONS,
  after: 10_000,
  passes: 3,
  maxProbations: 2,
  probationTasks: 5,
  ...over,
});

export function make(over: Partial<ResolvedHealthOptions> = {}, n = 6, clock = new ManualClock(1_000)): { health: CoreHealth; clock: ManualClock } {
  const health = new CoreHealth(ids(n), { ...DEFAULT_HEALTH, ...over }, clock);
  return { health, clock };
}

/**
 * `n` rounds of evidence on one kind: every other serving core agrees once, then `core` is
 * charged (out-voted). Returns the charges' effects.
 */
export function chargeN(health: CoreHealth, core: number, n: number, task = 'fib', evidence: FaultEvidence = wrong(task)): HealthEffects[] {
  const out: HealthEffects[] = [];
  for (let i = 0; i < n; i++) {
    for (const other of health.export().cores) if (other.core !== core && health.canServe(other.core, task)) health.success(other.core, task);
    out.push(health.charge(core, evidence));
  }
  return out;
}

/** Rounds of evidence (see chargeN) until the core no longer serves `task`; fails after `max` rounds. */
export function disable(health: CoreHealth, core: number, task = 'fib', max = 30): HealthEffects[] {
  const out: HealthEffects[] = [];
  while (health.canServe(core, task)) {
    if (out.length >= max) throw new Error(`core ${core} still serves "${task}" after ${max} rounds`);
    out.push(...chargeN(health, core, 1, task));
  }
  return out;
}
