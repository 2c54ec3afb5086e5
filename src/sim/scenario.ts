/**
 * Scenario files: a base configuration, optional variants (deep-merged overrides, e.g. static vs
 * dynamic) and an optional sweep of one dotted field (e.g. faults.failed over 0..8). Every
 * error is an ERR_INVALID_OPTION naming the field as written in the file.
 */
import { readFileSync } from 'node:fs';
import { invalidOption } from '../errors.js';
import { coreIds, countOrIds, getPath, join, known, merge, num, obj, oneOf, optNum, relabel, setPath, type Obj } from './check.js';
import { DEFAULT_CONFIG, DEFAULT_SELF_TEST, type Arrival, type FaultsConfig, type HealthConfig, type LifetimeDist, type RunSpec, type Scenario, type ServiceDist, type SimConfig } from './config.js';

const CONFIG_KEYS = ['cores', 'cpus', 'redundancy', 'binding', 'spares', 'taskTimeout', 'maxAttempts', 'overhead', 'latency', 'restartMs', 'tasks', 'speed', 'health', 'faults', 'batch', 'buckets', 'seed'];
const TOP_KEYS = ['name', 'description', 'variants', 'sweep', ...CONFIG_KEYS];
/** Cores the simulator supports; the scale target is 1,024. */
export const MAX_CORES = 1024;

function service(path: string, v: unknown): ServiceDist {
  const o = obj(path, v);
  const dist = oneOf(join(path, 'dist'), o.dist, ['constant', 'exponential', 'lognormal'] as const);
  known(path, o, dist === 'lognormal' ? ['dist', 'mean', 'cv'] : ['dist', 'mean']);
  const mean = num(join(path, 'mean'), o.mean, { min: 0, above: true });
  if (dist === 'lognormal') return { dist, mean, cv: num(join(path, 'cv'), o.cv, { min: 0 }) };
  return { dist, mean };
}

function arrival(path: string, v: unknown, n: number, mean: number): Arrival {
  // A failed client retries after ten mean task times unless told otherwise.
  if (v === undefined) return { kind: 'closed', concurrency: n, backoff: 10 * mean };
  const o = obj(path, v);
  const kind = oneOf(join(path, 'kind'), o.kind, ['closed', 'poisson'] as const);
  if (kind === 'closed') {
    known(path, o, ['kind', 'concurrency', 'backoff']);
    return {
      kind,
      concurrency: optNum(join(path, 'concurrency'), o.concurrency, n, { min: 1, integer: true }),
      backoff: optNum(join(path, 'backoff'), o.backoff, 10 * mean, { min: 0 }),
    };
  }
  known(path, o, ['kind', 'rate']);
  return { kind, rate: num(join(path, 'rate'), o.rate, { min: 0, above: true }) };
}

function lifetimes(path: string, v: unknown): FaultsConfig['lifetimes'] {
  if (v === undefined || v === false) return false;
  const o = obj(path, v);
  const dist = oneOf(join(path, 'dist'), o.dist, ['exponential', 'weibull'] as const);
  known(path, o, dist === 'weibull' ? ['dist', 'shape', 'scale', 'fraction'] : ['dist', 'mean', 'fraction']);
  const fraction = optNum(join(path, 'fraction'), o.fraction, 1, { min: 0, max: 1 });
  const life: LifetimeDist =
    dist === 'weibull'
      ? { dist, shape: num(join(path, 'shape'), o.shape, { min: 0, above: true }), scale: num(join(path, 'scale'), o.scale, { min: 0, above: true }) }
      : { dist, mean: num(join(path, 'mean'), o.mean, { min: 0, above: true }) };
  return { ...life, fraction };
}

function rateOn(path: string, v: unknown, n: number): { rate: number; cores: number[] | 'all' } {
  if (v === undefined) return { rate: 0, cores: 'all' };
  const o = obj(path, v);
  known(path, o, ['rate', 'cores']);
  const rate = num(join(path, 'rate'), o.rate, { min: 0, max: 1 });
  return { rate, cores: o.cores === undefined ? 'all' : coreIds(join(path, 'cores'), o.cores, n) };
}

function faults(path: string, v: unknown, n: number): FaultsConfig {
  const d = DEFAULT_CONFIG.faults;
  if (v === undefined) return d;
  const o = obj(path, v);
  known(path, o, ['transient', 'commonMode', 'failed', 'failureMode', 'lifetimes', 'intermittent', 'crash', 'hang']);
  let transient = d.transient;
  if (o.transient !== undefined) {
    const p = join(path, 'transient');
    const t = obj(p, o.transient);
    known(p, t, ['rate', 'perCore']);
    const perCore = t.perCore === undefined ? [] : t.perCore;
    if (!Array.isArray(perCore)) throw invalidOption(join(p, 'perCore'), 'an array of { core, rate }', perCore, 'type');
    transient = {
      rate: optNum(join(p, 'rate'), t.rate, 0, { min: 0, max: 1 }),
      perCore: perCore.map((e: unknown, i) => {
        const q = `${p}.perCore[${i}]`;
        const eo = obj(q, e);
        known(q, eo, ['core', 'rate']);
        return { core: num(join(q, 'core'), eo.core, { min: 0, max: n - 1, integer: true }), rate: num(join(q, 'rate'), eo.rate, { min: 0, max: 1 }) };
      }),
    };
  }
  let intermittent: FaultsConfig['intermittent'] = false;
  if (o.intermittent !== undefined && o.intermittent !== false) {
    const p = join(path, 'intermittent');
    const io = obj(p, o.intermittent);
    known(p, io, ['cores', 'every', 'length', 'rate']);
    intermittent = {
      cores: countOrIds(join(p, 'cores'), io.cores, n),
      every: num(join(p, 'every'), io.every, { min: 0, above: true }),
      length: num(join(p, 'length'), io.length, { min: 0, above: true }),
      rate: optNum(join(p, 'rate'), io.rate, 1, { min: 0, max: 1 }),
    };
  }
  return {
    transient,
    commonMode: optNum(join(path, 'commonMode'), o.commonMode, 0, { min: 0, max: 1 }),
    failed: o.failed === undefined ? 0 : countOrIds(join(path, 'failed'), o.failed, n),
    failureMode: oneOf(join(path, 'failureMode'), o.failureMode, ['wrong', 'crash', 'hang'] as const, 'wrong'),
    lifetimes: lifetimes(join(path, 'lifetimes'), o.lifetimes),
    intermittent,
    crash: rateOn(join(path, 'crash'), o.crash, n),
    hang: rateOn(join(path, 'hang'), o.hang, n),
  };
}

function health(path: string, v: unknown): HealthConfig {
  const d = DEFAULT_CONFIG.health;
  if (v === undefined) return d;
  const o = obj(path, v);
  known(path, o, ['disableAt', 'halfLife', 'selfTest', 'blame']);
  let selfTest: HealthConfig['selfTest'] = false;
  if (o.selfTest === true) selfTest = DEFAULT_SELF_TEST;
  else if (o.selfTest !== undefined && o.selfTest !== false) {
    const p = join(path, 'selfTest');
    const s = obj(p, o.selfTest);
    known(p, s, ['after', 'passes', 'maxProbations', 'probationTasks', 'probeMs']);
    const D = DEFAULT_SELF_TEST;
    selfTest = {
      after: optNum(join(p, 'after'), s.after, D.after, { min: 0 }),
      passes: optNum(join(p, 'passes'), s.passes, D.passes, { min: 1, integer: true }),
      maxProbations: optNum(join(p, 'maxProbations'), s.maxProbations, D.maxProbations, { min: 0, integer: true }),
      probationTasks: optNum(join(p, 'probationTasks'), s.probationTasks, D.probationTasks, { min: 1, integer: true }),
      probeMs: optNum(join(p, 'probeMs'), s.probeMs, D.probeMs, { min: 0, above: true }),
    };
  }
  let blame = d.blame;
  if (o.blame === false) blame = false;
  else if (o.blame !== undefined) {
    const p = join(path, 'blame');
    const b = obj(p, o.blame);
    known(p, b, ['window', 'minCores', 'maxShare']);
    const D = d.blame || { window: 20, minCores: 3, maxShare: 0.4 };
    blame = {
      window: optNum(join(p, 'window'), b.window, D.window, { min: 2, integer: true }),
      minCores: optNum(join(p, 'minCores'), b.minCores, D.minCores, { min: 2, integer: true }),
      maxShare: optNum(join(p, 'maxShare'), b.maxShare, D.maxShare, { min: 0, above: true, max: 1 }),
    };
  }
  return {
    disableAt: optNum(join(path, 'disableAt'), o.disableAt, d.disableAt, { min: 0, above: true }),
    halfLife: o.halfLife === null ? Number.POSITIVE_INFINITY : optNum(join(path, 'halfLife'), o.halfLife, d.halfLife, { min: 0, above: true }),
    selfTest,
    blame,
  };
}

function batch(v: unknown): boolean | 'auto' {
  if (v === undefined || v === 'auto') return 'auto';
  if (typeof v !== 'boolean') throw invalidOption('batch', "true, false or 'auto'", v, 'type');
  return v;
}

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
  const t = obj('tasks', o.tasks);
  known('tasks', t, ['count', 'arrival', 'service']);
  const sp = o.speed === undefined ? {} : obj('speed', o.speed);
  known('speed', sp, ['sigma', 'slow']);
  const slow = sp.slow === undefined ? [] : sp.slow;
  if (!Array.isArray(slow)) throw invalidOption('speed.slow', 'an array of { core, factor }', slow, 'type');
  const svc = service('tasks.service', t.service);
  const config: SimConfig = {
    cores,
    cpus,
    redundancy,
    binding: oneOf('binding', o.binding, ['static', 'dynamic'] as const, D.binding),
    spares: optNum('spares', o.spares, 0, { min: 0, max: cores, integer: true }),
    taskTimeout: o.taskTimeout === null ? Number.POSITIVE_INFINITY : optNum('taskTimeout', o.taskTimeout, D.taskTimeout, { min: 0, above: true }),
    maxAttempts: optNum('maxAttempts', o.maxAttempts, D.maxAttempts, { min: 0, integer: true }),
    overhead: optNum('overhead', o.overhead, 0, { min: 0 }),
    latency: optNum('latency', o.latency, 0, { min: 0 }),
    restartMs: optNum('restartMs', o.restartMs, 0, { min: 0 }),
    tasks: {
      count: num('tasks.count', t.count, { min: 1, max: 1e8, integer: true }),
      arrival: arrival('tasks.arrival', t.arrival, cores, svc.mean),
      service: svc,
    },
    speed: {
      sigma: optNum('speed.sigma', sp.sigma, 0, { min: 0, max: 3 }),
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
  };
  const f = config.faults;
  const hangs = f.hang.rate > 0 || (f.failureMode === 'hang' && (f.failed !== 0 || f.lifetimes !== false));
  // A hang with no timeout never frees its core: the task could never settle.
  if (hangs && config.taskTimeout === Number.POSITIVE_INFINITY) throw invalidOption('taskTimeout', 'a finite number of ms when hangs are simulated', null, 'range');
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
    if (typeof so.param !== 'string' || !CONFIG_KEYS.includes(so.param.split('.')[0]!)) throw invalidOption('sweep.param', `a dotted field path starting with ${CONFIG_KEYS.join(', ')}`, so.param, 'range');
    if (!Array.isArray(so.values) || so.values.length === 0) throw invalidOption('sweep.values', 'a non-empty array', so.values, 'type');
    so.values.forEach((v: unknown, j) => {
      if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') throw invalidOption(`sweep.values[${j}]`, 'a number, string or boolean', v, 'type');
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
    if (sweep !== undefined && (option === sweep.param || option.startsWith(`${sweep.param}.`) || option.startsWith(`${sweep.param}[`))) relabel(error, `sweep.values[${j}] (${sweep.param})`, point);
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
