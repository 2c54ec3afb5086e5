/** Validators of the scenario's nested fields; each error names the field path. */
import { invalidOption } from '../errors.js';
import { KIND_NAMES } from './bridge.js';
import { coreIds, countOrIds, join, known, num, obj, oneOf, optNum } from './check.js';
import { DEFAULT_CONFIG, DEFAULT_SELF_TEST, type Arrival, type FaultsConfig, type HealthConfig, type LifetimeDist, type ServiceDist } from './config.js';

export function service(path: string, v: unknown): ServiceDist {
  const o = obj(path, v);
  const dist = oneOf(join(path, 'dist'), o.dist, ['constant', 'exponential', 'lognormal'] as const);
  known(path, o, dist === 'lognormal' ? ['dist', 'mean', 'cv'] : ['dist', 'mean']);
  const mean = num(join(path, 'mean'), o.mean, { min: 0, above: true });
  if (dist === 'lognormal') return { dist, mean, cv: num(join(path, 'cv'), o.cv, { min: 0 }) };
  return { dist, mean };
}

export function arrival(path: string, v: unknown, n: number, mean: number): Arrival {
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

export function lifetimes(path: string, v: unknown): FaultsConfig['lifetimes'] {
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

export function rateOn(path: string, v: unknown, n: number): { rate: number; cores: number[] | 'all' } {
  if (v === undefined) return { rate: 0, cores: 'all' };
  const o = obj(path, v);
  known(path, o, ['rate', 'cores']);
  const rate = num(join(path, 'rate'), o.rate, { min: 0, max: 1 });
  return { rate, cores: o.cores === undefined ? 'all' : coreIds(join(path, 'cores'), o.cores, n) };
}

export function faults(path: string, v: unknown, n: number): FaultsConfig {
  const d = DEFAULT_CONFIG.faults;
  if (v === undefined) return d;
  const o = obj(path, v);
  known(path, o, ['transient', 'commonMode', 'failed', 'failureMode', 'lifetimes', 'intermittent', 'crash', 'hang', 'flaky']);
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
    flaky: flaky(join(path, 'flaky'), o.flaky),
  };
}

function flaky(path: string, v: unknown): FaultsConfig['flaky'] {
  if (v === undefined) return DEFAULT_CONFIG.faults.flaky;
  const o = obj(path, v);
  known(path, o, ['share', 'rate']);
  return { share: optNum(join(path, 'share'), o.share, 0, { min: 0, max: 1 }), rate: optNum(join(path, 'rate'), o.rate, 0, { min: 0, max: 1 }) };
}

/** Fields of earlier versions: named in the error with what replaced them. */
const REPLACED_HEALTH = ['disableAt', 'halfLife', 'blame'];

export function health(path: string, v: unknown): HealthConfig {
  const d = DEFAULT_CONFIG.health;
  if (v === undefined) return d;
  const o = obj(path, v);
  for (const key of REPLACED_HEALTH) {
    if (o[key] !== undefined) throw invalidOption(join(path, key), 'absent: it was replaced by falseAlarm (a sequential test per replica)', o[key], 'range');
  }
  known(path, o, ['falseAlarm', 'nondeterministic', 'selfTest']);
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
  const nd = o.nondeterministic ?? [];
  const kinds = KIND_NAMES.map((k) => `'${k}'`).join(', ');
  if (!Array.isArray(nd) || !nd.every((k) => typeof k === 'string'))
    throw invalidOption(join(path, 'nondeterministic'), `an array of kinds (${kinds})`, nd, 'type');
  // The simulator knows every kind it runs: a name outside them (a typo) would mark nothing.
  nd.forEach((k, i) => {
    if (!KIND_NAMES.includes(k)) throw invalidOption(`${join(path, 'nondeterministic')}[${i}]`, `a simulated task kind (${kinds})`, k, 'range');
  });
  return { falseAlarm: optNum(join(path, 'falseAlarm'), o.falseAlarm, d.falseAlarm, { min: 0, max: 0.5 }), nondeterministic: [...nd], selfTest };
}

export function batch(v: unknown): boolean | 'auto' {
  if (v === undefined || v === 'auto') return 'auto';
  if (typeof v !== 'boolean') throw invalidOption('batch', "true, false or 'auto'", v, 'type');
  return v;
}

/** `stepped`: false, or { interval, cost } in ms (checkpoints every `interval` ms of work, `cost` ms each). */
export function stepped(path: string, v: unknown): false | { interval: number; cost: number } {
  if (v === undefined || v === false) return false;
  const o = obj(path, v);
  known(path, o, ['interval', 'cost']);
  return { interval: num(`${path}.interval`, o.interval, { min: 0, above: true }), cost: optNum(`${path}.cost`, o.cost, 0, { min: 0 }) };
}
