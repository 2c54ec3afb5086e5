/**
 * Scenario files: a base configuration, optional variants (deep-merged overrides, e.g. static vs
 * dynamic) and an optional sweep of one dotted field (e.g. faults.failed over 0..8). Every
 * error is an ERR_INVALID_OPTION naming the field as written in the file.
 */
import { readFileSync } from 'node:fs';
import { invalidOption } from '../errors.js';
import { checkSpares } from '../binding/index.js';
import { getPath, known, merge, num, obj, oneOf, optNum, relabel, setPath, type Obj } from './check.js';
import { DEFAULT_CONFIG, type RunSpec, type Scenario, type SimConfig } from './config.js';
import { arrival, batch, faults, health, service, stepped } from './fields.js';

const CONFIG_KEYS = [
  'cores',
  'cpus',
  'faultDomain',
  'redundancy',
  'binding',
  'spares',
  'taskTimeout',
  'maxAttempts',
  'overhead',
  'mainOverhead',
  'latency',
  'restartMs',
  'tasks',
  'speed',
  'health',
  'faults',
  'batch',
  'buckets',
  'seed',
  'stepped',
];
const TOP_KEYS = ['name', 'description', 'variants', 'sweep', ...CONFIG_KEYS];
/** Cores the simulator supports; the scale target is 1,024. */
export const MAX_CORES = 1024;

/** Validates one configuration object (the base merged with a variant and a sweep value). */
export function resolveConfig(raw: unknown): SimConfig {
  const o = obj('scenario', raw);
  known('', o, TOP_KEYS);
  const D = DEFAULT_CONFIG;
  const cores = num('cores', o.cores, { min: 2, max: MAX_CORES, integer: true });
  const cpus = optNum('cpus', o.cpus, cores, { min: 1, max: cores, integer: true });
  const redundancy = oneOf('redundancy', o.redundancy, ['dmr', 'tmr'] as const, D.redundancy);
  const k = redundancy === 'tmr' ? 3 : 2;
  if (cores < k) throw invalidOption('cores', `at least ${k} for ${redundancy.toUpperCase()}`, cores, 'range');
  const faultDomain = oneOf('faultDomain', o.faultDomain, ['cpu', 'none'] as const, 'none');
  if (faultDomain === 'cpu' && cpus < k) {
    const what = `'none', or at least ${k} CPUs for ${redundancy.toUpperCase()} with 'cpu' (each replica in its own domain); found ${cpus}`;
    throw invalidOption('faultDomain', what, faultDomain, 'range');
  }
  const t = obj('tasks', o.tasks);
  known('tasks', t, ['count', 'arrival', 'service']);
  const sp = o.speed === undefined ? {} : obj('speed', o.speed);
  known('speed', sp, ['sigma', 'slow', 'jitter']);
  const slow = sp.slow === undefined ? [] : sp.slow;
  if (!Array.isArray(slow)) throw invalidOption('speed.slow', 'an array of { core, factor }', slow, 'type');
  const svc = service('tasks.service', t.service);
  const config: SimConfig = {
    cores,
    cpus,
    faultDomain,
    redundancy,
    binding: oneOf('binding', o.binding, ['static', 'dynamic'] as const, D.binding),
    spares: optNum('spares', o.spares, D.spares, { min: 0, max: cores, integer: true }),
    taskTimeout: o.taskTimeout === null ? Number.POSITIVE_INFINITY : optNum('taskTimeout', o.taskTimeout, D.taskTimeout, { min: 0, above: true }),
    maxAttempts: optNum('maxAttempts', o.maxAttempts, D.maxAttempts, { min: 0, integer: true }),
    overhead: optNum('overhead', o.overhead, 0, { min: 0 }),
    mainOverhead: optNum('mainOverhead', o.mainOverhead, 0, { min: 0 }),
    latency: optNum('latency', o.latency, 0, { min: 0 }),
    restartMs: optNum('restartMs', o.restartMs, 0, { min: 0 }),
    tasks: {
      count: num('tasks.count', t.count, { min: 1, max: 1e8, integer: true }),
      arrival: arrival('tasks.arrival', t.arrival, cores, svc.mean),
      service: svc,
    },
    speed: {
      sigma: optNum('speed.sigma', sp.sigma, 0, { min: 0, max: 3 }),
      jitter: optNum('speed.jitter', sp.jitter, 0, { min: 0, max: 3 }),
      slow: slow.map((e: unknown, i) => {
        const p = `speed.slow[${i}]`;
        const so = obj(p, e);
        known(p, so, ['core', 'factor']);
        return { core: num(`${p}.core`, so.core, { min: 0, max: cores - 1, integer: true }), factor: num(`${p}.factor`, so.factor, { min: 0, above: true }) };
      }),
    },
    health: health('health', o.health),
    faults: faults('faults', o.faults, cores),
    batch: batch(o.batch),
    buckets: optNum('buckets', o.buckets, D.buckets, { min: 2, max: 10_000, integer: true }),
    seed: optNum('seed', o.seed, D.seed, { integer: true }),
    stepped: stepped('stepped', o.stepped),
  };
  checkSpares(config.binding, cores, k, config.spares);
  const f = config.faults;
  const hangs = f.hang.rate > 0 || (f.failureMode === 'hang' && (f.failed !== 0 || f.lifetimes !== false));
  // A hang with no timeout never frees its core: the task could never settle.
  if (hangs && config.taskTimeout === Number.POSITIVE_INFINITY)
    throw invalidOption('taskTimeout', 'a finite number of ms when hangs are simulated', null, 'range');
  return config;
}

/** A scenario from parsed JSON. `seed` overrides the seed of every run. */
export function parseScenario(raw: unknown, seed?: number): Scenario {
  const o = obj('scenario', raw);
  known('', o, TOP_KEYS);
  const name = o.name === undefined ? 'scenario' : o.name;
  if (typeof name !== 'string') throw invalidOption('name', 'a string', name, 'type');
  const description = o.description ?? '';
  if (typeof description !== 'string') throw invalidOption('description', 'a string', description, 'type');
  const base: Obj = {};
  for (const key of CONFIG_KEYS) if (o[key] !== undefined) base[key] = o[key];
  if (seed !== undefined) base.seed = num('--seed', seed, { integer: true });
  resolveConfig(base); // base errors first, under their own names
  const variants = o.variants === undefined ? [{ name: 'base' }] : o.variants;
  if (!Array.isArray(variants) || variants.length === 0) throw invalidOption('variants', 'a non-empty array of { name, ...overrides }', variants, 'type');
  const overrides = variants.map((v: unknown, i) => {
    const p = `variants[${i}]`;
    const vo = obj(p, v);
    if (typeof vo.name !== 'string' || vo.name === '') throw invalidOption(`${p}.name`, 'a non-empty string', vo.name, 'type');
    known(p, vo, ['name', ...CONFIG_KEYS]);
    const { name: _name, ...rest } = vo;
    return { name: vo.name, over: rest as Obj, path: p };
  });
  let sweep: Scenario['sweep'];
  if (o.sweep !== undefined) {
    const so = obj('sweep', o.sweep);
    known('sweep', so, ['param', 'values']);
    if (typeof so.param !== 'string' || !CONFIG_KEYS.includes(so.param.split('.')[0]!))
      throw invalidOption('sweep.param', `a dotted field path starting with ${CONFIG_KEYS.join(', ')}`, so.param, 'range');
    if (!Array.isArray(so.values) || so.values.length === 0) throw invalidOption('sweep.values', 'a non-empty array', so.values, 'type');
    so.values.forEach((v: unknown, j) => {
      if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean')
        throw invalidOption(`sweep.values[${j}]`, 'a number, string or boolean', v, 'type');
    });
    sweep = { param: so.param, values: so.values as (number | string | boolean)[] };
  }
  const runs: RunSpec[] = [];
  const points = sweep === undefined ? [undefined] : sweep.values;
  points.forEach((point, j) => {
    for (const v of overrides) {
      let merged = merge(base, v.over);
      if (sweep !== undefined) merged = setPath(merged, sweep.param, point);
      runs.push({ variant: v.name, point, config: resolveRun(merged, v, sweep, j, point) });
    }
  });
  return { name, description, sweep, variants: overrides.map((v) => v.name), runs };
}

function resolveRun(merged: Obj, v: { over: Obj; path: string }, sweep: Scenario['sweep'], j: number, point: unknown): SimConfig {
  try {
    return resolveConfig(merged);
  } catch (error) {
    const option = (error as { data?: { option?: unknown } }).data?.option;
    if (typeof option !== 'string') throw error;
    if (sweep !== undefined && (option === sweep.param || option.startsWith(`${sweep.param}.`) || option.startsWith(`${sweep.param}[`)))
      relabel(error, `sweep.values[${j}] (${sweep.param})`, point);
    const field = option.split('[')[0]!;
    if (getPath(v.over, field) !== undefined) relabel(error, `${v.path}.${option}`, getPath(merged, field));
    throw error;
  }
}

export function loadScenario(file: string, seed?: number): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw invalidOption('scenario', `a readable JSON file (${(error as Error).message})`, file, 'type');
  }
  return parseScenario(raw, seed);
}
