/** Shared fixtures of the health model's unit tests: a manual clock and terse charges. */
import { CoreHealth, DEFAULT_HEALTH, DEFAULT_SELF_TEST_OPTIONS, type FaultEvidence, type HealthEffects, type ResolvedHealthOptions, type ResolvedSelfTestOptions } from '../../src/health/index.js';
import { ManualClock } from '../../src/util/clock.js';

export const H = 60_000;
export const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
export const wrong = (taskName = 'fib', taskId?: number): FaultEvidence => ({ kind: 'wrong-result', taskName, taskId, digest: 'bad', majorityDigest: 'good' });
export const selfTest = (over: Partial<ResolvedSelfTestOptions> = {}): ResolvedSelfTestOptions => ({ ...DEFAULT_SELF_TEST_OPTIONS, after: 10_000, passes: 3, maxProbations: 2, probationTasks: 5, ...over });

export function make(over: Partial<ResolvedHealthOptions> = {}, n = 6, clock = new ManualClock(1_000)): { health: CoreHealth; clock: ManualClock } {
  const health = new CoreHealth(ids(n), { ...DEFAULT_HEALTH, ...over }, clock);
  return { health, clock };
}

export function chargeN(health: CoreHealth, core: number, n: number, task = 'fib'): HealthEffects[] {
  return Array.from({ length: n }, () => health.charge(core, wrong(task)));
}
