/**
 * The pool's side of stepped tasks: it starts a SteppedRun (stepped/driver.ts) per run and
 * serves it as its SteppedHost — each segment is an ordinary TaskRun through the scheduler,
 * voted like any task. The pool surface (close, drain, completed) sees one task per stepped run.
 */
import { invalidOption, isTriplexError, TriplexError } from '../errors.js';
import type { PoolCore as Core } from '../cores/types.js';
import { SteppedRun } from '../stepped/driver.js';
import { resolveCheckpoint } from '../stepped/interval.js';
import { isSegmentValue, SEGMENT_PREFIX } from '../stepped/segment.js';
import type { SegmentCallbacks, SegmentHandle, SegmentReplica, SegmentResult, SteppedHost } from '../stepped/host.js';
import type { SegmentValue } from '../stepped/types.js';
import { taskAddress, parseTaskAddress } from '../transport/address.js';
import type { DeterminismJournal } from './determinism-options.js';
import type { TypedEmitter } from './events.js';
import type { ResolvedOptions } from './options.js';
import { abortError, reportReplicas } from './outcomes.js';
import type { ResolvedRun } from './run-options.js';
import type { Scheduler } from './scheduler.js';
import type { Stats } from './stats.js';
import type { PoolSurface } from './surface.js';
import { TaskRun, type DetailedResult, type ReplicaRecord, type ReplicaReport } from './task.js';

/** A replica an injected crash or hang stopped (the worker stops it half-way through its segment). */
function stoppedByInjection(replica: ReplicaRecord | undefined): boolean {
  if (replica === undefined || (replica.status !== 'crash' && replica.status !== 'timeout')) return false;
  return replica.injections?.some((r) => (r.model === 'crash' || r.model === 'hang') && r.applied !== false) === true;
}

/** The segment's replica reports (listed in the task's order, as reportReplicas does), marking those an injected fault stopped. */
function withInjectedStops(reports: ReplicaReport[], task: TaskRun): SegmentReplica[] {
  return reports.map((r, i) => (stoppedByInjection(task.replicas[i]) ? { ...r, injectedStop: true as const } : r));
}

/** What the pool lends its stepped runs. */
export interface SteppedContext {
  options: ResolvedOptions;
  cores: readonly Core[];
  scheduler: Scheduler;
  events: TypedEmitter;
  surface: PoolSurface;
  stats: Stats;
  journal: DeterminismJournal;
  nextId(): number;
  /** Throws ERR_DESTROYED once the pool is destroyed (a segment must not be queued then). */
  checkOpen(): void;
}

/** `runStream`: the outputs as an async iterator, and the task's value. */
export interface SteppedStream<T = unknown> extends AsyncIterable<unknown> {
  readonly result: Promise<T>;
}

const NO_INPUT = new Uint8Array(0);

/** ERR_INVALID_OPTION for a plain task run with a stepped task's options, naming the option it was given. */
export function notSteppedError(run: ResolvedRun): Error {
  const option = run.onOutput !== undefined ? 'onOutput' : run.checkpoint !== undefined ? 'checkpoint' : 'runStream';
  return invalidOption(option, `a stepped task ("${run.name}" is a function export)`, run.name, 'range');
}

/** The worker found the task is not stepped: the pool did not know its exports yet, or it is another module's. */
function isNotStepped(error: unknown): boolean {
  return isTriplexError(error) && error.data?.notStepped === true;
}

export class SteppedRuns {
  /** Each running stepped task, by the placeholder the pool surface follows. */
  private readonly active = new Map<TaskRun, SteppedRun>();
  /** Replicas dispatched so far per stepped run id (the next segment's replicaBase). */
  private readonly replicas = new Map<number, number>();
  /** Task addresses found stepped on a plain run (another module's exports are not known up front). */
  readonly addresses = new Set<string>();

  constructor(private readonly ctx: SteppedContext) {}

  /** Starts a stepped run of `input`; `streamed`: its outputs are also kept for an async iterator. */
  start(input: unknown, run: ResolvedRun, detailed: boolean, streamed: boolean): { promise: Promise<unknown>; runner: SteppedRun | undefined } {
    let runner: SteppedRun | undefined;
    const promise = new Promise<unknown>((resolve, reject) => {
      runner = this.create(this.ctx.nextId(), run, detailed, streamed, resolve, reject);
      runner?.start(input);
    });
    return { promise, runner };
  }

  /** A plain run's first segment came back stepped (submitted before the exports were known): a stepped run takes it over. */
  takeOver(task: TaskRun, answer: unknown, run: ResolvedRun, resolve: (value: unknown) => void, reject: (error: Error) => void): void {
    this.addresses.add(task.address ?? task.name);
    this.replicas.set(task.id, task.replicas.length);
    const detailed = task.detailed;
    const value = (detailed ? (answer as DetailedResult).value : answer) as SegmentValue;
    const replicas = withInjectedStops(reportReplicas(task), task);
    const result: SegmentResult = { value, replicas, attempts: Math.max(0, task.placed - task.k), corrected: replicas.some((r) => r.ok === false) };
    const runner = this.create(task.id, run, detailed, false, resolve, reject);
    runner?.resume(result, performance.now() - task.dispatchedAt);
  }

  /** True when a settled plain value is a stepped task's first segment. */
  static isSegment(answer: unknown, detailed: boolean): boolean {
    return isSegmentValue(detailed ? (answer as DetailedResult | undefined)?.value : answer);
  }

  private create(
    id: number,
    run: ResolvedRun,
    detailed: boolean,
    streamed: boolean,
    resolve: (v: unknown) => void,
    reject: (e: Error) => void,
  ): SteppedRun | undefined {
    let rule;
    try {
      rule = resolveCheckpoint(run.checkpoint, this.ctx.options.checkpoint);
    } catch (error) {
      reject(error as Error);
      return undefined;
    }
    const placeholder = new TaskRun(
      id,
      run.name,
      NO_INPUT,
      this.ctx.options.k,
      false,
      () => {},
      () => {},
    );
    const done = (): void => {
      this.active.delete(placeholder);
      this.replicas.delete(id);
      placeholder.offAbort?.();
      this.ctx.surface.settled(placeholder);
    };
    const runner = new SteppedRun(this.host(run, id), {
      id,
      name: run.name,
      rule,
      onOutput: run.onOutput,
      streamed,
      detailed,
      resolve: (value) => (done(), resolve(value)),
      reject: (error) => (done(), reject(isNotStepped(error) ? notSteppedError(run) : error)),
    });
    this.active.set(placeholder, runner);
    this.ctx.surface.submitted(placeholder);
    const signal = run.signal;
    if (signal !== undefined) placeholder.offAbort = signal.onAbort(() => runner.abort(signal.reason));
    return runner;
  }

  private host(run: ResolvedRun, id: number): SteppedHost {
    const ctx = this.ctx;
    const events = ctx.events;
    return {
      k: ctx.options.k,
      submit: (order, avoid, callbacks) => this.submitSegment(run, id, order, avoid, callbacks),
      emit: (name: 'checkpoint' | 'migrate', event: unknown) => events.emit(name, event as never),
      has: (name) => events.has(name),
      report: (error) => (events.has('error') ? events.emit('error', error) : process.emitWarning(error)),
      history: () => ({ busyMs: ctx.cores.reduce((sum, core) => sum + core.busyMs, 0), faults: ctx.stats.faults }),
      abortError: (reason, when) => abortError({ id, name: run.name }, reason, when),
      now: () => performance.now(),
    } as SteppedHost;
  }

  /**
   * One segment: an ordinary voted task whose request names the segment entry of the task. Every
   * segment carries the run's id (events, the audit log and the fault injector see one task), and
   * its replicas are numbered on from the earlier segments' (a campaign's records stay per run).
   */
  private submitSegment(run: ResolvedRun, id: number, order: Uint8Array, avoid: readonly number[], callbacks: SegmentCallbacks): SegmentHandle {
    this.ctx.checkOpen();
    const settled = (answer: unknown): void => {
      const detailed = answer as DetailedResult<SegmentValue>;
      const replicas = withInjectedStops(detailed.replicas, task);
      callbacks.settled({ value: detailed.value, replicas, attempts: detailed.attempts, corrected: detailed.corrected }, undefined);
    };
    const task = new TaskRun(id, run.name, order, this.ctx.options.k, true, settled, (error) => callbacks.settled(undefined, error));
    task.replicaBase = this.replicas.get(id) ?? 0;
    const address = parseTaskAddress(run.address ?? run.name);
    task.address = taskAddress(address.moduleUrl, `${SEGMENT_PREFIX}${address.name}`);
    task.kind = run.kind ?? run.name;
    task.seed = this.ctx.journal.seed();
    task.segment = {
      dispatched: (core, index) => {
        this.replicas.set(id, (this.replicas.get(id) ?? 0) + 1);
        callbacks.dispatched(core, index);
      },
      // The replica itself, not the first on its core: a lost replica's re-run may land on the same core.
      lateFault: (replica) => {
        const ms = replica.reply?.ms ?? (replica.endedAt ?? performance.now()) - replica.startedAt;
        callbacks.lateFault(
          replica.core.id,
          replica.status,
          task.replicas.map((r) => r.core.id),
          ms,
          stoppedByInjection(replica),
        );
      },
    };
    const avoided = this.avoidable(avoid);
    if (avoided.length > 0) {
      task.used = avoided;
      task.avoided = true;
    }
    this.ctx.scheduler.submit(task);
    return {
      failed: () =>
        task.replicas.filter((r) => r.status === 'crash' || r.status === 'timeout').map((r) => ({ core: r.core.id, status: r.status as 'crash' | 'timeout' })),
      abort: (reason) => this.ctx.scheduler.abort(task, reason),
    };
  }

  /**
   * The failed cores a segment can avoid: the most recent first, as long as enough enabled cores
   * (and fault domains) remain to reach a majority alone — three: TMR's replicas, or DMR's pair and
   * its tie-break. A core avoided is no voter.
   */
  private avoidable(avoid: readonly number[]): number[] {
    const k = this.ctx.options.k;
    const needed = Math.max(k, 3);
    const chosen: number[] = [];
    for (let i = avoid.length - 1; i >= 0; i--) {
      const next = [...chosen, avoid[i]!];
      const left = this.ctx.cores.filter((core) => core.enabled && !next.includes(core.id));
      const domains = new Set(left.map((core) => core.domain ?? core.id));
      if (left.length < needed || domains.size < k) break;
      chosen.push(avoid[i]!);
    }
    return chosen;
  }

  /**
   * close({ force }): a stepped run between segments is aborted like a queued task; one with a
   * segment running stops at that segment's checkpoint (its outputs are released, no segment
   * follows). False for a task that is not a stepped run.
   */
  forceClose(task: TaskRun): boolean {
    const runner = this.active.get(task);
    if (runner === undefined) return false;
    runner.stop(new TriplexError('ERR_ABORTED', 'The pool was closed with close({ force: true })'));
    return true;
  }
}
