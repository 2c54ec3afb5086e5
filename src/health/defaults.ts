/**
 * Default health policy and the built-in known-answer test set.
 *
 * Why these numbers:
 * - disableAt 3: one wrong answer can be a cosmic ray, two in a row on one core is suspicious,
 *   three within a few seconds is a core that computes wrong (mercurial cores are reproducible,
 *   so a stuck one reaches 3 within its next three tasks).
 * - halfLife 60 s: a core faulting less often than about every 37 s (0.61 half-lives, where the
 *   steady-state score 1/(1-2^(-Δ/h)) stays below disableAt - REACH_SLACK) is never disabled,
 *   so rare transients only ever make a core `suspect`.
 * - blame {window 20, minCores 3, maxShare 0.4}: a task kind whose recent charges (the last 20,
 *   no older than two half-lives) fall on 3+ distinct cores with none holding more than 40 % is
 *   treated as non-deterministic. 0.4 rather than 0.5 so that two genuinely bad cores that each
 *   reached disableAt plus one unrelated transient (3,3,1 → 43 %) still read as concentrated.
 *   minCores 3 (not more) so that a 3-core TMR pool can still recognise a flaky task.
 * - salvage and selfTest are opt-in: both change which cores serve, which users should choose.
 */
import { KAT_FLOAT, KAT_HASH, KAT_INT, KAT_STRING } from './kat-tasks.js';
import type { ResolvedHealthOptions, ResolvedSelfTestOptions } from './types.js';

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
  after: 10_000,
  passes: 3,
  maxProbations: 2,
  probationTasks: 50,
});

export const DEFAULT_HEALTH: ResolvedHealthOptions = Object.freeze({
  disableAt: 3,
  halfLife: 60_000,
  salvage: false,
  selfTest: false,
  blame: Object.freeze({ window: 20, minCores: 3, maxShare: 0.4 }),
});

/** Below this decayed score a core reads `healthy` (one charge takes ~4.3 half-lives to get there). */
export const HEALTHY_EPSILON = 0.05;

/**
 * A score within this of disableAt counts as reaching it: disableAt charges in quick succession
 * must disable even though each has decayed a little (3 charges up to ~5 % of a half-life apart,
 * 3 s at the default). Scaled down for disableAt < 1.
 */
export const REACH_SLACK = 0.1;

/** Charges older than this many half-lives leave the blame window (they barely weigh on any score). */
export const BLAME_HORIZON_HALF_LIVES = 2;
