/** `triplex campaign` arguments → campaign options. Pure (apart from reading --inputs files), so it is unit-tested. */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseCommandArgs, UsageError } from './usage.js';
import { invalidOption } from '../errors.js';
import { FaultInjector, type TriplexOptions } from '../index.js';
import { DEFAULT_BINDING, DEFAULT_FALSE_ALARM, DEFAULT_FAULT_DOMAIN, DEFAULT_REDUNDANCY, DEFAULT_SEED } from '../options/defaults.js';

export const CAMPAIGN_USAGE = `Usage: triplex campaign --task FILE[#EXPORT] --inputs JSON|FILE [options]

Runs a seeded fault-injection campaign on a real pool and classifies every task
(correct, masked, corrected, detected, sdc). Ctrl-C stops dispatching, waits for the
tasks in flight and still writes the reports (marked "interrupted").

Workload:
  --task FILE#EXPORT      task module and export (default export: "default")
  --inputs JSON|FILE      a file holding JSON if one exists by that name, else inline JSON (an
                          array: one input per item; else one input); cycled over --tasks
  --tasks N               tasks to run (default: one per input; 1,000,000 cap with --margin)
  --margin E              stop once enough tasks had a fault for this error margin (Leveugle et al.)
  --confidence C          confidence of the margin and the coverage interval (default 0.95)
  --concurrency N         tasks in flight (default 2 × cores)
Pool:
  --redundancy dmr|tmr    (default ${DEFAULT_REDUNDANCY})      --binding static|dynamic (default ${DEFAULT_BINDING})
  --cores N  --spares N  --cpus 0,1  --pin auto|off|required
  --timeout MS            replica timeout (default: derived from the golden run when hangs are injected;
                          Infinity is refused then)
  --false-alarm P                         attribution's false-alarm rate per replica (default ${DEFAULT_FALSE_ALARM})
  --fault-domain physical-core|cpu|none   what replicas must not share (default ${DEFAULT_FAULT_DOMAIN})
Faults (repeatable; CORE is a core id, RATE a probability in [0, 1]):
  --stuck CORE            every result of CORE corrupted
  --transient RATE|CORE:RATE              bit flips in results
  --transient-input RATE|CORE:RATE        bit flips in the replica's copy of the input
  --intermittent CORE:PERIOD:BURST[:RATE] bursts of BURST tasks in every PERIOD (rate default 1)
  --slow CORE:FACTOR      replicas on CORE take FACTOR times as long
  --crash RATE|CORE:RATE  --hang RATE|CORE:RATE
  --common-mode RATE      the same wrong value on two replicas of a task
  --offline CORE@N[ms]  --online CORE@N[ms]  maintenance at task N (or N ms)
  --bits N                bits per flip (default 1)
  --seed N                seed of every decision (default ${DEFAULT_SEED})
Output:
  --json FILE  --html FILE  --quiet (no table)
  --allow-golden-errors   exit 0 even if the fault-free golden run threw on some input
                          (by default that is a warning and exit status 1: a task or input bug)`;

export interface CampaignArgs {
  moduleFile: string;
  name: string;
  inputs: unknown[];
  pool: Omit<TriplexOptions, 'faults'>;
  faults: FaultInjector;
  tasks: number | undefined;
  margin: number | undefined;
  confidence: number | undefined;
  concurrency: number | undefined;
  json: string | undefined;
  html: string | undefined;
  quiet: boolean;
  allowGoldenErrors: boolean;
  help: boolean;
}

const OPTIONS = {
  task: { type: 'string' },
  inputs: { type: 'string' },
  tasks: { type: 'string' },
  margin: { type: 'string' },
  confidence: { type: 'string' },
  concurrency: { type: 'string' },
  redundancy: { type: 'string' },
  binding: { type: 'string' },
  cores: { type: 'string' },
  spares: { type: 'string' },
  cpus: { type: 'string' },
  pin: { type: 'string' },
  timeout: { type: 'string' },
  'false-alarm': { type: 'string' },
  'fault-domain': { type: 'string' },
  stuck: { type: 'string', multiple: true },
  transient: { type: 'string', multiple: true },
  'transient-input': { type: 'string', multiple: true },
  intermittent: { type: 'string', multiple: true },
  slow: { type: 'string', multiple: true },
  crash: { type: 'string', multiple: true },
  hang: { type: 'string', multiple: true },
  'common-mode': { type: 'string', multiple: true },
  offline: { type: 'string', multiple: true },
  online: { type: 'string', multiple: true },
  bits: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'string' },
  html: { type: 'string' },
  quiet: { type: 'boolean', default: false },
  'allow-golden-errors': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** A number from a flag; the pool and the injector check ranges and name the option themselves. */
function num(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw invalidOption(`--${flag}`, 'a number', text, 'type');
  return value;
}

function parts(flag: string, text: string, shape: string, min: number, max: number): number[] {
  const fields = text.split(':');
  if (fields.length < min || fields.length > max) throw invalidOption(`--${flag}`, shape, text, 'type');
  return fields.map((field) => num(flag, field)!);
}

/** RATE or CORE:RATE. */
function rateAt(flag: string, text: string): { rate: number; core?: number } {
  const p = parts(flag, text, 'RATE or CORE:RATE', 1, 2);
  return p.length === 1 ? { rate: p[0]! } : { core: p[0]!, rate: p[1]! };
}

/** CORE@N or CORE@Nms. */
function when(flag: string, text: string): { core: number; at: number; unit: 'task' | 'ms' } {
  const match = /^(\d+)@(\d+(?:\.\d+)?)(ms)?$/.exec(text);
  if (match === null) throw invalidOption(`--${flag}`, 'CORE@TASK or CORE@MSms (e.g. 2@500 or 2@1500ms)', text, 'type');
  return { core: Number(match[1]), at: Number(match[2]), unit: match[3] === 'ms' ? 'ms' : 'task' };
}

/**
 * An existing file is read as JSON (its name may start like JSON: 2024-inputs.json); any other text
 * is inline JSON. Either way an array is the list of inputs, any other value one input.
 */
function readInputs(text: string | undefined): unknown[] {
  if (text === undefined) throw new UsageError('campaign', 'expects --inputs JSON|FILE');
  if (statSync(text, { throwIfNoEntry: false })?.isFile() === true) return inputsFile(text);
  const inline = parseJson(text);
  if (inline.ok) return asInputs(inline.value);
  // Text that starts like JSON and names no file was meant as JSON: say what is wrong with it rather than "no such file".
  if (/^\s*[[{"\d-]/.test(text)) throw invalidOption('--inputs', `valid JSON (${inline.error}), or an existing file`, text, 'type');
  return inputsFile(text);
}

function inputsFile(file: string): unknown[] {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw invalidOption('--inputs', `inline JSON or a readable file (${(error as Error).message})`, file, 'range');
  }
  const parsed = parseJson(source);
  if (!parsed.ok) throw invalidOption('--inputs', `a file of valid JSON (${parsed.error})`, file, 'type');
  return asInputs(parsed.value);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

function asInputs(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

type Values = Record<string, string | string[] | boolean | undefined>;
const str = (values: Values, key: string): string | undefined => values[key] as string | undefined;
const list = (values: Values, key: string): string[] => (values[key] as string[] | undefined) ?? [];

export function parseCampaignArgs(argv: string[]): CampaignArgs {
  const { values } = parseCommandArgs('campaign', { args: argv, options: OPTIONS, allowPositionals: false }) as { values: Values };
  const help = values.help === true;
  if (help) return { help } as CampaignArgs;
  const task = str(values, 'task');
  // A missing argument is a usage error (exit status 2); a wrong one is an invalid option.
  if (task === undefined) throw new UsageError('campaign', 'expects --task FILE[#EXPORT]');
  if (task.length === 0) throw invalidOption('--task', 'FILE[#EXPORT]', task, 'type');
  const hash = task.lastIndexOf('#');
  const moduleFile = path.resolve(hash < 0 ? task : task.slice(0, hash));
  const name = hash < 0 ? 'default' : task.slice(hash + 1);
  const inputs = readInputs(str(values, 'inputs'));
  const faults = faultsFromArgs(values);
  const pool = poolFromArgs(values, moduleFile);
  return {
    moduleFile,
    name,
    inputs,
    pool,
    faults,
    tasks: num('tasks', str(values, 'tasks')),
    margin: num('margin', str(values, 'margin')),
    confidence: num('confidence', str(values, 'confidence')),
    concurrency: num('concurrency', str(values, 'concurrency')),
    json: str(values, 'json'),
    html: str(values, 'html'),
    quiet: values.quiet === true,
    allowGoldenErrors: values['allow-golden-errors'] === true,
    help,
  };
}

/** The fault injector the fault flags describe, in the order of the flags' kinds. */
function faultsFromArgs(values: Values): FaultInjector {
  const bits = num('bits', str(values, 'bits'));
  const withBits = <T extends object>(o: T): T => (bits === undefined ? o : { ...o, bits });
  const faults = new FaultInjector({ seed: num('seed', str(values, 'seed')) ?? DEFAULT_SEED });
  for (const text of list(values, 'stuck')) faults.stuck(withBits({ core: num('stuck', text)! }));
  for (const text of list(values, 'transient')) faults.transient(withBits({ ...rateAt('transient', text), target: 'result' as const }));
  for (const text of list(values, 'transient-input')) faults.transient(withBits({ ...rateAt('transient-input', text), target: 'input' as const }));
  for (const text of list(values, 'intermittent')) {
    const [core, period, burst, rate] = parts('intermittent', text, 'CORE:PERIOD:BURST[:RATE]', 3, 4);
    faults.intermittent(withBits({ core: core!, period: period!, burst: burst!, ...(rate === undefined ? {} : { rate }) }));
  }
  for (const text of list(values, 'slow')) {
    const [core, factor] = parts('slow', text, 'CORE:FACTOR', 2, 2);
    faults.slow({ core: core!, factor: factor! });
  }
  for (const text of list(values, 'crash')) faults.crash(rateAt('crash', text));
  for (const text of list(values, 'hang')) faults.hang(rateAt('hang', text));
  for (const text of list(values, 'common-mode')) faults.commonMode(withBits({ rate: num('common-mode', text)! }));
  for (const text of list(values, 'offline')) faults.offline(when('offline', text));
  for (const text of list(values, 'online')) faults.online(when('online', text));
  return faults;
}

/** The pool options the flags set (those not given keep the pool's defaults). */
function poolFromArgs(values: Values, moduleFile: string): Omit<TriplexOptions, 'faults'> {
  const pool: Omit<TriplexOptions, 'faults'> = { filename: moduleFile };
  const set = <K extends keyof TriplexOptions>(key: K, value: TriplexOptions[K] | undefined): void => {
    if (value !== undefined) (pool as TriplexOptions)[key] = value;
  };
  set('redundancy', str(values, 'redundancy') as TriplexOptions['redundancy']);
  set('binding', str(values, 'binding') as TriplexOptions['binding']);
  set('cores', num('cores', str(values, 'cores')));
  set('faultDomain', str(values, 'fault-domain') as TriplexOptions['faultDomain']);
  set('spares', num('spares', str(values, 'spares')));
  set('pin', str(values, 'pin') as TriplexOptions['pin']);
  set('taskTimeout', num('timeout', str(values, 'timeout')));
  const cpus = str(values, 'cpus');
  if (cpus !== undefined)
    set(
      'cpus',
      cpus.split(',').map((c) => num('cpus', c)!),
    );
  const falseAlarm = num('false-alarm', str(values, 'false-alarm'));
  if (falseAlarm !== undefined) set('health', { falseAlarm });
  return pool;
}
