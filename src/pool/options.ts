/** The one Options type, its defaults, and the single place where it is validated and resolved. */
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { invalidOption, TriplexError } from '../errors.js';
import { checkSpares } from '../binding/index.js';
import { availableCpus, pinningUnavailableReason } from '../worker/affinity.js';
import { resolveHealth } from './health-options.js';
import { resolveDomains } from './domain-options.js';
import { resolveDeterminism, type DeterminismOptions, type ResolvedDeterminism } from './determinism-options.js';
import type { FaultDomainMode } from '../cores/topology.js';
import type { HealthSnapshot, ResolvedHealthOptions } from '../health/types.js';
import type { FaultInjector } from '../inject/injector.js';
import type { Equals } from '../replication/voter.js';
import type { PinMode } from '../transport/protocol.js';
import { resolveAudit, resolveMetricsFlag, resolveScanInterval } from '../ops/options.js';
import type { AuditOptions, ResolvedAuditOptions } from '../ops/types.js';
import { enumOption, isObject, MAX_TIMER_MS, numberOption } from '../options/validate.js';
import * as D from '../options/defaults.js';
import { DEFAULT_RESOLVED_CHECKPOINT, resolveCheckpoint } from '../stepped/interval.js';
import type { CheckpointOption, ResolvedCheckpoint } from '../stepped/types.js';
import { COMPAT_KEYS, coresFromThreads, resolveCompat, resolveMaxQueue, type PiscinaCompatOptions, type ResolvedCompat } from './compat-options.js';

export type Redundancy = 'dmr' | 'tmr';
export type BindingName = 'dynamic' | 'static';

export interface SelfTestOptions {
  /** Known-answer tasks: `name` is an export of the task module (or a built-in `__triplex_kat_*`). @default built-in set */
  tasks?: { name: string; input: unknown; expected: unknown }[];
  /** ms after disabling (and after a failed round) before a core is probed. @default 10_000 ({@link D.DEFAULT_SELF_TEST_AFTER}) */
  after?: number;
  /** Clean probes in a row that move a disabled core to probation. @default 3 ({@link D.DEFAULT_SELF_TEST_PASSES}) */
  passes?: number;
  /** Probations before a core is retired for good. @default 2 ({@link D.DEFAULT_MAX_PROBATIONS}) */
  maxProbations?: number;
  /** Clean replicas that end a probation. @default 50 ({@link D.DEFAULT_PROBATION_TASKS}) */
  probationTasks?: number;
}

export interface HealthOptions {
  /**
   * Attribution's false-alarm budget: the rate, per replica of a healthy core, at which the
   * sequential test may disable it by chance. Lower is slower to catch weak intermittent cores;
   * 0 never disables on evidence. (Replaces `disableAt`, `halfLife` and `blame`.) @default 1e-9 ({@link D.DEFAULT_FALSE_ALARM})
   */
  falseAlarm?: number;
  /**
   * Task kinds declared non-deterministic: their out-voted replicas are never charged (crashes
   * and timeouts still are). A kind is the run option `kind`, else the task name. @default []
   */
  nondeterministic?: string[];
  /** Software core salvaging: exclude a core from one task kind only (`true`: up to {@link D.DEFAULT_SALVAGE_MAX_KINDS} kinds). @default false */
  salvage?: boolean | { maxKinds?: number };
  /** Reintegrate disabled cores by known-answer tests. @default false */
  selfTest?: boolean | SelfTestOptions;
  /** A snapshot from `pool.health.export()`, so a restart does not forget known-bad cores. */
  restore?: HealthSnapshot;
}

export interface TriplexOptions extends PiscinaCompatOptions {
  /**
   * Path or file: URL of an ESM/CJS module whose function exports are the tasks. Omitted or null
   * (as piscina allows): no default module, every run() names its own `filename`.
   */
  filename?: string | URL | null;
  /** 'dmr' (2 replicas + tie-break) or 'tmr' (3 replicas). @default 'tmr' ({@link D.DEFAULT_REDUNDANCY}) */
  redundancy?: Redundancy;
  /** How replicas are placed on cores. @default 'dynamic' ({@link D.DEFAULT_BINDING}) */
  binding?: BindingName;
  /** Logical cores, one pinned worker each. @default max(CPUs available, replicas per task) */
  cores?: number;
  /** Cores kept out of the initial groups (static binding). @default 0 ({@link D.DEFAULT_SPARES}) */
  spares?: number;
  /** 'auto' pins where possible, 'required' throws ERR_PINNING otherwise, 'off' never pins. @default 'auto' ({@link D.DEFAULT_PIN}) */
  pin?: PinMode;
  /** CPUs to pin to; cores map onto them round-robin. @default the process affinity mask */
  cpus?: number[];
  /** ms after which a replica is a hang fault and its worker is terminated. @default 30_000 ({@link D.DEFAULT_TASK_TIMEOUT}) */
  taskTimeout?: number;
  /** Replica executions allowed beyond the first k, per task. @default 5 ({@link D.DEFAULT_MAX_ATTEMPTS}) */
  maxAttempts?: number;
  /** Queued tasks beyond this reject with ERR_QUEUE_FULL; 'auto' is cores² (piscina's threads²). @default Infinity ({@link D.DEFAULT_MAX_QUEUE}) */
  maxQueue?: number | 'auto';
  /**
   * Most replicas one core holds at once when tasks are queued (dynamic binding): its worker then
   * finds its next replicas in its shared-memory ring instead of sleeping until the main thread
   * answers, which is what bounds small tasks. With a short queue each core holds one, so load
   * spreads and latency stays minimal. 1 turns this pipelining off. @default 64 ({@link D.DEFAULT_MAX_BATCH})
   */
  maxBatch?: number;
  /** Core health policy. */
  health?: HealthOptions;
  /** Inexact voting, e.g. float tolerance. @default undefined (digest equality) */
  equals?: Equals;
  /** Fault injector (testing only; zero cost when absent). */
  faults?: FaultInjector;
  /**
   * Seed of the pool's own random choices (tie-breaks between equal cores) and, when given, of the
   * tasks' `Math.random` streams (option determinism), so a run can be replayed. Not given, the
   * tasks' streams are seeded from fresh entropy: no two pools or processes repeat them.
   * @default 1 ({@link D.DEFAULT_SEED}) for tie-breaks; fresh entropy for the tasks' streams
   */
  seed?: number;
  /** Audit log: one JSON line per fault-tolerance action, to a file and/or a stream. @default undefined (no log) */
  audit?: AuditOptions | false;
  /** Collect pool.metrics() from the pool's events (false: only the counters the pool keeps anyway). @default true ({@link D.DEFAULT_METRICS}) */
  metrics?: boolean;
  /** ms between state scans (pool.verify()) that emit `drift`; 0 = none. @default 0 ({@link D.DEFAULT_SCAN_INTERVAL}) */
  scanInterval?: number;
  /**
   * What one hardware fault can corrupt at once; every replica of a task runs in its own domain.
   * 'physical-core': SMT siblings (sysfs topology) are one domain; 'cpu': each CPU; 'none':
   * distinct worker threads only (replicas may share a CPU: tests and demos on small machines).
   * Fewer domains than replicas per task throws ERR_INVALID_OPTION. @default 'physical-core' ({@link D.DEFAULT_FAULT_DOMAIN})
   */
  faultDomain?: FaultDomainMode;
  /**
   * Deterministic replicas: inside a replica `Math.random` is seeded per task and the clock
   * (`Date`, `performance.now()`) reads the time journaled at submission, advancing identically
   * on every replica. `crypto` randomness is never seeded. `false` turns both off, an object each
   * part. The streams differ across tasks, pools and processes unless `seed` is given.
   * @default { random: true, clock: true } ({@link D.DEFAULT_DETERMINISM})
   */
  determinism?: boolean | DeterminismOptions;
  /**
   * Stepped tasks: how often replicas vote on their state (a checkpoint). `{ steps }` every that
   * many steps, `{ ms }` about every that many ms (a step count per segment from the measured step
   * rate), both: whichever comes first; `'auto'`: the Young/Daly interval √(2 · MTBF · C) from the
   * pool's own fault history and the measured cost C of a checkpoint. Per run: run(x, { checkpoint }).
   * @default { ms: 1000 } ({@link D.DEFAULT_CHECKPOINT})
   */
  checkpoint?: CheckpointOption;
}

export interface ResolvedOptions {
  moduleUrl: string;
  redundancy: Redundancy;
  k: number;
  binding: BindingName;
  cores: number;
  spares: number;
  pin: PinMode;
  cpus: number[];
  taskTimeout: number;
  maxAttempts: number;
  maxQueue: number;
  maxBatch: number;
  health: ResolvedHealthOptions;
  restore: HealthSnapshot | undefined;
  equals: Equals | undefined;
  faults: FaultInjector | undefined;
  seed: number;
  audit: ResolvedAuditOptions | undefined;
  metrics: boolean;
  scanInterval: number;
  /** piscina's options (compat-options.ts). */
  compat: ResolvedCompat;
  faultDomain: FaultDomainMode;
  /** Fault domain of cpus[i] (core i runs on cpus[i % cpus.length]); undefined with faultDomain 'none'. */
  cpuDomains: number[] | undefined;
  determinism: ResolvedDeterminism;
  checkpoint: ResolvedCheckpoint;
}

const KNOWN = new Set([
  'filename',
  'redundancy',
  'binding',
  'cores',
  'spares',
  'pin',
  'cpus',
  'taskTimeout',
  'maxAttempts',
  'maxQueue',
  'maxBatch',
  'health',
  'equals',
  'faults',
  'seed',
  'audit',
  'metrics',
  'scanInterval',
  'faultDomain',
  'determinism',
  'checkpoint',
]);

/** A task module's file: URL; relative paths resolve against the current directory. '' for null (no default module). */
export function resolveModuleUrl(filename: unknown): string {
  if (filename === null || filename === undefined) return '';
  if (filename instanceof URL) {
    if (filename.protocol !== 'file:') throw invalidOption('filename', 'a path or a file: URL', filename.href, 'range');
    return filename.href;
  }
  if (typeof filename !== 'string') throw invalidOption('filename', 'a path or a file: URL', filename, 'type');
  if (filename.length === 0) throw invalidOption('filename', 'a non-empty path or file: URL', filename, 'range');
  if (filename.startsWith('file:')) return filename;
  return pathToFileURL(path.resolve(filename)).href;
}

/** Validates every option and fills in defaults. Throws TriplexError ERR_INVALID_OPTION (TypeError/RangeError) or ERR_PINNING. */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (!isObject(options)) throw invalidOption('options', 'an object of options ({ filename, ... })', options, 'type');
  for (const key of Object.keys(options)) {
    if (KNOWN.has(key) || COMPAT_KEYS.includes(key)) continue;
    throw invalidOption(key, `a known option (${[...KNOWN, ...COMPAT_KEYS].join(', ')})`, options[key], 'range');
  }
  const moduleUrl = resolveModuleUrl(options.filename);
  const redundancy = enumOption('redundancy', options.redundancy, ['dmr', 'tmr'] as const, D.DEFAULT_REDUNDANCY);
  const k = D.REPLICAS[redundancy];
  const binding = enumOption('binding', options.binding, ['dynamic', 'static'] as const, D.DEFAULT_BINDING);
  const pin = enumOption('pin', options.pin, ['auto', 'off', 'required'] as const, D.DEFAULT_PIN);

  const cpus = resolveCpus(options.cpus);
  const cores = numberOption('cores', options.cores, coresFromThreads(options, k) ?? Math.max(cpus.length, k), 1, { integer: true, max: 4096 });
  const spares = numberOption('spares', options.spares, D.DEFAULT_SPARES, 0, { integer: true, max: cores });
  const faults = options.faults;
  if (faults !== undefined && (!isObject(faults) || typeof (faults as { decide?: unknown }).decide !== 'function')) {
    throw invalidOption('faults', 'a FaultInjector', faults, 'type');
  }
  if (options.equals !== undefined && typeof options.equals !== 'function')
    throw invalidOption('equals', 'a function (a, b) => boolean', options.equals, 'type');

  if (pin === 'required') {
    const reason = pinningUnavailableReason();
    if (reason !== undefined)
      throw new TriplexError('ERR_PINNING', `Option "pin" is 'required' but threads cannot be pinned: ${reason}`, { option: 'pin', reason });
  }
  const { health, restore } = resolveHealth(options.health);
  const domains = resolveDomains(options.faultDomain, cpus, cores, k);
  return checkAcrossOptions({
    moduleUrl,
    redundancy,
    k,
    binding,
    cores,
    spares,
    pin,
    cpus: domains.cpus,
    faultDomain: domains.faultDomain,
    cpuDomains: domains.cpuDomains,
    determinism: resolveDeterminism(options.determinism),
    checkpoint: resolveCheckpoint(options.checkpoint, DEFAULT_RESOLVED_CHECKPOINT),
    taskTimeout: numberOption('taskTimeout', options.taskTimeout, D.DEFAULT_TASK_TIMEOUT, 1, { infinity: true, max: MAX_TIMER_MS }),
    maxAttempts: numberOption('maxAttempts', options.maxAttempts, D.DEFAULT_MAX_ATTEMPTS, 0, { integer: true }),
    maxQueue: numberOption('maxQueue', resolveMaxQueue(options.maxQueue, cores), D.DEFAULT_MAX_QUEUE, 0, { integer: true, infinity: true }),
    maxBatch: numberOption('maxBatch', options.maxBatch, D.DEFAULT_MAX_BATCH, 1, { integer: true, max: 256 }),
    health,
    restore,
    equals: options.equals as Equals | undefined,
    faults: faults as FaultInjector | undefined,
    seed: numberOption('seed', options.seed, D.DEFAULT_SEED, 0, { integer: true }),
    audit: resolveAudit(options.audit),
    metrics: resolveMetricsFlag(options.metrics),
    scanInterval: resolveScanInterval(options.scanInterval),
    compat: resolveCompat(options, cores),
  });
}

/** `cpus`: CPUs of the process affinity mask (all of them by default). */
function resolveCpus(given: unknown): number[] {
  const mask = availableCpus();
  if (given === undefined) return mask;
  if (!Array.isArray(given) || given.length === 0) throw invalidOption('cpus', 'a non-empty array of CPU ids', given, 'type');
  for (const cpu of given) {
    if (typeof cpu !== 'number' || !Number.isInteger(cpu) || cpu < 0) throw invalidOption('cpus', 'an array of non-negative integer CPU ids', given, 'type');
    if (!mask.includes(cpu)) throw invalidOption('cpus', `CPUs from the process affinity mask [${mask.join(', ')}]`, given, 'range');
  }
  if (new Set(given).size !== given.length) throw invalidOption('cpus', 'distinct CPU ids', given, 'range');
  return [...(given as number[])];
}

/** Checks between options, once each is valid on its own: enough cores for the redundancy and the spares, faults aimed at cores that exist. */
function checkAcrossOptions(o: ResolvedOptions): ResolvedOptions {
  if (o.cores < o.k) throw invalidOption('cores', `at least ${o.k} for ${o.redundancy.toUpperCase()}`, o.cores, 'range');
  checkSpares(o.binding, o.cores, o.k, o.spares);
  o.faults?.validateFor(o.cores);
  return o;
}

/** The resolved options, JSON-safe, as the `start` event and the audit log show them. */
export function describeOptions(o: ResolvedOptions): Record<string, unknown> {
  const { faults, equals, compat, ...plain } = o;
  // Worker options (env, workerData) are the user's and may not be JSON: only their names are shown.
  const shown = { ...compat, worker: Object.keys(compat.worker) };
  return { ...plain, compat: shown, faults: faults !== undefined, equals: equals !== undefined };
}
