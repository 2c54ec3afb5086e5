/**
 * Every default of the pool's options, once. The `@default` docs of the option types, the
 * resolver, the simulator's scenario defaults, the CLI's usage text and the README's option
 * table all name (or print) these constants, so a default can only change here.
 *
 * Why the health numbers are what they are is explained in the health model's defaults.
 */

/** `redundancy`: three replicas outvote one wrong one without a tie-break. */
export const DEFAULT_REDUNDANCY = 'tmr' as const;
/** `binding`: every enabled core is a spare for every task. */
export const DEFAULT_BINDING = 'dynamic' as const;
/** `spares` (static binding): cores kept out of the initial groups. */
export const DEFAULT_SPARES = 0;
/** `pin`: pin where the platform allows it, report `pinned: false` otherwise. */
export const DEFAULT_PIN = 'auto' as const;
/** `faultDomain`: SMT siblings share execution units, so a mercurial core corrupts both. */
export const DEFAULT_FAULT_DOMAIN = 'physical-core' as const;
/** `taskTimeout`, ms: a replica past it is a hang fault. */
export const DEFAULT_TASK_TIMEOUT = 30_000;
/** `maxAttempts`: replica executions allowed beyond the first k, per task. */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** `maxQueue`: no limit on waiting tasks. */
export const DEFAULT_MAX_QUEUE = Number.POSITIVE_INFINITY;
/** `maxBatch`: replicas one core holds at once under backlog. */
export const DEFAULT_MAX_BATCH = 64;
/** `seed` of the pool's own tie-breaks (the tasks' streams use fresh entropy unless a seed is given). */
export const DEFAULT_SEED = 1;
/** `metrics`: keep the histograms and reliability history behind pool.metrics(). */
export const DEFAULT_METRICS = true;
/** `scanInterval`, ms: 0 runs no periodic state scan. */
export const DEFAULT_SCAN_INTERVAL = 0;
/** `audit.level` when an audit log is configured without one. */
export const DEFAULT_AUDIT_LEVEL = 'actions' as const;
/** `verify({ timeout })`, ms: how long a probe may wait for a busy worker (also the periodic scan's cap). */
export const DEFAULT_VERIFY_TIMEOUT = 2_000;
/** `determinism`: both the seeded `Math.random` and the journaled clock. */
export const DEFAULT_DETERMINISM = Object.freeze({ random: true, clock: true });

/** `health.falseAlarm`: at most one chance disabling per 10^9 replicas of a healthy core. */
export const DEFAULT_FALSE_ALARM = 1e-9;
/** `health.salvage: true` excludes a core from this many kinds before disabling it entirely. */
export const DEFAULT_SALVAGE_MAX_KINDS = 2;
/** `health.selfTest.after`, ms: wait after disabling (and after a failed round) before probing. */
export const DEFAULT_SELF_TEST_AFTER = 10_000;
/** `health.selfTest.passes`: clean probes in a row that move a disabled core to probation. */
export const DEFAULT_SELF_TEST_PASSES = 3;
/** `health.selfTest.maxProbations`: probations before a core is retired for good. */
export const DEFAULT_MAX_PROBATIONS = 2;
/** `health.selfTest.probationTasks`: clean replicas that end a probation. */
export const DEFAULT_PROBATION_TASKS = 50;

/** Replicas per task of each redundancy. */
export const REPLICAS: Readonly<Record<'dmr' | 'tmr', number>> = Object.freeze({ dmr: 2, tmr: 3 });

/**
 * `checkpoint` (stepped tasks): the replicas vote on their state about once a second. A fault then
 * costs at most a second of work, and the vote (≈ 10–20 ms for a 1 MB state on two CPUs, see the
 * README's curve) stays within the 2 % overhead budget.
 */
export const DEFAULT_CHECKPOINT = Object.freeze({ ms: 1_000 });
/** `checkpoint: 'auto'`: the prior of the MTBF estimate, ms of core time per fault (one fault per core-hour). */
export const DEFAULT_AUTO_PRIOR_MTBF_MS = 3_600_000;
/** `checkpoint: 'auto'`: bounds of the Young/Daly interval, ms. */
export const DEFAULT_AUTO_MIN_MS = 50;
export const DEFAULT_AUTO_MAX_MS = 60_000;
