/**
 * Fault models: their option checks and the per-replica decision each one makes. Every
 * decision is a stateless hash of (seed, model index, task sequence number, replica, core), so
 * the same seed gives the same faults whatever order threads finish in.
 */
import type { InjectOrder } from '../transport/protocol.js';
import { invalidOption } from '../errors.js';
import { objectOption } from '../options/validate.js';

export type FaultModelName = 'stuck' | 'transient' | 'intermittent' | 'slow' | 'crash' | 'hang' | 'common-mode' | 'offline' | 'online';

/** Plain description of one configured model (for reports and JSON). */
export interface FaultModelSpec {
  model: FaultModelName;
  /** Core the model is restricted to (undefined: any core). */
  core?: number;
  /** stuck({ cpu }): the CPU whose every replica is wrong, whatever core runs there. */
  cpu?: number;
  /** Chance per replica (common-mode: per task). */
  rate?: number;
  bits?: number;
  target?: 'result' | 'input';
  /** intermittent: window length and faulty burst length, in tasks. */
  period?: number;
  burst?: number;
  /** slow: how many times longer the replica takes. */
  factor?: number;
  /** common-mode: how many replicas of the task get the same wrong value. */
  replicas?: number;
  /** common-mode: the fixed wrong value (otherwise an identical seeded bit flip). */
  value?: unknown;
  /** offline/online: when, in tasks submitted or ms since the pool's first task. */
  at?: number;
  unit?: 'task' | 'ms';
}

/** Mixes integers into a uniform number in [0, 1) (a stateless hash, so decisions do not depend on order). */
export function mix(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = round(h, part | 0);
    // A part beyond 32 bits (a large seed) mixes its high word too: 1 and 2³² + 1 are different seeds.
    if (part !== (part | 0)) h = round(h, Math.floor(part / 0x1_0000_0000) | 0);
  }
  return (h >>> 0) / 0x1_0000_0000;
}

function round(h: number, word: number): number {
  h = Math.imul(h ^ word, 0x01000193);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return h ^ (h >>> 15);
}

function options(method: string, value: unknown): Record<string, unknown> {
  return objectOption(method, value, 'an options object');
}

function rate(method: string, value: unknown, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalidOption(`${method}.rate`, 'a number in [0, 1]', value, 'type');
  if (value < 0 || value > 1) throw invalidOption(`${method}.rate`, 'a number in [0, 1]', value, 'range');
  return value;
}

function core(method: string, value: unknown, required: boolean): number | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'number') throw invalidOption(`${method}.core`, 'a core id (integer >= 0)', value, 'type');
  if (!Number.isInteger(value) || value < 0) throw invalidOption(`${method}.core`, 'a core id (integer >= 0)', value, 'range');
  return value;
}

function integer(name: string, value: unknown, fallback: number | undefined, min: number, max: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number') throw invalidOption(name, `an integer from ${min} to ${max}`, value, 'type');
  if (!Number.isInteger(value) || value < min || value > max) throw invalidOption(name, `an integer from ${min} to ${max}`, value, 'range');
  return value;
}

function bits(method: string, value: unknown): number {
  return integer(`${method}.bits`, value, 1, 1, 64);
}

export function stuckModel(o: unknown): FaultModelSpec {
  const v = options('stuck', o);
  if (v.cpu !== undefined || v.core === undefined) {
    // A mercurial CPU: every replica that runs on it is wrong, whichever core (thread) runs there.
    if (v.core !== undefined) throw invalidOption('stuck', 'either { core } or { cpu }, not both', o, 'range');
    const cpu = v.cpu;
    if (typeof cpu !== 'number') throw invalidOption('stuck.cpu', 'a CPU id (integer >= 0)', cpu, 'type');
    if (!Number.isInteger(cpu) || cpu < 0) throw invalidOption('stuck.cpu', 'a CPU id (integer >= 0)', cpu, 'range');
    return { model: 'stuck', cpu, rate: 1, bits: bits('stuck', v.bits) };
  }
  return { model: 'stuck', core: core('stuck', v.core, true)!, rate: 1, bits: bits('stuck', v.bits) };
}

export function transientModel(o: unknown): FaultModelSpec {
  const v = options('transient', o);
  const target = v.target ?? 'result';
  if (target !== 'result' && target !== 'input')
    throw invalidOption('transient.target', "'result' or 'input'", target, typeof target === 'string' ? 'range' : 'type');
  const spec: FaultModelSpec = { model: 'transient', rate: rate('transient', v.rate), target, bits: bits('transient', v.bits) };
  const c = core('transient', v.core, false);
  if (c !== undefined) spec.core = c;
  return spec;
}

export function intermittentModel(o: unknown): FaultModelSpec {
  const v = options('intermittent', o);
  const period = integer('intermittent.period', v.period, undefined, 1, 2 ** 31 - 1);
  const burst = integer('intermittent.burst', v.burst, undefined, 1, period);
  return {
    model: 'intermittent',
    core: core('intermittent', v.core, true)!,
    period,
    burst,
    rate: rate('intermittent', v.rate, 1),
    bits: bits('intermittent', v.bits),
  };
}

export function slowModel(o: unknown): FaultModelSpec {
  const v = options('slow', o);
  const factor = v.factor;
  if (typeof factor !== 'number' || Number.isNaN(factor)) throw invalidOption('slow.factor', 'a finite number > 1', factor, 'type');
  if (!Number.isFinite(factor) || factor <= 1) throw invalidOption('slow.factor', 'a finite number > 1', factor, 'range');
  return { model: 'slow', core: core('slow', v.core, true)!, factor, rate: rate('slow', v.rate, 1) };
}

export function workerModel(name: 'crash' | 'hang', o: unknown): FaultModelSpec {
  const v = options(name, o);
  const spec: FaultModelSpec = { model: name, rate: rate(name, v.rate) };
  const c = core(name, v.core, false);
  if (c !== undefined) spec.core = c;
  return spec;
}

export function commonModeModel(o: unknown): FaultModelSpec {
  const v = options('commonMode', o);
  const spec: FaultModelSpec = {
    model: 'common-mode',
    rate: rate('commonMode', v.rate),
    replicas: integer('commonMode.replicas', v.replicas, 2, 2, 3),
    bits: bits('commonMode', v.bits),
  };
  if ('value' in v) spec.value = v.value;
  return spec;
}

export function maintenanceModel(name: 'offline' | 'online', o: unknown): FaultModelSpec {
  const v = options(name, o);
  const unit = v.unit ?? 'task';
  if (unit !== 'task' && unit !== 'ms') throw invalidOption(`${name}.unit`, "'task' or 'ms'", unit, typeof unit === 'string' ? 'range' : 'type');
  const at = v.at;
  if (typeof at !== 'number' || Number.isNaN(at))
    throw invalidOption(`${name}.at`, unit === 'task' ? 'a task count (integer >= 0)' : 'a time in ms (>= 0)', at, 'type');
  if (at < 0 || !Number.isFinite(at) || (unit === 'task' && !Number.isInteger(at))) {
    throw invalidOption(`${name}.at`, unit === 'task' ? 'a task count (integer >= 0)' : 'a time in ms (>= 0)', at, 'range');
  }
  return { model: name, core: core(name, v.core, true)!, at, unit };
}

/** What one model does to one replica, or undefined. `seed` is the injector's seed, `m` the model's index. */
export type ModelHit = InjectOrder & { target: 'result' | 'input' | 'worker' | 'timing' };

export function decideModel(spec: FaultModelSpec, seed: number, m: number, taskId: number, replica: number, coreId: number): ModelHit | undefined {
  if (spec.core !== undefined && spec.core !== coreId) return undefined;
  const r = spec.rate ?? 1;
  // Not the core that ran the replica (which core that is depends on timing under dynamic binding):
  // a model aimed at a core fires only there, one aimed at none decides by task and replica alone.
  const where = spec.core ?? -1;
  const flipSeed = (): number => Math.floor(mix(seed, m, taskId, replica, where, 0x5eed) * 0x7fffffff);
  const fires = (): boolean => r >= 1 || mix(seed, m, taskId, replica, where) < r;
  switch (spec.model) {
    case 'stuck':
      if (spec.cpu !== undefined) return { result: { seed: flipSeed(), bits: spec.bits ?? 1, cpu: spec.cpu }, target: 'result' };
      return { result: { seed: flipSeed(), bits: spec.bits ?? 1 }, target: 'result' };
    case 'transient':
      if (!fires()) return undefined;
      return spec.target === 'input'
        ? { input: { seed: flipSeed(), bits: spec.bits ?? 1 }, target: 'input' }
        : { result: { seed: flipSeed(), bits: spec.bits ?? 1 }, target: 'result' };
    case 'intermittent': {
      // One burst per window of `period` tasks, at a seeded offset: faulty phases come and go
      // irregularly, as a marginal core's do with temperature and voltage.
      const period = spec.period!;
      const burst = spec.burst!;
      const window = Math.floor(taskId / period);
      const start = Math.floor(mix(seed, m, window, 0xb0057) * (period - burst + 1));
      const position = taskId - window * period;
      if (position < start || position >= start + burst || !fires()) return undefined;
      return { result: { seed: flipSeed(), bits: spec.bits ?? 1 }, target: 'result' };
    }
    case 'slow':
      return fires() ? { slow: spec.factor!, target: 'timing' } : undefined;
    case 'crash':
      return fires() ? { crash: true, target: 'worker' } : undefined;
    case 'hang':
      return fires() ? { hang: true, target: 'worker' } : undefined;
    case 'common-mode': {
      // Decided per task, not per replica: the first `replicas` replicas get the same wrong value.
      if (replica >= spec.replicas! || (r < 1 && mix(seed, m, taskId, 0xc0) >= r)) return undefined;
      if ('value' in spec) return { replace: { value: spec.value }, target: 'result' };
      // Same flip seed on every affected replica: identical correct values become identical wrong ones.
      return { result: { seed: Math.floor(mix(seed, m, taskId, 0xc1) * 0x7fffffff), bits: spec.bits ?? 1 }, target: 'result' };
    }
    default:
      return undefined; // offline/online act on the pool, not on replicas
  }
}

/** One line per model, for tables and logs. */
export function describeModel(spec: FaultModelSpec): string {
  const where = spec.core === undefined ? 'any core' : `core ${spec.core}`;
  const pct = (x: number | undefined): string => `${+((x ?? 1) * 100).toPrecision(3)}%`;
  const b = spec.bits !== undefined && spec.bits > 1 ? `, ${spec.bits} bits` : '';
  switch (spec.model) {
    case 'stuck':
      return `stuck ${spec.cpu === undefined ? where : `CPU ${spec.cpu} (every core on it)`}${b}`;
    case 'transient':
      return `transient ${pct(spec.rate)} ${spec.target} on ${where}${b}`;
    case 'intermittent':
      return `intermittent ${where}: ${spec.burst} of every ${spec.period} tasks at ${pct(spec.rate)}${b}`;
    case 'slow':
      return `slow ${where} ×${spec.factor}${spec.rate !== 1 ? ` at ${pct(spec.rate)}` : ''}`;
    case 'crash':
    case 'hang':
      return `${spec.model} ${pct(spec.rate)} on ${where}`;
    case 'common-mode':
      return `common-mode ${pct(spec.rate)} of tasks on ${spec.replicas} replicas${b}`;
    default:
      return `${spec.model} core ${spec.core} at ${spec.unit === 'ms' ? `${spec.at} ms` : `task ${spec.at}`}`;
  }
}
