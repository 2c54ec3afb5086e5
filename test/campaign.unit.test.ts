// Pure parts of campaigns: statistics, classification, option checks, assertions, CLI arguments.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { achievedMargin, leveugleSampleSize, wilson, zFor } from '../dist/campaign/statistics.js';
import { isActivated, NO_EVIDENCE, outcomeOf, sdcCause, Tally, type TaskEvidence, type TaskObservation } from '../dist/campaign/classify.js';
import { validateCampaign } from '../dist/campaign/validate.js';
import { expectProtected, ProtectionError } from '../dist/campaign/expect.js';
import { formatCoverage, formatNotes, formatSummary } from '../dist/campaign/summary.js';
import type { CampaignResult } from '../dist/campaign/types.js';
import { parseCampaignArgs } from '../dist/cli/campaign-args.js';
import { FaultInjector, type InjectionRecord } from '../dist/inject/injector.js';
import type { ReplicaReport } from '../dist/pool/task.js';

function typed(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected an error');
}

describe('statistics', () => {
  it('normal quantiles', () => {
    expect(zFor(0.95)).toBeCloseTo(1.959964, 5);
    expect(zFor(0.99)).toBeCloseTo(2.575829, 5);
    expect(zFor(0.5)).toBeCloseTo(0.67449, 5);
  });

  it('Wilson score interval matches textbook values', () => {
    const half = wilson(50, 100);
    expect(half.estimate).toBe(0.5);
    expect(half.low).toBeCloseTo(0.4038, 4);
    expect(half.high).toBeCloseTo(0.5962, 4);
    // All successes: the upper bound is 1 and the lower one n / (n + z²), not 1 as a Wald interval would claim.
    const all = wilson(100, 100);
    expect(all.high).toBe(1);
    expect(all.low).toBeCloseTo(100 / (100 + 1.959964 ** 2), 4);
    expect(wilson(0, 0).estimate).toBeNull();
  });

  it('Leveugle sample size and the margin a sample gives', () => {
    expect(leveugleSampleSize({ margin: 0.01 })).toBe(9604);
    expect(leveugleSampleSize({ margin: 0.05 })).toBe(385);
    expect(leveugleSampleSize({ margin: 0.01, population: 10_000 })).toBe(4900);
    expect(leveugleSampleSize({ margin: 0.01, population: 100 })).toBe(99);
    expect(leveugleSampleSize({ margin: 0.05, confidence: 0.99, p: 0.1 })).toBe(239);
    expect(achievedMargin(9604)!).toBeCloseTo(0.01, 4);
    expect(achievedMargin(4900, { population: 10_000 })!).toBeCloseTo(0.01, 3);
    expect(achievedMargin(10_000, { population: 10_000 })).toBe(0);
    expect(typed(() => leveugleSampleSize({ margin: 2 })).code).toBe('ERR_INVALID_OPTION');
    expect(typed(() => zFor(1)).message).toContain('"confidence"');
  });
});

const replica = (core: number, digest: string | undefined, ok: boolean, status: ReplicaReport['status'] = 'value'): ReplicaReport => ({
  core,
  cpu: 0,
  digest,
  ms: 1,
  ok,
  status,
});
const obs = (kind: TaskObservation['kind'], matches: boolean, replicas?: ReplicaReport[], corrected = false): TaskObservation => ({
  inputIndex: 0,
  kind,
  matches,
  corrected,
  replicas,
});
const rec = (replicaIndex: number, core: number, model: InjectionRecord['model'] = 'transient'): InjectionRecord => ({
  taskId: 0,
  taskName: 't',
  replica: replicaIndex,
  core,
  model,
  modelIndex: 0,
  target: 'result',
});
const evidence = (charges: [number, string | undefined][] = [], disagreed = false): TaskEvidence => ({
  disagreed,
  charges: new Map(charges.map(([core, digest]) => [core, { kind: 'wrong-result' as const, digest }])),
});

describe('classification', () => {
  it('outcomes', () => {
    expect(outcomeOf(obs('value', true), false, NO_EVIDENCE)).toBe('correct');
    expect(outcomeOf(obs('value', true), true, NO_EVIDENCE)).toBe('masked');
    expect(outcomeOf(obs('value', true, undefined, true), true, NO_EVIDENCE)).toBe('corrected');
    // A replica that disagreed after the vote (TMR's late third) still makes the task corrected.
    expect(outcomeOf(obs('value', true), true, evidence([], true))).toBe('corrected');
    expect(outcomeOf(obs('value', false), true, NO_EVIDENCE)).toBe('sdc');
    expect(outcomeOf(obs('error', false), true, NO_EVIDENCE)).toBe('sdc');
    expect(outcomeOf(obs('error', true), false, NO_EVIDENCE)).toBe('correct');
    expect(outcomeOf(obs('detected', false), true, NO_EVIDENCE)).toBe('detected');
    expect(outcomeOf(obs('skipped', false), true, NO_EVIDENCE)).toBeUndefined();
  });

  it('activation: a fault that changed what its replica produced', () => {
    const o = obs('value', true, [
      replica(0, 'good', true),
      replica(1, 'bad', false),
      replica(2, 'good', true),
      replica(3, undefined, false, 'crash'),
      replica(4, undefined, false, 'running'),
    ]);
    expect(isActivated(rec(1, 1), o, 'corrected', NO_EVIDENCE, 'good')).toBe(true);
    // An input flip the computation masked: same digest as the right answer.
    expect(isActivated(rec(2, 2), o, 'masked', NO_EVIDENCE, 'good')).toBe(false);
    expect(isActivated(rec(3, 3, 'crash'), o, 'corrected', NO_EVIDENCE, 'good')).toBe(true);
    // Answered after the vote: a charge with a wrong digest means it was wrong; silence means it agreed.
    expect(isActivated(rec(4, 4), o, 'corrected', evidence([[4, 'bad']]), 'good')).toBe(true);
    expect(isActivated(rec(4, 4), o, 'masked', NO_EVIDENCE, 'good')).toBe(false);
    expect(isActivated(rec(4, 4), o, 'sdc', NO_EVIDENCE, 'good')).toBe(true);
    // Slow replicas count only when they ran past the timeout; crash and hang records only when the replica died or hung.
    expect(isActivated({ ...rec(1, 1, 'slow'), target: 'timing' }, o, 'corrected', NO_EVIDENCE, 'good')).toBe(false);
    expect(isActivated({ ...rec(3, 3, 'hang'), target: 'worker' }, o, 'corrected', NO_EVIDENCE, 'good')).toBe(true);
    expect(isActivated({ ...rec(1, 1, 'crash'), target: 'worker' }, o, 'corrected', NO_EVIDENCE, 'good')).toBe(false);
    // Inexact voting (no reference digest): a replica in a right winning group was right.
    expect(isActivated(rec(0, 0), o, 'masked', NO_EVIDENCE, undefined)).toBe(false);
    expect(isActivated(rec(1, 1), o, 'corrected', NO_EVIDENCE, undefined)).toBe(true);
  });

  it('tallies per model, counts activated tasks and unexplained disagreements', () => {
    const tally = new Tally([{ model: 'stuck', description: 'stuck core 1' }], 4);
    tally.add(
      0,
      obs('value', true, [replica(1, 'bad', false), replica(0, 'good', true), replica(2, 'good', true)], true),
      [rec(0, 1, 'stuck')],
      NO_EVIDENCE,
      'good',
    );
    tally.add(1, obs('value', true, [replica(0, 'good', true), replica(2, 'good', true)]), [], NO_EVIDENCE, 'good');
    tally.add(2, obs('value', true, [replica(0, 'x', true), replica(2, 'y', false)], true), [], NO_EVIDENCE, 'x');
    tally.add(3, obs('value', false, [replica(1, 'bad', true), replica(3, 'bad', true)]), [rec(0, 1, 'stuck')], NO_EVIDENCE, 'good');
    expect(tally.outcomes).toEqual({ correct: 1, masked: 0, corrected: 2, detected: 0, sdc: 1 });
    expect(tally.models[0]).toMatchObject({ injected: 2, activated: 2, outcomes: { corrected: 1, sdc: 1 } });
    expect(tally.activatedTasks).toBe(2);
    expect(tally.sdcActivated).toBe(1);
    expect(tally.unexplainedCorrected).toBe(1);
    expect(tally.coreInjections[1]).toBe(2);
    expect(tally.sdcExamples).toEqual([{ taskId: 3, inputIndex: 0, models: ['stuck'], cores: [1], cause: 'other' }]);
  });

  it('tasks with no injection keep every outcome, and an SDC among them has a cause and an example', () => {
    const tally = new Tally([{ model: 'stuck', description: 'stuck core 1' }], 4);
    tally.add(0, obs('value', true, [replica(0, 'good', true), replica(2, 'good', true)]), [], NO_EVIDENCE, 'good');
    tally.add(1, obs('detected', false), [], NO_EVIDENCE, 'good');
    tally.add(2, obs('value', false, [replica(0, 'bad', true), replica(2, 'bad', true)]), [], NO_EVIDENCE, 'good');
    expect(tally.uninjected).toEqual({ correct: 1, masked: 0, corrected: 0, detected: 1, sdc: 1 });
    expect(tally.sdcCauses).toEqual({ 'common-mode': 0, 'identical flips': 0, other: 0, 'no fault injected': 1 });
    expect(tally.sdcExamples).toEqual([{ taskId: 2, inputIndex: 0, models: [], cores: [], cause: 'no fault injected' }]);
  });

  it('names the cause of an SDC: common-mode, or independent faults with identical flips', () => {
    const flipped = (replicaIndex: number, core: number, bit: number): InjectionRecord => ({ ...rec(replicaIndex, core), flips: [{ path: '$.x', bit }] });
    expect(sdcCause([flipped(0, 1, 5), flipped(1, 2, 5)])).toBe('identical flips');
    expect(sdcCause([flipped(0, 1, 5), flipped(1, 2, 6)])).toBe('other');
    expect(sdcCause([rec(0, 1, 'common-mode'), rec(1, 2, 'common-mode')])).toBe('common-mode');
  });
});

describe('campaign options', () => {
  const base = () => ({ pool: { filename: 'x.mjs' }, task: { name: 'fib', inputs: [1, 2] }, faults: new FaultInjector() });
  const bad: [string, Record<string, unknown>, string, string][] = [
    ['task name', { task: { name: 3, inputs: [1] } }, 'task.name', 'ERR_INVALID_OPTION'],
    ['empty inputs', { task: { name: 'fib', inputs: [] } }, 'task.inputs', 'ERR_INVALID_OPTION'],
    ['non-cloneable input', { task: { name: 'fib', inputs: [1, () => 2] } }, 'task.inputs[1]', 'ERR_NOT_CLONEABLE'],
    ['no injector', { faults: { seed: 1 } }, 'faults', 'ERR_INVALID_OPTION'],
    ['injector inside pool options', { pool: { filename: 'x.mjs', faults: new FaultInjector() } }, 'pool.faults', 'ERR_INVALID_OPTION'],
    ['golden of the wrong length', { golden: [1] }, 'golden', 'ERR_INVALID_OPTION'],
    ['margin out of range', { margin: 1.5 }, 'margin', 'ERR_INVALID_OPTION'],
    ['tasks not an integer', { tasks: 2.5 }, 'tasks', 'ERR_INVALID_OPTION'],
    ['unknown option', { taks: 5 }, 'taks', 'ERR_INVALID_OPTION'],
    ['signal', { signal: 'stop' }, 'signal', 'ERR_INVALID_OPTION'],
  ];
  for (const [what, patch, option, code] of bad) {
    it(`rejects ${what}`, () => {
      const error = typed(() => validateCampaign({ ...base(), ...patch }));
      expect(error.code).toBe(code);
      expect(error.message).toContain(`"${option}"`);
    });
  }

  it('sizes itself from a margin', () => {
    expect(validateCampaign({ ...base(), margin: 0.01 })).toMatchObject({ required: 9604, tasks: 1_000_000, population: Number.POSITIVE_INFINITY });
    expect(validateCampaign({ ...base(), margin: 0.01, tasks: 10_000 })).toMatchObject({ required: 4900, tasks: 10_000, population: 10_000 });
    expect(validateCampaign(base())).toMatchObject({ required: null, tasks: 2 });
    // As documented, `tasks` given is the population (the finite-population correction applies).
    expect(validateCampaign({ ...base(), tasks: 60 })).toMatchObject({ population: 60 });
  });
});

function result(patch: Partial<CampaignResult> = {}): CampaignResult {
  return {
    version: 1,
    label: 'TMR dynamic',
    interrupted: false,
    exhausted: false,
    outOfCores: { refused: 0, unrun: 0 },
    startedAt: '2024-01-01T00:00:00.000Z',
    config: {
      filename: 'x',
      task: 't',
      inputs: 1,
      redundancy: 'tmr',
      binding: 'dynamic',
      cores: 4,
      spares: 0,
      cpus: [0],
      faultDomain: 'none',
      taskTimeout: 1,
      concurrency: 1,
      seed: 1,
      faults: [],
      faultLines: [],
      golden: 'computed',
    },
    tasks: { planned: 10, submitted: 10, settled: 10, skipped: 0 },
    outcomes: { correct: 5, masked: 0, corrected: 5, detected: 0, sdc: 0 },
    uninjected: { correct: 5, masked: 0, corrected: 0, detected: 0, sdc: 0 },
    injectedTasks: 5,
    activatedTasks: 5,
    models: [],
    coverage: { ...wilson(500, 500), activated: 500, sdc: 0, unexplainedSdc: 0 },
    sdcCauses: { 'common-mode': 0, 'identical flips': 0, other: 0, 'no fault injected': 0 },
    sampling: { margin: null, confidence: 0.95, population: null, required: null, injected: 5, achievedMargin: 0.4, met: null },
    cores: [],
    coresDisabled: 0,
    throughput: { elapsedMs: 10, tasksPerSecond: 1000 },
    timeline: { bucketMs: 1, t: [1], settled: [10], capacity: [4], faults: [[0]], capacityChanges: [{ t: 0, value: 4 }] },
    stats: {} as CampaignResult['stats'],
    unexplainedCorrected: 0,
    goldenErrors: { inputs: 0, of: 1, first: null },
    nondeterminism: [],
    maintenance: [],
    sdcExamples: [],
    ...patch,
  };
}

describe('expectProtected', () => {
  it('passes a protected result and explains every failure', () => {
    expect(() => expectProtected(result(), { maxSdc: 0, minCoverage: 0.99 })).not.toThrow();
    const leaky = result({
      outcomes: { correct: 5, masked: 0, corrected: 3, detected: 0, sdc: 2 },
      coverage: { ...wilson(3, 5), activated: 5, sdc: 2, unexplainedSdc: 0 },
      sdcExamples: [{ taskId: 7, inputIndex: 1, models: ['common-mode'], cores: [0, 2], cause: 'common-mode' }],
    });
    let error: unknown;
    try {
      expectProtected([result(), leaky], { minCoverage: 0.9 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProtectionError);
    const message = (error as Error).message;
    expect(message).toContain('2 silent data corruption(s), at most 0 allowed');
    expect(message).toContain('task 7 (input 1, common-mode on core 0/2: common-mode)');
    expect(message).toMatch(/lower bound .* is below the required 90\.00%/);
    expect((error as ProtectionError).failures).toHaveLength(2);
    const wrongGolden = result({
      outcomes: { correct: 0, masked: 0, corrected: 0, detected: 0, sdc: 10 },
      sdcCauses: { 'common-mode': 0, 'identical flips': 0, other: 0, 'no fault injected': 10 },
      sdcExamples: [{ taskId: 3, inputIndex: 1, models: [], cores: [], cause: 'no fault injected' }],
    });
    expect(() => expectProtected(wrongGolden)).toThrow('10 silent data corruption(s), at most 0 allowed — task 3 (input 1: no fault injected)');
    expect(formatNotes(wrongGolden)).toContain('sdc: 10 wrong answer(s) reached the caller (10 no fault injected)');
    expect(() => expectProtected(result({ interrupted: true }))).toThrow(/interrupted/);
    expect(() => expectProtected(result({ interrupted: true }), { allowInterrupted: true })).not.toThrow();
    // A pool that ran out of cores tested part of the plan: no SDC there proves little.
    expect(() => expectProtected(result({ exhausted: true }))).toThrow(/ran out of cores/);
    expect(() => expectProtected(result({ exhausted: true }), { allowExhausted: true })).not.toThrow();
    // Every planned task submitted, some refused for want of cores: the counts say what was lost, not "stopped after 18 of 18".
    const allSubmitted = result({ exhausted: true, outOfCores: { refused: 6, unrun: 0 }, tasks: { planned: 18, submitted: 18, settled: 18, skipped: 0 } });
    expect(() => expectProtected(allSubmitted)).toThrow('ran out of cores: 6 refused of 18 planned tasks');
    expect(formatNotes(allSubmitted)).toContain('out of cores: 6 refused of 18 planned tasks');
    expect(
      formatNotes(result({ exhausted: true, outOfCores: { refused: 1, unrun: 88 }, tasks: { planned: 100, submitted: 12, settled: 12, skipped: 0 } })),
    ).toContain('out of cores: 1 refused and 88 never run of 100 planned tasks');
    expect(() => expectProtected(result({ coverage: { ...wilson(0, 0), activated: 0, sdc: 0, unexplainedSdc: 0 } }), { minCoverage: 0.5 })).toThrow(
      /no injected fault was activated/,
    );
    expect(typed(() => expectProtected(result(), { maxSdc: -1 })).message).toContain('"maxSdc"');
    expect(typed(() => expectProtected({} as CampaignResult)).code).toBe('ERR_INVALID_OPTION');
    // A misspelt key or a flag of the wrong type is an error, never ignored.
    for (const [expectation, option] of [
      [{ maxSDC: 5 }, 'maxSDC'],
      [{ allowInterupted: true }, 'allowInterupted'],
      [{ allowInterrupted: 'yes' }, 'allowInterrupted'],
      [{ allowExhausted: 1 }, 'allowExhausted'],
    ] as [Record<string, unknown>, string][]) {
      const error = typed(() => expectProtected(result(), expectation as never));
      expect(error.code).toBe('ERR_INVALID_OPTION');
      expect(error.message).toContain(`"${option}"`);
    }
  });

  it('formats coverage and the summary table', () => {
    expect(formatCoverage(wilson(0, 0))).toBe('n/a (no fault activated)');
    expect(formatCoverage(wilson(50, 100))).toBe('50.00% [40.38%, 59.62%]');
    const table = formatSummary([result(), result({ label: 'DMR static', interrupted: true })]);
    expect(table).toContain('TMR dynamic');
    expect(table).toContain('DMR static (interrupted)');
    expect(table.split('\n')).toHaveLength(4);
  });

  it("says when replicas could share a CPU (faultDomain 'none'), and only then", () => {
    expect(formatNotes(result())).toContain("fault domains: 'none'");
    const physical = result();
    physical.config = { ...physical.config, faultDomain: 'physical-core' };
    expect(formatNotes(physical)).not.toContain('fault domains');
  });

  it('a fault on a CPU describes itself as one', () => {
    expect(new FaultInjector({ seed: 1 }).stuck({ cpu: 0 }).describe()).toEqual(['stuck CPU 0 (every core on it)']);
  });
});

describe('CLI arguments', () => {
  it('builds pool options and fault models', () => {
    const args = parseCampaignArgs([
      '--task',
      'test/fixtures/tasks.mjs#fib',
      '--inputs',
      '[1,2,3]',
      '--redundancy',
      'dmr',
      '--binding',
      'static',
      '--cores',
      '6',
      '--cpus',
      '0',
      '--stuck',
      '2',
      '--transient',
      '0.01',
      '--transient-input',
      '3:0.5',
      '--intermittent',
      '4:100:10:0.5',
      '--slow',
      '5:3',
      '--crash',
      '1:0.1',
      '--hang',
      '0.01',
      '--common-mode',
      '0.001',
      '--offline',
      '3@100',
      '--online',
      '3@1500ms',
      '--bits',
      '2',
      '--seed',
      '9',
      '--tasks',
      '500',
      '--margin',
      '0.05',
      '--false-alarm',
      '1e-6',
    ]);
    expect(args.name).toBe('fib');
    expect(args.moduleFile).toMatch(/test\/fixtures\/tasks\.mjs$/);
    expect(args.inputs).toEqual([1, 2, 3]);
    expect(args.pool).toMatchObject({ redundancy: 'dmr', binding: 'static', cores: 6, cpus: [0], health: { falseAlarm: 1e-6 } });
    expect(args.faults.seed).toBe(9);
    expect(args.faults.models.map((m) => m.model)).toEqual([
      'stuck',
      'transient',
      'transient',
      'intermittent',
      'slow',
      'crash',
      'hang',
      'common-mode',
      'offline',
      'online',
    ]);
    expect(args.faults.models[1]).toMatchObject({ rate: 0.01, bits: 2, target: 'result' });
    expect(args.faults.models[2]).toMatchObject({ core: 3, rate: 0.5, target: 'input' });
    expect(args.faults.models[9]).toMatchObject({ core: 3, at: 1500, unit: 'ms' });
    expect(args).toMatchObject({ tasks: 500, margin: 0.05 });
  });

  it('rejects bad arguments with typed errors naming the flag', () => {
    const base = ['--task', 'x.mjs', '--inputs', '[1]'];
    for (const [argv, flag] of [
      [[...base, '--crash', '1:0.1:3'], '--crash'],
      [[...base, '--transient', '1.5'], 'transient.rate'],
      [[...base, '--offline', '2@soon'], '--offline'],
      [[...base, '--cores', 'six'], '--cores'],
      [['--task', 'x.mjs', '--inputs', '[1,'], '--inputs'],
      [['--task', 'x.mjs', '--inputs', '{"a":'], '--inputs'],
      [['--task', 'x.mjs', '--inputs', 'no-such-file.json'], '--inputs'],
      [['--task', '', '--inputs', '[1]'], '--task'],
    ] as [string[], string][]) {
      const error = typed(() => parseCampaignArgs(argv));
      expect(error.code, argv.join(' ')).toBe('ERR_INVALID_OPTION');
      expect(error.message).toContain(`"${flag}"`);
    }
    // An unknown flag is a usage error (exit status 2), naming the flag.
    const usage = expect.objectContaining({ name: 'UsageError', message: expect.stringContaining("'--bogus'") });
    expect(() => parseCampaignArgs([...base, '--bogus'])).toThrow(usage);
    // So is a missing argument, naming what is missing.
    expect(() => parseCampaignArgs(['--inputs', '[1]'])).toThrow(expect.objectContaining({ name: 'UsageError', message: expect.stringContaining('--task') }));
    expect(() => parseCampaignArgs(['--task', 'x.mjs'])).toThrow(expect.objectContaining({ name: 'UsageError', message: expect.stringContaining('--inputs') }));
  });

  it('--inputs takes inline JSON: an array is the list of inputs, any other value is one input', () => {
    const inputs = (text: string): unknown[] => parseCampaignArgs(['--task', 'x.mjs', '--inputs', text]).inputs;
    expect(inputs('[1,2]')).toEqual([1, 2]);
    expect(inputs('{"a":1}')).toEqual([{ a: 1 }]);
    expect(inputs('30')).toEqual([30]);
    expect(inputs(' [[1],[2]] ')).toEqual([[1], [2]]);
  });

  it('--inputs reads an existing file, even one whose name starts like JSON (a digit, a bracket)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'triplex-inputs-'));
    for (const name of ['2024-inputs.json', '[a].json', 'plain.json']) {
      const file = path.join(dir, name);
      writeFileSync(file, '[{"n":1},{"n":2}]');
      expect(parseCampaignArgs(['--task', 'x.mjs', '--inputs', file]).inputs, name).toEqual([{ n: 1 }, { n: 2 }]);
    }
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      expect(parseCampaignArgs(['--task', 'x.mjs', '--inputs', '2024-inputs.json']).inputs).toEqual([{ n: 1 }, { n: 2 }]);
    } finally {
      process.chdir(cwd);
    }
  });
});
