/**
 * Resolved simulation settings (what one run of the simulator needs) and their defaults.
 * Times are virtual milliseconds, like every time the health model sees.
 */
import * as D from '../options/defaults.js';

/** A service-time distribution, ms. `cv` is the coefficient of variation of the lognormal. */
export type ServiceDist = { dist: 'constant'; mean: number } | { dist: 'exponential'; mean: number } | { dist: 'lognormal'; mean: number; cv: number };

/** Lifetime of a core before it turns permanently faulty, ms. */
export type LifetimeDist = { dist: 'exponential'; mean: number } | { dist: 'weibull'; shape: number; scale: number };

/**
 * Closed loop: `concurrency` clients, each submitting its next task when the last settles, or
 * `backoff` ms after a failure (a client that gets ERR_NOT_ENOUGH_CORES waits, it does not
 * spin). Poisson: `rate` tasks per second whatever happens.
 */
export type Arrival = { kind: 'closed'; concurrency: number; backoff: number } | { kind: 'poisson'; rate: number };

/** What a permanently failed core does: wrong answers (mercurial), crash, or hang until the timeout. */
export type FailureMode = 'wrong' | 'crash' | 'hang';

export interface SelfTestConfig {
  after: number;
  passes: number;
  maxProbations: number;
  probationTasks: number;
  /** CPU time of one known-answer probe at speed 1, ms. */
  probeMs: number;
}

export interface HealthConfig {
  /** The sequential test's false-alarm rate per replica (health.falseAlarm of the pool). */
  falseAlarm: number;
  /** Kinds declared non-deterministic (`task` or `flaky`). */
  nondeterministic: string[];
  selfTest: false | SelfTestConfig;
}

export interface FaultsConfig {
  /** Per-replica probability of a wrong result, every core; `perCore` overrides single cores. */
  transient: { rate: number; perCore: { core: number; rate: number }[] };
  /** Share of wrong results that are the same wrong value on every core (common mode). */
  commonMode: number;
  /** Cores failed from t = 0: a count (picked at random with the seed) or explicit ids. */
  failed: number | number[];
  failureMode: FailureMode;
  /** Lifetimes of cores (permanent failures arriving over time); `fraction` of cores can fail. */
  lifetimes: false | (LifetimeDist & { fraction: number });
  /** Intermittent cores: bursts every `every` ms on average, `length` ms long, `rate` wrong inside. */
  intermittent: false | { cores: number | number[]; every: number; length: number; rate: number };
  crash: { rate: number; cores: number[] | 'all' };
  hang: { rate: number; cores: number[] | 'all' };
  /**
   * A second task kind, `flaky`: `share` of the tasks, each replica of which (on any core)
   * computes a value of its own with probability `rate` (crypto randomness in a task).
   */
  flaky: { share: number; rate: number };
}

export interface SimConfig {
  cores: number;
  cpus: number;
  /**
   * 'cpu': each simulated CPU is a fault domain, and no two replicas of a task share one (the
   * pool's binding code enforces it, as on a real machine); 'none': distinct cores only.
   */
  faultDomain: 'cpu' | 'none';
  redundancy: 'dmr' | 'tmr';
  binding: 'static' | 'dynamic';
  spares: number;
  /** ms; Infinity for none (JSON: null). */
  taskTimeout: number;
  maxAttempts: number;
  /** Per-replica CPU work added to the service time (dispatch, copy, digest), ms at speed 1. */
  overhead: number;
  /**
   * Per-replica CPU work of the pool's main thread (reply, vote, next dispatch), ms. Replies
   * queue for the one main thread, which is not pinned: it runs where a CPU has room, and a
   * core is free again only once its reply has been handled (as in the pool).
   */
  mainOverhead: number;
  /**
   * Per-replica dispatch latency, ms: the core is taken but its CPU is idle (the request's trip
   * to the worker). Hidden when other cores share the CPU, unlike `overhead`.
   */
  latency: number;
  /** CPU work a restarted worker adds to its next replica after a crash or timeout, ms. */
  restartMs: number;
  tasks: { count: number; arrival: Arrival; service: ServiceDist };
  /**
   * Slowness factors: lognormal spread over cores (sigma of ln), explicit slow cores (factor 2
   * = half speed), and per-replica noise (`jitter`: coefficient of variation of a mean-1
   * lognormal factor; replicas of one task do the same work but never take the same time).
   */
  speed: { sigma: number; slow: { core: number; factor: number }[]; jitter: number };
  health: HealthConfig;
  faults: FaultsConfig;
  /**
   * Dynamic binding: place a new task only once k cores are idle, in one call ('auto': from
   * 100·(k−1) cores, where the idle time this adds is under 0.5 %). false mirrors the pool's
   * replica-by-replica placement exactly.
   */
  batch: boolean | 'auto';
  /** Points in the throughput-over-time series. */
  buckets: number;
  seed: number;
  /**
   * Stepped tasks (the pool's checkpoints): each task's service time is cut into segments of
   * `interval` ms of work, each voted like a task and costing `cost` ms more per replica (state
   * transfer and vote); a fault loses at most its segment. false: every task is one piece.
   */
  stepped: false | { interval: number; cost: number };
}

/** The pool's defaults where the pool has the same setting; the rest describe a fault-free, overhead-free fleet. */
export const DEFAULT_CONFIG: Omit<SimConfig, 'cores' | 'cpus' | 'tasks' | 'faultDomain'> = {
  redundancy: D.DEFAULT_REDUNDANCY,
  binding: D.DEFAULT_BINDING,
  spares: D.DEFAULT_SPARES,
  taskTimeout: D.DEFAULT_TASK_TIMEOUT,
  maxAttempts: D.DEFAULT_MAX_ATTEMPTS,
  overhead: 0,
  mainOverhead: 0,
  latency: 0,
  restartMs: 0,
  speed: { sigma: 0, slow: [], jitter: 0 },
  health: { falseAlarm: D.DEFAULT_FALSE_ALARM, nondeterministic: [], selfTest: false },
  faults: {
    transient: { rate: 0, perCore: [] },
    commonMode: 0,
    failed: 0,
    failureMode: 'wrong',
    lifetimes: false,
    intermittent: false,
    crash: { rate: 0, cores: 'all' },
    hang: { rate: 0, cores: 'all' },
    flaky: { share: 0, rate: 0 },
  },
  batch: 'auto',
  buckets: 100,
  seed: D.DEFAULT_SEED,
  stepped: false,
};

export const DEFAULT_SELF_TEST: SelfTestConfig = {
  after: D.DEFAULT_SELF_TEST_AFTER,
  passes: D.DEFAULT_SELF_TEST_PASSES,
  maxProbations: D.DEFAULT_MAX_PROBATIONS,
  probationTasks: D.DEFAULT_PROBATION_TASKS,
  probeMs: 1,
};

/** One run of a scenario: a variant at one sweep point. */
export interface RunSpec {
  variant: string;
  /** The sweep value of this run, undefined without a sweep. */
  point: number | string | boolean | undefined;
  config: SimConfig;
}

export interface Scenario {
  name: string;
  description: string;
  sweep: { param: string; values: (number | string | boolean)[] } | undefined;
  variants: string[];
  runs: RunSpec[];
}
