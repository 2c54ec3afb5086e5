/**
 * The pool surface piscina users rely on: completed, duration, utilization, run/wait histograms,
 * backpressure ('needsDrain' / 'drain'), and close() that lets running and queued tasks finish.
 * It watches tasks from the outside (as they are submitted and settle); it decides nothing about them.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { ResolvedCompat } from './compat-options.js';
import type { TaskRun } from './task.js';
import { SlotSet } from '../util/slot-set.js';
import { systemClock, type Clock } from '../util/clock.js';

/** piscina's histogram summary: milliseconds. */
export interface TimingSummary {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  p0_001: number;
  p0_01: number;
  p0_1: number;
  p1: number;
  p2_5: number;
  p10: number;
  p25: number;
  p50: number;
  p75: number;
  p90: number;
  p97_5: number;
  p99: number;
  p99_9: number;
  p99_99: number;
  p99_999: number;
}

/** `pool.histogram`: per task, runTime = first replica dispatched → voted answer; waitTime = submitted → first replica dispatched. */
export interface PoolHistogram {
  readonly runTime: TimingSummary;
  readonly waitTime: TimingSummary;
  resetRunTime(): void;
  resetWaitTime(): void;
}

const PERCENTILES: [keyof TimingSummary, number][] = [
  ['p0_001', 0.001],
  ['p0_01', 0.01],
  ['p0_1', 0.1],
  ['p1', 1],
  ['p2_5', 2.5],
  ['p10', 10],
  ['p25', 25],
  ['p50', 50],
  ['p75', 75],
  ['p90', 90],
  ['p97_5', 97.5],
  ['p99', 99],
  ['p99_9', 99.9],
  ['p99_99', 99.99],
  ['p99_999', 99.999],
];

/** Recorded in microseconds (the histogram takes integers), reported in ms as piscina does. */
export function summarize(histogram: RecordableHistogram): TimingSummary {
  const ms = (us: number): number => (histogram.count === 0 || !Number.isFinite(us) ? 0 : us / 1000);
  const summary = { average: ms(histogram.mean), mean: ms(histogram.mean), stddev: ms(histogram.stddev), min: ms(histogram.min), max: ms(histogram.max) };
  const percentiles = Object.fromEntries(PERCENTILES.map(([key, p]) => [key, ms(histogram.percentile(p))]));
  return { ...summary, ...percentiles } as TimingSummary;
}

function record(histogram: RecordableHistogram, ms: number): void {
  histogram.record(Math.max(1, Math.round(ms * 1000)));
}

export interface SurfaceHost {
  /** Tasks the enabled cores can run at once (piscina's maxThreads × concurrentTasksPerWorker). */
  slots(): number;
  emit(name: 'needsDrain' | 'drain'): void;
}

export class PoolSurface {
  readonly startedAt = performance.now();
  completed = 0;
  needsDrain = false;
  private readonly runTime = createHistogram();
  private readonly waitTime = createHistogram();
  /** Tasks submitted and not settled (not a Set: see util/slot-set.ts). */
  private readonly pending = new SlotSet<TaskRun>('pendingSlot');
  /** Per core (workerHistogram): the run time of each replica that answered before its task settled. */
  readonly perCore = new Map<number, RecordableHistogram>();
  private idle: (() => void) | undefined;
  private checkQueued = false;

  constructor(
    private readonly options: ResolvedCompat,
    private readonly host: SurfaceHost,
    /** Monotonic time of settlement (the scheduler's clock: tasks settle inside its units of work). */
    private readonly clock: Clock = systemClock,
  ) {}

  get duration(): number {
    return performance.now() - this.startedAt;
  }

  /** Tasks submitted and not settled. */
  get tasks(): Iterable<TaskRun> {
    return this.pending;
  }

  submitted(task: TaskRun): void {
    this.pending.add(task);
    this.scheduleCheck();
  }

  settled(task: TaskRun): void {
    if (!this.pending.delete(task)) return;
    // piscina counts and times the tasks it took: a run refused at once (queue full) is not one.
    if (!task.refused) {
      this.completed++;
      if (this.options.recordTiming) this.recordTimes(task);
      if (this.options.workerHistogram) this.recordReplicas(task);
    }
    if (this.pending.size === 0) this.idle?.();
    this.scheduleCheck();
  }

  /**
   * piscina's run time is how long the task ran, its wait time how long it queued. A replica placed
   * in a core's ring still queues there, so the run time is the longest any replica that answered
   * ran (the vote needed them); with no answer (crashes), the time since the first was placed.
   */
  private recordTimes(task: TaskRun): void {
    const now = this.clock.now();
    if (!task.started) {
      record(this.waitTime, now - task.submittedAt);
      return;
    }
    let ran = 0;
    for (const replica of task.finished) if (replica.reply !== undefined) ran = Math.max(ran, replica.reply.ms);
    if (ran === 0) ran = now - task.dispatchedAt;
    record(this.waitTime, Math.max(0, now - task.submittedAt - ran));
    record(this.runTime, ran);
  }

  private recordReplicas(task: TaskRun): void {
    for (const replica of task.finished) {
      if (replica.reply === undefined) continue;
      let histogram = this.perCore.get(replica.core.id);
      if (histogram === undefined) this.perCore.set(replica.core.id, (histogram = createHistogram()));
      record(histogram, replica.reply.ms);
    }
  }

  /** Resolves once no task is pending. */
  whenIdle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }

  /** Placement runs in a microtask after submit: look at the queue after it. */
  private scheduleCheck(): void {
    if (this.checkQueued) return;
    this.checkQueued = true;
    queueMicrotask(this.check);
  }

  /** The check scheduleCheck queued, made once: no closure per task. */
  private readonly check = (): void => {
    this.checkQueued = false;
    const needs = this.pending.size >= this.host.slots();
    if (needs === this.needsDrain) return;
    this.needsDrain = needs;
    this.host.emit(needs ? 'needsDrain' : 'drain');
  };

  get histogram(): PoolHistogram {
    const surface = this;
    return {
      get runTime() {
        return summarize(surface.runTime);
      },
      get waitTime() {
        return summarize(surface.waitTime);
      },
      resetRunTime: () => this.runTime.reset(),
      resetWaitTime: () => this.waitTime.reset(),
    };
  }

  /** Share of the cores' time spent running replicas since the pool started (piscina: run time / (duration × threads)). */
  utilization(busyMs: number, cores: number): number {
    const capacity = this.duration * cores;
    return capacity > 0 ? Math.min(1, busyMs / capacity) : 0;
  }
}
