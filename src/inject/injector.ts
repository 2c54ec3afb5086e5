/**
 * FaultInjector: decides, per replica, which soft errors to inject. Decisions are a pure
 * function of (seed, model, task sequence number, replica index, core), so a campaign with the
 * same seed makes the same decisions whatever order the threads finish in. The decision
 * travels with the replica request; the worker applies it. Maintenance faults (offline/online)
 * act on the pool itself, through `beforeTask`, which the pool calls only when an injector is set.
 */
import { invalidOption, TriplexError } from '../errors.js';
import type { FlipRecord } from './flip.js';
import type { InjectOrder } from '../transport/protocol.js';
import { MaintenanceSchedule, type MaintenanceTarget } from './maintenance.js';
import {
  commonModeModel,
  decideModel,
  describeModel,
  intermittentModel,
  maintenanceModel,
  slowModel,
  stuckModel,
  transientModel,
  workerModel,
  type FaultModelName,
  type FaultModelSpec,
} from './models.js';

export { mix, type FaultModelName, type FaultModelSpec } from './models.js';
export type { MaintenanceTarget } from './maintenance.js';

export interface ReplicaContext {
  /** Sequence number of the task in its pool (submission order). */
  taskId: number;
  taskName: string;
  /** 0-based index of this replica within its task (k, then tie-breaks and re-executions). */
  replica: number;
  core: number;
}

/**
 * False when nothing was injected: a fault on a CPU (`stuck({ cpu })`) whose replica ran on another
 * CPU, or a replica that never ran (queued behind a crash, hang or abort that killed its batch).
 * Maintenance events always count (refused ones too).
 */
export function wasInjected(record: InjectionRecord): boolean {
  return record.replica < 0 || record.applied !== false;
}

/** One injected fault, as recorded in the injection log. */
export interface InjectionRecord {
  /** Task sequence number; -1 for a maintenance event scheduled in ms. */
  taskId: number;
  taskName: string;
  /** Replica index; -1 for maintenance events (they act on a core, not a replica). */
  replica: number;
  core: number;
  model: FaultModelName;
  /** Index of the model in the injector (models of the same kind are told apart by it). */
  modelIndex: number;
  target: 'result' | 'input' | 'worker' | 'timing' | 'core';
  /** Where bits were flipped (filled in when the replica answers). */
  flips?: FlipRecord[];
  /** Set when the replica answered (a value or its own error), after its task's vote too: its fault's effect is known. */
  answered?: true;
  /** Maintenance events: ms since the pool's first task when it was applied. */
  atMs?: number;
  /**
   * Maintenance events: false when the pool refused it (e.g. an unknown core). A replica's fault:
   * false when nothing was injected, as its replica ran on another CPU than `stuck({ cpu })` names
   * or never ran (queued behind a crash, hang or abort that killed its batch).
   */
  applied?: boolean;
  /** `stuck({ cpu })`: the fault applies only where the replica runs on this CPU (the worker checks). */
  cpu?: number;
}

export interface InjectorOptions {
  /** Seed of every decision. @default 1 */
  seed?: number;
}

function copy(record: InjectionRecord): InjectionRecord {
  return record.flips === undefined ? { ...record } : { ...record, flips: record.flips.map((f) => ({ ...f })) };
}

export class FaultInjector {
  readonly seed: number;
  private readonly specs: FaultModelSpec[] = [];
  private readonly records: InjectionRecord[] = [];
  private readonly byTask = new Map<number, InjectionRecord[]>();
  private readonly maintenance = new MaintenanceSchedule((record) => this.push([record]));

  constructor(options: InjectorOptions = {}) {
    if (typeof options !== 'object' || options === null) throw invalidOption('FaultInjector options', 'an object { seed? }', options, 'type');
    const seed = options.seed ?? 1;
    if (typeof seed !== 'number' || !Number.isInteger(seed)) throw invalidOption('seed', 'an integer', seed, 'type');
    this.seed = seed;
  }

  private add(spec: FaultModelSpec): this {
    this.specs.push(spec);
    if (spec.model === 'offline' || spec.model === 'online') this.maintenance.add(spec, this.specs.length - 1);
    return this;
  }

  /**
   * Permanent fault: every result from `core` is corrupted (`bits` bits flipped, default 1); or,
   * with `{ cpu }`, every result of a replica that ran on that CPU (a mercurial CPU, whichever core
   * runs there; the worker checks where it ran, so logged injections may not all take effect).
   */
  stuck(options: { core: number; bits?: number } | { cpu: number; bits?: number }): this {
    return this.add(stuckModel(options));
  }

  /** Transient upset: each replica (optionally only on `core`) has `rate` chance of `bits` flipped bits in its result or input copy. */
  transient(options: { rate: number; target?: 'result' | 'input'; core?: number; bits?: number }): this {
    return this.add(transientModel(options));
  }

  /**
   * Intermittent core: in every window of `period` tasks (task sequence numbers), one burst of
   * `burst` consecutive tasks at a seeded offset during which each replica on `core` has `rate`
   * (default 1) chance of `bits` flipped bits in its result.
   */
  intermittent(options: { core: number; period: number; burst: number; rate?: number; bits?: number }): this {
    return this.add(intermittentModel(options));
  }

  /** Performance fault: replicas on `core` take `factor` times as long (with chance `rate`, default 1). */
  slow(options: { core: number; factor: number; rate?: number }): this {
    return this.add(slowModel(options));
  }

  /** The worker dies mid-task with probability `rate` (on `core`, or any core). */
  crash(options: { rate: number; core?: number }): this {
    return this.add(workerModel('crash', options));
  }

  /** The replica never answers with probability `rate` (on `core`, or any core). */
  hang(options: { rate: number; core?: number }): this {
    return this.add(workerModel('hang', options));
  }

  /**
   * Common-mode fault: with chance `rate` per task, its first `replicas` (default 2) replicas
   * return the same wrong value — `value` if given, else an identical seeded flip of `bits` bits.
   * Redundancy cannot catch this; it exists to measure where DMR and TMR stop protecting.
   */
  commonMode(options: { rate: number; replicas?: number; value?: unknown; bits?: number }): this {
    return this.add(commonModeModel(options));
  }

  /** Maintenance: takes `core` offline when task number `at` is submitted (`unit: 'ms'`: `at` ms after the pool's first task). */
  offline(options: { core: number; at: number; unit?: 'task' | 'ms' }): this {
    return this.add(maintenanceModel('offline', options));
  }

  /** Maintenance over: brings `core` back online at task `at` (or `at` ms, `unit: 'ms'`). */
  online(options: { core: number; at: number; unit?: 'task' | 'ms' }): this {
    return this.add(maintenanceModel('online', options));
  }

  /** The configured models, in order (copies). */
  get models(): FaultModelSpec[] {
    return this.specs.map((spec) => ({ ...spec }));
  }

  /** One human-readable line per model. */
  describe(): string[] {
    return this.specs.map(describeModel);
  }

  /** Highest core id any model names, so the pool can reject a model for a core it lacks. */
  get highestCore(): number {
    let max = -1;
    for (const spec of this.specs) if (spec.core !== undefined && spec.core > max) max = spec.core;
    return max;
  }

  /** The order for one replica, or undefined when nothing is injected. Records what it injects. */
  decide(ctx: ReplicaContext): { order: InjectOrder; records: InjectionRecord[] } | undefined {
    let order: InjectOrder | undefined;
    let records: InjectionRecord[] | undefined;
    for (let m = 0; m < this.specs.length; m++) {
      const spec = this.specs[m]!;
      const hit = decideModel(spec, this.seed, m, ctx.taskId, ctx.replica, ctx.core);
      if (hit === undefined) continue;
      order ??= {};
      records ??= [];
      // When two models flip the same replica's result, the later one's flip wins; both are logged.
      if (hit.result !== undefined) order.result = hit.result;
      if (hit.input !== undefined) order.input = hit.input;
      if (hit.replace !== undefined) order.replace = hit.replace;
      if (hit.crash) order.crash = true;
      if (hit.hang) order.hang = true;
      if (hit.slow !== undefined) order.slow = Math.max(order.slow ?? 1, hit.slow);
      const record: InjectionRecord = {
        taskId: ctx.taskId,
        taskName: ctx.taskName,
        replica: ctx.replica,
        core: ctx.core,
        model: spec.model,
        modelIndex: m,
        target: hit.target,
      };
      if (hit.result?.cpu !== undefined) record.cpu = hit.result.cpu;
      records.push(record);
    }
    if (order === undefined || records === undefined) return undefined;
    this.push(records);
    return { order, records };
  }

  private push(records: InjectionRecord[]): void {
    for (const record of records) {
      this.records.push(record);
      let list = this.byTask.get(record.taskId);
      if (list === undefined) this.byTask.set(record.taskId, (list = []));
      list.push(record);
    }
  }

  /**
   * Called by the pool when task `taskId` is submitted, only when an injector is set: applies
   * offline/online events due at this task, and starts the ms-scheduled ones on the first task.
   */
  beforeTask(taskId: number, pool: MaintenanceTarget): void {
    this.maintenance.beforeTask(taskId, pool);
  }

  /** Every injection so far, in decision order (copies). */
  get log(): InjectionRecord[] {
    return this.records.map(copy);
  }

  /** The injections into one task (copies; maintenance events scheduled in ms are under taskId -1). */
  recordsOf(taskId: number): InjectionRecord[] {
    return (this.byTask.get(taskId) ?? []).map(copy);
  }

  /** Forgets the log (a campaign reuses one injector across runs). */
  clearLog(): void {
    this.records.length = 0;
    this.byTask.clear();
  }

  /** Checks the models against a pool: a model naming a core the pool lacks is a configuration error. */
  validateFor(cores: number): void {
    if (this.highestCore >= cores) {
      throw new TriplexError('ERR_INVALID_OPTION', `Option "faults" names core ${this.highestCore}, but the pool has cores 0..${cores - 1}`, {
        option: 'faults',
        core: this.highestCore,
        received: this.highestCore,
      });
    }
  }
}
