/**
 * FaultInjector: decides, per replica, which soft errors to inject. Decisions are a pure
 * function of (seed, model, task sequence number, replica index, core), so a campaign with the
 * same seed makes the same decisions whatever order the threads finish in. The decision
 * travels with the replica request; the worker applies it.
 */
import { invalidOption, TriplexError } from '../errors.js';
import type { FlipRecord } from './flip.js';
import type { InjectOrder } from '../worker/protocol.js';

export type FaultModelName = 'stuck' | 'transient' | 'crash' | 'hang';

export interface ReplicaContext {
  /** Sequence number of the task in its pool (submission order). */
  taskId: number;
  taskName: string;
  /** 0-based index of this replica within its task (k, then tie-breaks and re-executions). */
  replica: number;
  core: number;
}

/** One injected fault, as recorded in the injection log. */
export interface InjectionRecord {
  taskId: number;
  taskName: string;
  replica: number;
  core: number;
  model: FaultModelName;
  target: 'result' | 'input' | 'worker';
  /** Where bits were flipped (filled in when the replica answers). */
  flips?: FlipRecord[];
}

interface ModelBase {
  model: FaultModelName;
  /** Restrict to this core (undefined: any core). */
  core: number | undefined;
  rate: number;
}
type Model =
  | (ModelBase & { model: 'stuck'; bits: number })
  | (ModelBase & { model: 'transient'; target: 'result' | 'input'; bits: number })
  | (ModelBase & { model: 'crash' })
  | (ModelBase & { model: 'hang' });

export interface InjectorOptions {
  /** Seed of every decision. @default 1 */
  seed?: number;
}

/** Mixes integers into a uniform number in [0, 1) (a stateless hash, so decisions do not depend on order). */
export function mix(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part | 0), 0x01000193);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
    h ^= h >>> 15;
  }
  return (h >>> 0) / 0x1_0000_0000;
}

function checkRate(method: string, rate: unknown): number {
  if (typeof rate !== 'number' || Number.isNaN(rate)) throw invalidOption(`${method}.rate`, 'a number in [0, 1]', rate, 'type');
  if (rate < 0 || rate > 1) throw invalidOption(`${method}.rate`, 'a number in [0, 1]', rate, 'range');
  return rate;
}

function checkCore(method: string, core: unknown, required: boolean): number | undefined {
  if (core === undefined && !required) return undefined;
  if (typeof core !== 'number' || !Number.isInteger(core) || core < 0) throw invalidOption(`${method}.core`, 'a core id (integer >= 0)', core, core === undefined || typeof core !== 'number' ? 'type' : 'range');
  return core;
}

function checkBits(method: string, bits: unknown): number {
  if (bits === undefined) return 1;
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 1 || bits > 64) throw invalidOption(`${method}.bits`, 'an integer from 1 to 64', bits, 'range');
  return bits;
}

export class FaultInjector {
  readonly seed: number;
  private readonly models: Model[] = [];
  private readonly records: InjectionRecord[] = [];

  constructor(options: InjectorOptions = {}) {
    const seed = options.seed ?? 1;
    if (typeof seed !== 'number' || !Number.isInteger(seed)) throw invalidOption('seed', 'an integer', seed, 'type');
    this.seed = seed;
  }

  /** Permanent fault: every result from `core` is corrupted (`bits` bits flipped, default 1). */
  stuck(options: { core: number; bits?: number }): this {
    this.models.push({ model: 'stuck', core: checkCore('stuck', options?.core, true), rate: 1, bits: checkBits('stuck', options.bits) });
    return this;
  }

  /** Transient upset: each replica (optionally only on `core`) has `rate` chance of `bits` flipped bits in its result or input copy. */
  transient(options: { rate: number; target?: 'result' | 'input'; core?: number; bits?: number }): this {
    const target = options?.target ?? 'result';
    if (target !== 'result' && target !== 'input') throw invalidOption('transient.target', "'result' or 'input'", target, 'range');
    this.models.push({ model: 'transient', core: checkCore('transient', options.core, false), rate: checkRate('transient', options.rate), target, bits: checkBits('transient', options.bits) });
    return this;
  }

  /** The worker dies mid-task with probability `rate` (on `core`, or any core). */
  crash(options: { rate: number; core?: number }): this {
    this.models.push({ model: 'crash', core: checkCore('crash', options?.core, false), rate: checkRate('crash', options.rate) });
    return this;
  }

  /** The replica never answers with probability `rate` (on `core`, or any core). */
  hang(options: { rate: number; core?: number }): this {
    this.models.push({ model: 'hang', core: checkCore('hang', options?.core, false), rate: checkRate('hang', options.rate) });
    return this;
  }

  /** Highest core id any model names, so the pool can reject a model for a core it lacks. */
  get highestCore(): number {
    let max = -1;
    for (const model of this.models) if (model.core !== undefined && model.core > max) max = model.core;
    return max;
  }

  /** The order for one replica, or undefined when nothing is injected. Records what it injects. */
  decide(ctx: ReplicaContext): { order: InjectOrder; records: InjectionRecord[] } | undefined {
    let order: InjectOrder | undefined;
    let records: InjectionRecord[] | undefined;
    for (let m = 0; m < this.models.length; m++) {
      const model = this.models[m]!;
      if (model.core !== undefined && model.core !== ctx.core) continue;
      if (model.rate < 1 && mix(this.seed, m, ctx.taskId, ctx.replica, ctx.core) >= model.rate) continue;
      const seed = Math.floor(mix(this.seed, m, ctx.taskId, ctx.replica, ctx.core, 0x5eed) * 0x7fffffff);
      order ??= {};
      records ??= [];
      const base = { taskId: ctx.taskId, taskName: ctx.taskName, replica: ctx.replica, core: ctx.core, model: model.model };
      switch (model.model) {
        case 'stuck':
          order.result = { seed, bits: model.bits };
          records.push({ ...base, target: 'result' });
          break;
        case 'transient':
          order[model.target] = { seed, bits: model.bits };
          records.push({ ...base, target: model.target });
          break;
        case 'crash':
          order.crash = true;
          records.push({ ...base, target: 'worker' });
          break;
        case 'hang':
          order.hang = true;
          records.push({ ...base, target: 'worker' });
          break;
      }
    }
    if (order === undefined || records === undefined) return undefined;
    this.records.push(...records);
    return { order, records };
  }

  /** Every injection so far, in decision order (copies). */
  get log(): InjectionRecord[] {
    return this.records.map((record) => ({ ...record, ...(record.flips ? { flips: record.flips.map((f) => ({ ...f })) } : {}) }));
  }

  /** Forgets the log (a campaign reuses one injector across runs). */
  clearLog(): void {
    this.records.length = 0;
  }

  /** Checks the models against a pool: a model naming a core the pool lacks is a configuration error. */
  validateFor(cores: number): void {
    if (this.highestCore >= cores) {
      throw new TriplexError('ERR_INVALID_OPTION', `Option "faults" names core ${this.highestCore}, but the pool has cores 0..${cores - 1}`, { option: 'faults', core: this.highestCore });
    }
  }
}
