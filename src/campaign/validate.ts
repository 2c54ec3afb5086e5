/** Checks a campaign's options before anything starts: every bad input is a typed error naming the option. */
import { serialize } from 'node:v8';
import { invalidOption, messageOf, TriplexError } from '../errors.js';
import { isObject } from '../options/validate.js';
import type { FaultInjector } from '../api/index.js';
import { leveugleSampleSize, zFor } from './statistics.js';
import type { CampaignOptions } from './types.js';

/** Cap on tasks when the margin alone sizes the campaign (it normally stops far earlier). */
const MARGIN_TASK_CAP = 1_000_000;

export interface CampaignPlan {
  name: string;
  inputs: readonly unknown[];
  /** Tasks to run at most. */
  tasks: number;
  margin: number | null;
  confidence: number;
  population: number | null;
  /** Injected tasks the margin needs (null without margin). */
  required: number | null;
  concurrency: number | undefined;
  buckets: number;
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalidOption(name, `an integer from ${min} to ${max}`, value, 'type');
  if (!Number.isInteger(value) || value < min || value > max) throw invalidOption(name, `an integer from ${min} to ${max}`, value, 'range');
  return value;
}

function fraction(name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalidOption(name, 'a number in (0, 1)', value, 'type');
  if (!(value > 0 && value < 1)) throw invalidOption(name, 'a number in (0, 1)', value, 'range');
  return value;
}

const KNOWN = new Set([
  'pool',
  'task',
  'tasks',
  'faults',
  'golden',
  'margin',
  'confidence',
  'population',
  'concurrency',
  'label',
  'buckets',
  'onProgress',
  'signal',
]);

export function validateCampaign(options: unknown): CampaignPlan {
  if (!isObject(options)) throw invalidOption('campaign options', 'an object { pool, task, faults, ... }', options, 'type');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw invalidOption(key, `a known campaign option (${[...KNOWN].join(', ')})`, options[key], 'range');
  }
  const o = options as unknown as CampaignOptions;
  checkPool(o.pool);
  const { name, inputs } = checkTask(o.task);
  checkFaultsAndHooks(o, inputs.length);
  return {
    name,
    inputs,
    ...samplingPlan(o, inputs.length),
    concurrency: o.concurrency === undefined ? undefined : integer('concurrency', o.concurrency, 1, 1_000_000),
    buckets: o.buckets === undefined ? 60 : integer('buckets', o.buckets, 2, 1000),
  };
}

function checkPool(pool: unknown): void {
  if (!isObject(pool)) throw invalidOption('pool', 'an object of pool options (at least { filename })', pool, 'type');
  const filename = (pool as { filename?: unknown }).filename;
  // A pool may run without a default module (each run names one); a campaign's task lives in it.
  if (filename === undefined || filename === null) throw invalidOption('pool.filename', 'the task module (a path or file: URL)', filename, 'type');
  if ('faults' in pool && (pool as { faults?: unknown }).faults !== undefined) {
    throw invalidOption('pool.faults', 'absent (give the injector as the campaign option "faults")', (pool as { faults?: unknown }).faults, 'range');
  }
}

function checkTask(task: unknown): { name: string; inputs: unknown[] } {
  if (!isObject(task)) throw invalidOption('task', 'an object { name, inputs }', task, 'type');
  const name = task.name;
  if (typeof name !== 'string') throw invalidOption('task.name', 'a string (an export of the task module)', name, 'type');
  if (name.length === 0) throw invalidOption('task.name', 'a non-empty string', name, 'range');
  const inputs = task.inputs;
  if (!Array.isArray(inputs)) throw invalidOption('task.inputs', 'an array of inputs', inputs, 'type');
  if (inputs.length === 0) throw invalidOption('task.inputs', 'a non-empty array of inputs', inputs, 'range');
  inputs.forEach((input: unknown, i) => {
    try {
      serialize(input);
    } catch (error) {
      throw new TriplexError('ERR_NOT_CLONEABLE', `Option "task.inputs[${i}]" cannot be cloned to a worker: ${messageOf(error)}`, {
        option: `task.inputs[${i}]`,
        index: i,
      });
    }
  });
  return { name, inputs: inputs as unknown[] };
}

/** The injector, the golden answers (one per input) and the callbacks. */
function checkFaultsAndHooks(o: CampaignOptions, inputCount: number): void {
  const faults = o.faults as FaultInjector | undefined;
  if (!isObject(faults) || typeof faults.decide !== 'function' || typeof faults.recordsOf !== 'function') {
    throw invalidOption('faults', 'a FaultInjector', faults, 'type');
  }
  if (o.golden !== undefined) {
    if (Array.isArray(o.golden)) {
      if (o.golden.length !== inputCount) throw invalidOption('golden', `an array with one answer per input (${inputCount})`, o.golden, 'range');
    } else if (typeof o.golden !== 'function') {
      throw invalidOption('golden', 'an array of answers or a function (input, index) => answer', o.golden, 'type');
    }
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw invalidOption('onProgress', 'a function', o.onProgress, 'type');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalidOption('signal', 'an AbortSignal', o.signal, 'type');
  if (o.label !== undefined && typeof o.label !== 'string') throw invalidOption('label', 'a string', o.label, 'type');
}

/** How many tasks to run, and how many injected ones the margin needs at the confidence asked. */
function samplingPlan(o: CampaignOptions, inputCount: number): Pick<CampaignPlan, 'tasks' | 'margin' | 'confidence' | 'population' | 'required'> {
  const confidence = o.confidence === undefined ? 0.95 : fraction('confidence', o.confidence);
  zFor(confidence);
  const margin = o.margin === undefined ? null : fraction('margin', o.margin);
  const tasks = o.tasks === undefined ? (margin === null ? inputCount : MARGIN_TASK_CAP) : integer('tasks', o.tasks, 1, 1e9);
  let population: number | null = null;
  if (o.population !== undefined) {
    if (typeof o.population !== 'number' || Number.isNaN(o.population)) throw invalidOption('population', 'an integer >= 1 or Infinity', o.population, 'type');
    if (o.population !== Number.POSITIVE_INFINITY) integer('population', o.population, 1, Number.MAX_SAFE_INTEGER);
    population = o.population;
  } else if (o.tasks !== undefined) {
    population = tasks; // as documented: the campaign's own tasks are the population
  } else if (margin !== null) {
    population = Number.POSITIVE_INFINITY;
  }
  const required = margin === null ? null : leveugleSampleSize({ margin, confidence, population: population ?? Number.POSITIVE_INFINITY });
  return { tasks, margin, confidence, population, required };
}
