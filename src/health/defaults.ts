/**
 * Default health policy and the built-in known-answer test set.
 *
 * Why these numbers:
 * - falseAlarm 1e-9 per replica: a healthy core is disabled by chance at most once per 10^9 of
 *   its replicas (Lorden's bound, usually far rarer): about once in 3 years for a core running
 *   10 replicas a second, while a stuck core is still out within 10 of its replicas on a fleet of
 *   12 (see bench/attribution.ts). A false disabling costs a core until its self-tests bring it
 *   back; a missed mercurial core costs wrong answers out-voted now and unmasked later. Raise it
 *   (1e-6) to catch weak intermittent cores sooner on small fleets; 0 never disables on evidence.
 * - NONDETERMINISTIC_BASE 2 %: with at most 0.5 % background transients a kind whose typical core
 *   is out-voted on more than 2 % of its replicas disagrees by itself; the pool reports it.
 * - salvage and selfTest are opt-in: both change which cores serve, which users should choose.
 */
import { KAT_FLOAT, KAT_HASH, KAT_INT, KAT_STRING } from './kat-tasks.js';
import type { ResolvedHealthOptions, ResolvedSelfTestOptions } from './types.js';
import * as D from '../options/defaults.js';

// The scalar defaults live with every other option default; re-exported for the health model's readers.
export { DEFAULT_FALSE_ALARM } from '../options/defaults.js';

export interface KnownAnswerTest {
  readonly name: string;
  readonly input: unknown;
  readonly expected: unknown;
}

/**
 * Built-in KATs. The expected answers are hard-coded (computed once on a trusted machine and
 * re-checked by test/health.test.ts), never computed at load time on a possibly faulty core.
 */
export const DEFAULT_SELF_TESTS: readonly KnownAnswerTest[] = Object.freeze([
  Object.freeze({ name: KAT_INT, input: Object.freeze({ seed: 0x2545f491, rounds: 4096 }), expected: 2648768570 }),
  Object.freeze({ name: KAT_FLOAT, input: Object.freeze({ x0: 0.5, rounds: 2048 }), expected: 2204.4017201421466 }),
  Object.freeze({
    name: KAT_STRING,
    input: Object.freeze({ text: 'triplex known-answer test: the quick brown fox', rounds: 64 }),
    expected: 'T3keMdP~gzrTFgKDYlNQU5nbpNLJLE9zUjn+phG6~cW26BaA9eV5SbMQbYvQM0wrIQBnGLwLBUPHvxSQanMAyhiW828VZCbx',
  }),
  Object.freeze({
    name: KAT_HASH,
    input: Object.freeze({ text: 'triplex:kat:', times: 4096 }),
    expected: 'a2d5f826505dd7329589cfd9e386e1c8685a3fb30700cc4c74e097632f3b84a7',
  }),
]);

/** Self-test settings used when a user enables self-tests without details (`selfTest: true`). */
export const DEFAULT_SELF_TEST_OPTIONS: ResolvedSelfTestOptions = Object.freeze({
  tasks: DEFAULT_SELF_TESTS,
  after: D.DEFAULT_SELF_TEST_AFTER,
  passes: D.DEFAULT_SELF_TEST_PASSES,
  maxProbations: D.DEFAULT_MAX_PROBATIONS,
  probationTasks: D.DEFAULT_PROBATION_TASKS,
});

export const DEFAULT_HEALTH: ResolvedHealthOptions = Object.freeze({
  falseAlarm: D.DEFAULT_FALSE_ALARM,
  nondeterministic: Object.freeze([]) as readonly string[],
  salvage: false,
  selfTest: false,
});

/** A kind whose base rate of out-voted replicas is above this reads as non-deterministic (reported only). */
export const NONDETERMINISTIC_BASE = 0.02;
/** A kind stops reading as non-deterministic when its base falls below half that (no flapping). */
export const NONDETERMINISTIC_END = NONDETERMINISTIC_BASE / 2;
/** Replicas a kind needs across the fleet before its base rate is reported on. */
export const NONDETERMINISTIC_MIN_REPLICAS = 200;

/** A core whose statistic passed this fraction of the threshold reads `suspect`. */
export const SUSPECT_FRACTION = 0.5;
