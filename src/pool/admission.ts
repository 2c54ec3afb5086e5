/**
 * Admission: how a run() call becomes a task the scheduler owns. The run's options are resolved,
 * the pool's state and the task's name checked, the input serialized once for every replica, and a
 * stepped run handed to SteppedRuns. The caller's transferred buffers are detached only once the
 * task is accepted (a full queue leaves them intact).
 */
import { TriplexError } from '../errors.js';
import type { MaintenanceTarget } from '../inject/maintenance.js';
import type { DeterminismJournal } from './determinism-options.js';
import type { ResolvedOptions } from './options.js';
import { abortError } from './outcomes.js';
import { captureInput, detachTransferred, resolveRunOptions, unwrapMovable, type ResolvedRun, type RunOptions } from './run-options.js';
import type { Scheduler } from './scheduler.js';
import { notSteppedError, SteppedRuns } from './stepped-runs.js';
import type { PoolSurface } from './surface.js';
import { TaskRun } from './task.js';

/** What the pool lends its admission. */
export interface AdmissionContext {
  options: ResolvedOptions;
  scheduler: Scheduler;
  surface: PoolSurface;
  stepped: SteppedRuns;
  journal: DeterminismJournal;
  /** What the fault injector's maintenance faults act on (the pool). */
  pool: MaintenanceTarget;
  /** Why the pool takes no run now (destroyed, closing, or its workers did not start), if it does not. */
  refusal(): Error | undefined;
  /** The task module's exports, known once the cores started. */
  exports(): ReadonlySet<string> | undefined;
  /** Those exports that are stepped tasks. */
  readonly steppedNames: ReadonlySet<string>;
}

/** Where a runStream's iterator comes from, once its stepped run started. */
export type StreamSlot = { iterate?: () => AsyncIterator<unknown> };

export class Admission {
  private nextId = 0;

  constructor(private readonly ctx: AdmissionContext) {}

  /** A fresh task id (stepped runs take theirs here too). */
  takeId(): number {
    return this.nextId++;
  }

  submit(given: unknown, options: RunOptions, detailed: boolean, stream?: StreamSlot): Promise<unknown> {
    let run: ResolvedRun;
    try {
      run = resolveRunOptions(options, this.ctx.options.compat.name, this.ctx.options.moduleUrl);
    } catch (error) {
      return Promise.reject(error);
    }
    const refused = this.ctx.refusal() ?? this.notFound(run);
    if (refused !== undefined) return Promise.reject(refused);
    const stepped = this.steppedMode(run, stream !== undefined);
    if (stepped instanceof Error) return Promise.reject(stepped);
    if (stepped) return this.submitStepped(given, run, detailed, stream);
    const { name, signal } = run;
    const id = this.takeId();
    // Fault injection: offline/online maintenance faults scheduled by task count or time; one check when no injector is set.
    if (this.ctx.options.faults !== undefined) this.ctx.options.faults.beforeTask?.(id, this.ctx.pool);
    if (signal?.aborted) return Promise.reject(abortError({ id, name }, signal.reason, 'was aborted before it was queued'));
    let bytes: Uint8Array;
    let transfer: readonly ArrayBuffer[];
    try {
      // A custom transferable's getters are user code: what they throw rejects the run.
      const unwrapped = unwrapMovable(given);
      transfer = unwrapped.transfer;
      // Serialized once for all replicas: cloneability is checked here, and every core gets identical bytes.
      bytes = captureInput(unwrapped.input, name);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const task = this.createTask(id, run, bytes, detailed, resolve, reject);
      if (signal !== undefined) task.offAbort = signal.onAbort(() => this.ctx.scheduler.abort(task, signal.reason));
      this.ctx.scheduler.submit(task);
      if (!task.settled) this.takeOwnership(task, transfer.length === 0 ? run.transfer : [...run.transfer, ...transfer]);
    });
  }

  /** ERR_TASK_NOT_FOUND when the pool has no module, or its module does not export the task. */
  private notFound(run: ResolvedRun): TriplexError | undefined {
    if (run.address !== undefined) return undefined;
    const { name } = run;
    const moduleUrl = this.ctx.options.moduleUrl;
    if (moduleUrl === '')
      return new TriplexError('ERR_TASK_NOT_FOUND', `Task "${name}": the pool has no task module (option filename); pass run(input, { filename })`, { name });
    const exports = this.ctx.exports();
    if (exports === undefined || exports.has(name)) return undefined;
    const listed = [...exports].filter((e) => !e.startsWith('__triplex')).join(', ') || 'none';
    return new TriplexError('ERR_TASK_NOT_FOUND', `Task "${name}" is not exported by ${moduleUrl} (exports: ${listed})`, { name });
  }

  /**
   * Whether a run is stepped: the pool's module's stepped exports are known once its cores
   * started; before that, and for another module, a run is stepped when it asks for outputs or
   * checkpoints, or when its address ran stepped before (a plain run of a stepped task is taken
   * over after its first step: see createTask).
   */
  private steppedMode(run: ResolvedRun, streamed: boolean): boolean | Error {
    const asks = run.onOutput !== undefined || run.checkpoint !== undefined || streamed;
    if (run.address === undefined && this.ctx.exports() !== undefined) {
      if (this.ctx.steppedNames.has(run.name)) return true;
      if (!asks) return false;
      return notSteppedError(run);
    }
    return asks || this.ctx.stepped.addresses.has(run.address ?? run.name);
  }

  private submitStepped(given: unknown, run: ResolvedRun, detailed: boolean, stream: StreamSlot | undefined): Promise<unknown> {
    if (run.signal?.aborted) return Promise.reject(abortError({ id: this.nextId, name: run.name }, run.signal.reason, 'was aborted before it was queued'));
    let input: unknown;
    try {
      input = unwrapMovable(given).input;
    } catch (error) {
      return Promise.reject(error);
    }
    const { promise, runner } = this.ctx.stepped.start(input, run, detailed, stream !== undefined);
    if (stream !== undefined && runner !== undefined) stream.iterate = () => runner.commit.iterate();
    return promise;
  }

  /** The caller's transferred buffers are detached only once the task is accepted (a full queue leaves them intact). */
  private takeOwnership(task: TaskRun, transfer: readonly ArrayBuffer[]): void {
    try {
      detachTransferred(transfer, task.name);
    } catch (error) {
      this.ctx.scheduler.fail(task, error as Error);
    }
  }

  /** A task the pool surface (close, drain, timing) follows until it settles. */
  private createTask(
    id: number,
    run: ResolvedRun,
    bytes: Uint8Array,
    detailed: boolean,
    resolve: (value: unknown) => void,
    reject: (error: Error) => void,
  ): TaskRun {
    // Before the exports are known (or for another module), the task may be stepped: its first step comes back as a segment.
    const mayBeStepped = this.ctx.exports() === undefined || run.address !== undefined;
    const answer = !mayBeStepped
      ? resolve
      : (value: unknown): void => (SteppedRuns.isSegment(value, detailed) ? this.ctx.stepped.takeOver(task, value, run, resolve, reject) : resolve(value));
    const task: TaskRun = new TaskRun(id, run.name, bytes, this.ctx.options.k, detailed, answer, reject);
    task.address = run.address;
    task.kind = run.kind ?? run.name;
    task.seed = this.ctx.journal.seed();
    this.ctx.surface.submitted(task);
    return task;
  }
}
