/** Shapes of a campaign's options, progress and result (the result is plain JSON). */
import type { FaultInjector, FaultModelName, TriplexOptions, StatsSnapshot } from '../api/index.js';
import type { Interval } from './statistics.js';

/**
 * What happened to one task:
 * - correct: no fault was injected into it and the right value came back;
 * - masked: a fault was injected, the right value came back and no replica disagreed;
 * - corrected: replicas disagreed (or crashed, hung) and the majority out-voted them;
 * - detected: the pool rejected it with a typed error (a detected unrecoverable error, DUE);
 * - sdc: a wrong value (or a wrong error) reached the caller — silent data corruption.
 */
export type Outcome = 'correct' | 'masked' | 'corrected' | 'detected' | 'sdc';
export const OUTCOMES: readonly Outcome[] = Object.freeze(['correct', 'masked', 'corrected', 'detected', 'sdc']);

export type OutcomeCounts = Record<Outcome, number>;

export interface CampaignTask {
  /** Export of the task module. */
  name: string;
  /** Inputs, cycled when more tasks than inputs are run. Each must be structured-cloneable. */
  inputs: readonly unknown[];
}

export interface CampaignProgress {
  /** Tasks settled. */
  done: number;
  /** Tasks the campaign will run at most (the cap; sizing by margin may stop it earlier). */
  total: number;
  submitted: number;
  /** Settled tasks that had at least one injected fault. */
  injected: number;
  /** Injected tasks the margin requires (null without `margin`). */
  required: number | null;
  outcomes: OutcomeCounts;
  elapsedMs: number;
}

export interface CampaignOptions {
  /** Pool options, without `faults` (the campaign supplies the injector). */
  pool: Omit<TriplexOptions, 'faults'>;
  task: CampaignTask;
  /** Tasks to run (inputs cycled). @default inputs.length, or 1,000,000 as a cap when `margin` sizes the campaign */
  tasks?: number;
  faults: FaultInjector;
  /**
   * Expected answers: one per input, or a function of (input, index); a function that throws stops the campaign with ERR_GOLDEN_RUN (`data.reason` 'threw').
   * @default computed fault-free in a thread of their own (the pool's workerData, env, argv, execArgv), each within taskTimeout, else ERR_GOLDEN_RUN
   */
  golden?: readonly unknown[] | ((input: unknown, index: number) => unknown);
  /** Size the campaign: stop once enough tasks had a fault injected for this error margin (Leveugle et al.). */
  margin?: number;
  /** Confidence of the coverage interval and of the margin. @default 0.95 */
  confidence?: number;
  /** Leveugle's initial population N. @default `tasks` when given, else Infinity */
  population?: number;
  /** Tasks in flight at once. @default 2 × cores */
  concurrency?: number;
  /** Name of this configuration in reports. @default '<REDUNDANCY> <binding>' */
  label?: string;
  /** Points in the timeline series. @default 60 */
  buckets?: number;
  onProgress?: (progress: CampaignProgress) => void;
  /** Stops dispatching; tasks in flight finish and the result is marked `interrupted`. */
  signal?: AbortSignal;
}

export interface ModelSummary {
  index: number;
  model: FaultModelName;
  description: string;
  /** Injections made (replicas hit; maintenance events applied or refused). */
  injected: number;
  /** Injections that changed what their replica produced (wrong value, crash, hang) — or maintenance events applied. */
  activated: number;
  /** Outcomes of the tasks this model injected into (a task with two models counts under both). */
  outcomes: OutcomeCounts;
}

export interface CoreSummary {
  id: number;
  cpu: number;
  state: string;
  /** Charges the pool made against this core. */
  faults: number;
  /** Replicas the core ran. */
  tasks: number;
  /** Injections into replicas that ran on this core. */
  injected: number;
  /** ms after the campaign started that the core was disabled (or retired); null if never. */
  disabledAtMs: number | null;
  /** Tasks settled by then. */
  disabledAfterTasks: number | null;
  /** ms from the core's first charge to its disabling: how long a bad core kept serving. */
  timeToDisableMs: number | null;
}

export interface Timeline {
  /** Width of one bucket, ms. */
  bucketMs: number;
  /** End of each bucket, ms since the campaign started. */
  t: number[];
  /** Tasks settled in each bucket. */
  settled: number[];
  /** Fewest cores able to serve during each bucket. */
  capacity: number[];
  /** Every change of the number of cores able to serve, from t = 0 (the first 1,000). */
  capacityChanges: { t: number; value: number }[];
  /** Cumulative faults the pool attributed to each core (its `fault` events, including ones the health policy forgave): faults[core][bucket]. */
  faults: number[][];
}

export interface SdcExample {
  taskId: number;
  inputIndex: number;
  models: FaultModelName[];
  cores: number[];
  /**
   * common-mode: a common-mode fault; identical flips: independent faults flipped the same bits on
   * two replicas; other: neither; no fault injected: none was (a non-deterministic task, or a wrong golden answer).
   */
  cause: 'common-mode' | 'identical flips' | 'other' | 'no fault injected';
}

export interface CampaignResult {
  version: 1;
  label: string;
  /** Stopped by the signal (Ctrl-C) before its planned end. */
  interrupted: boolean;
  /**
   * The pool had too few cores left to serve a task and nothing could bring one back (no
   * self-tests, no scheduled online event), and planned tasks were refused or left unrun for it
   * (see `outOfCores`): the campaign stops rather than have every remaining task refused.
   */
  exhausted: boolean;
  /**
   * What running out of cores for good cost (`exhausted` is true when either is above 0): tasks
   * refused with ERR_NOT_ENOUGH_CORES (counted as detected), and planned tasks never submitted.
   */
  outOfCores: { refused: number; unrun: number };
  startedAt: string;
  config: {
    filename: string;
    task: string;
    inputs: number;
    redundancy: string;
    binding: string;
    cores: number;
    spares: number;
    cpus: number[];
    /** 'none': replicas of a task may share a CPU (tests and demos on small machines), said in the notes. */
    faultDomain: string;
    taskTimeout: number;
    concurrency: number;
    seed: number;
    faults: Record<string, unknown>[];
    faultLines: string[];
    /** The golden answers: computed fault-free in a thread of their own, or supplied by the caller. */
    golden: 'computed' | 'supplied';
  };
  tasks: { planned: number; submitted: number; settled: number; skipped: number };
  outcomes: OutcomeCounts;
  /** Outcomes of the tasks with no injected fault: correct, and any other (refusals counted as detected, a wrong golden answer as sdc). */
  uninjected: OutcomeCounts;
  /** Settled tasks with at least one injected fault. */
  injectedTasks: number;
  /** Tasks in which at least one injected fault changed a replica's outcome. */
  activatedTasks: number;
  models: ModelSummary[];
  /** 1 − sdc/activated over activated tasks, with a Wilson interval. */
  coverage: Interval & { activated: number; sdc: number; unexplainedSdc: number };
  /** SDC tasks by cause (see SdcExample.cause). */
  sdcCauses: Record<SdcExample['cause'], number>;
  sampling: {
    margin: number | null;
    confidence: number;
    population: number | null;
    /** Injected tasks the margin requires (null without margin). */
    required: number | null;
    injected: number;
    /** The margin the injected tasks actually give at this confidence. */
    achievedMargin: number | null;
    met: boolean | null;
  };
  cores: CoreSummary[];
  coresDisabled: number;
  /** Tasks answered (a value or the task's own error; refusals excluded) per second, first submission to last answer. */
  throughput: { elapsedMs: number; tasksPerSecond: number };
  timeline: Timeline;
  stats: StatsSnapshot;
  /** Tasks whose replicas disagreed although no fault was injected into them: a non-deterministic task or a non-canonical digest. */
  unexplainedCorrected: number;
  /**
   * Inputs on which the computed fault-free golden run threw (the first error's message). Such tasks count as
   * correct when the pool throws the same error: usually a bug in the task or its inputs, so reports warn.
   */
  goldenErrors: { inputs: number; of: number; first: string | null };
  /** When the pool's health policy decided the task kind was non-deterministic and stopped charging cores for it. */
  nondeterminism: { taskName: string; cores: number[]; atMs: number }[];
  /** Offline/online events applied. */
  maintenance: { core: number; model: string; taskId: number; atMs: number | null; applied: boolean }[];
  /** First SDC tasks, for debugging. */
  sdcExamples: SdcExample[];
  /** A stepped task: its checkpoints and what faults cost (absent for a plain task). */
  stepped?: SteppedSummary;
}

/** What the answered runs of a stepped task report (runDetailed's `stepped`), summed. */
export interface SteppedSummary {
  /** Runs answered with a value. */
  tasks: number;
  checkpoints: number;
  /** Failed replicas whose work moved to another core (resuming from the last checkpoint). */
  migrations: number;
  /** Replicas that crashed, hung or were out-voted in those runs. */
  faults: number;
  lostSteps: number;
  lostMs: number;
  /** Work lost per fault: at most one checkpoint interval each. */
  lostStepsPerFault: number | null;
  lostMsPerFault: number | null;
}
