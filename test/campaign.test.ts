// Campaigns on real pinned workers: single faults never reach the caller, common-mode faults do
// and are counted, bad inputs are typed errors, and a campaign stopped early still reports.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { campaign, expectProtected, FaultInjector, formatSummary, ProtectionError, type CampaignResult } from '../dist/index.js';
import { expectProtected as fromTesting } from '../dist/testing.js';
import { TASKS } from './helpers.js';

const NEVER_DISABLE = { falseAlarm: 0 };
// Campaign pools below choose faultDomain 'none': on this 2-CPU machine their replicas share CPUs.
const FIBS = Array.from({ length: 40 }, (_, i) => i + 1);
const CLI = path.resolve('dist/cli/main.js');

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}

function describeResult(r: CampaignResult): string {
  return `${r.label} seed ${r.config.seed}: ${JSON.stringify(r.outcomes)}, injected ${r.injectedTasks}`;
}

describe('single faults are never silent', () => {
  // Leveugle et al.: ±2.19 % at 95 % needs 2,003 injected tasks; the campaign sizes itself to reach them.
  const margin = 0.0219;

  it('TMR: a stuck core on every task it touches, 2,000+ injected tasks, no SDC', async () => {
    const seed = 31;
    const result = await campaign({
      pool: { filename: TASKS, faultDomain: 'none', cores: 4, redundancy: 'tmr', health: NEVER_DISABLE },
      task: { name: 'fib', inputs: FIBS },
      faults: new FaultInjector({ seed }).stuck({ core: 1 }),
      margin,
    });
    expect(result.sampling.required, describeResult(result)).toBe(2003);
    expect(result.injectedTasks, describeResult(result)).toBeGreaterThanOrEqual(2003);
    expect(result.sampling.met).toBe(true);
    expect(result.outcomes.sdc, describeResult(result)).toBe(0);
    expect(result.outcomes.detected, describeResult(result)).toBe(0);
    // Every injected task was corrected (its stuck replica out-voted, late ones included), none merely masked.
    expect(result.outcomes.corrected, describeResult(result)).toBe(result.injectedTasks);
    expect(result.activatedTasks).toBe(result.injectedTasks);
    expect(result.coverage.estimate).toBe(1);
    expect(result.coverage.low!).toBeGreaterThan(0.998);
    expect(result.models[0]).toMatchObject({ model: 'stuck', injected: result.injectedTasks, activated: result.injectedTasks });
    expectProtected(result, { maxSdc: 0, minCoverage: 0.99 });
  });

  it('DMR: tie-breaks on a third core correct every stuck replica, 2,000+ injected tasks, no SDC', async () => {
    const seed = 32;
    const result = await campaign({
      pool: { filename: TASKS, faultDomain: 'none', cores: 3, redundancy: 'dmr', health: NEVER_DISABLE },
      task: { name: 'fib', inputs: FIBS },
      faults: new FaultInjector({ seed }).stuck({ core: 0, bits: 2 }),
      margin,
    });
    expect(result.injectedTasks, describeResult(result)).toBeGreaterThanOrEqual(2003);
    expect(result.outcomes.sdc, describeResult(result)).toBe(0);
    expect(result.outcomes.detected, describeResult(result)).toBe(0);
    expect(result.outcomes.corrected, describeResult(result)).toBe(result.injectedTasks);
    expect(result.stats.retries).toBeGreaterThanOrEqual(result.injectedTasks);
    fromTesting(result, { maxSdc: 0, minCoverage: 0.99 });
  });

  it('masked: input flips a task ignores are injected but change nothing', async () => {
    const result = await campaign({
      pool: { filename: TASKS, faultDomain: 'none', cores: 3, redundancy: 'dmr' },
      task: { name: 'cpuOf', inputs: [{ a: 1, b: 'x' }] },
      faults: new FaultInjector({ seed: 5 }).transient({ rate: 0.5, target: 'input' }),
      tasks: 60,
    });
    expect(result.outcomes.masked, describeResult(result)).toBeGreaterThan(10);
    expect(result.outcomes.corrected + result.outcomes.sdc + result.outcomes.detected).toBe(0);
    expect(result.activatedTasks).toBe(0);
    expect(result.coverage.estimate).toBeNull();
  });

  it('a task that throws by design: the error is its right answer', async () => {
    const result = await campaign({
      pool: { filename: TASKS, faultDomain: 'none', cores: 3, redundancy: 'tmr' },
      task: { name: 'fails', inputs: ['a', 'b'] },
      faults: new FaultInjector({ seed: 5 }).transient({ rate: 0.2 }),
      tasks: 30,
    });
    expect(result.outcomes.sdc + result.outcomes.detected, describeResult(result)).toBe(0);
    expect(result.outcomes.correct + result.outcomes.masked).toBe(30);
  });
});

describe('common-mode faults defeat voting, and the report says so', () => {
  for (const redundancy of ['tmr', 'dmr'] as const) {
    it(`${redundancy.toUpperCase()}: the same wrong value on two replicas reaches the caller`, async () => {
      const faults = new FaultInjector({ seed: 13 }).commonMode({ rate: 0.1 });
      const result = await campaign({
        // Never disable: a wrong majority gets the one right core charged, and a pool that disabled
        // it would refuse later tasks (detected) instead of showing every SDC.
        pool: { filename: TASKS, faultDomain: 'none', cores: 4, redundancy, health: NEVER_DISABLE },
        task: { name: 'fib', inputs: FIBS },
        faults,
        tasks: 400,
      });
      const commonModeTasks = new Set(faults.log.filter((r) => r.model === 'common-mode').map((r) => r.taskId)).size;
      expect(commonModeTasks).toBeGreaterThan(20);
      // Every task hit by a common-mode fault is an SDC, and nothing else is.
      expect(result.outcomes.sdc, describeResult(result)).toBe(commonModeTasks);
      expect(result.models[0]!.outcomes.sdc).toBe(commonModeTasks);
      expect(result.coverage.sdc).toBe(commonModeTasks);
      expect(result.coverage.estimate!).toBeLessThan(0.01);
      expect(result.sdcExamples[0]!.models).toEqual(['common-mode']);
      expect(result.sdcCauses).toEqual({ 'common-mode': commonModeTasks, 'identical flips': 0, other: 0, 'no fault injected': 0 });
      expect(() => expectProtected(result)).toThrow(ProtectionError);
      expect(() => expectProtected(result)).toThrow(/silent data corruption/);
    });
  }

  it('a fixed wrong value (order.replace) on all three TMR replicas', async () => {
    const result = await campaign({
      pool: { filename: TASKS, faultDomain: 'none', cores: 3, redundancy: 'tmr' },
      task: { name: 'fib', inputs: [10] },
      faults: new FaultInjector({ seed: 3 }).commonMode({ rate: 0.25, replicas: 3, value: -1 }),
      tasks: 40,
      concurrency: 1,
    });
    expect(result.outcomes.sdc).toBeGreaterThan(3);
    expect(result.outcomes.sdc + result.outcomes.correct).toBe(40);
  });
});

describe('late evidence', () => {
  it('a slow replica that outlasts taskTimeout is charged, never masked, even among the last tasks', async () => {
    // 20 ms × 40 is twice taskTimeout: every slow replica that runs times out, whenever it ran.
    const result = await campaign({
      pool: { filename: TASKS, faultDomain: 'none', cores: 5, redundancy: 'tmr', taskTimeout: 400, health: NEVER_DISABLE },
      task: { name: 'sleep', inputs: [20] },
      faults: new FaultInjector({ seed: 1 }).slow({ core: 2, factor: 40 }),
      tasks: 30,
      concurrency: 2,
    });
    expect(result.models[0]!.injected, describeResult(result)).toBeGreaterThan(0);
    expect(result.outcomes.masked, describeResult(result)).toBe(0);
    expect(result.models[0]!.activated, describeResult(result)).toBe(result.models[0]!.injected);
  });
});

describe('bad campaign input is a typed error', () => {
  const base = { pool: { filename: TASKS, faultDomain: 'none' as const, cores: 3 }, task: { name: 'fib', inputs: [1, 2] }, faults: new FaultInjector() };
  it('unknown task (computed golden and supplied golden)', async () => {
    const a = await rejection(campaign({ ...base, task: { name: 'nope', inputs: [1] } }));
    expect(a.code).toBe('ERR_TASK_NOT_FOUND');
    expect(a.message).toContain('"nope"');
    const b = await rejection(campaign({ ...base, task: { name: 'nope', inputs: [1] }, golden: [1] }));
    expect(b.code).toBe('ERR_TASK_NOT_FOUND');
  });

  it('non-cloneable inputs, rates outside [0, 1], unknown cores, bad pool options', async () => {
    const notCloneable = await rejection(campaign({ ...base, task: { name: 'fib', inputs: [1, { f: () => 1 }] } }));
    expect(notCloneable.code).toBe('ERR_NOT_CLONEABLE');
    expect(notCloneable.message).toContain('task.inputs[1]');
    await expect(async () => campaign({ ...base, faults: new FaultInjector().transient({ rate: 1.01 }) })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
    const unknownCore = await rejection(campaign({ ...base, faults: new FaultInjector().stuck({ core: 5 }) }));
    expect(unknownCore.code).toBe('ERR_INVALID_OPTION');
    expect(unknownCore.message).toContain('core 5');
    const badPool = await rejection(campaign({ ...base, pool: { filename: TASKS, faultDomain: 'none', redundancy: 'qmr' as 'tmr' } }));
    expect(badPool.code).toBe('ERR_INVALID_OPTION');
    expect(badPool.message).toContain('"redundancy"');
  });

  it('hang faults (or input flips) with taskTimeout Infinity are refused before anything runs: a hung replica would never end', async () => {
    for (const faults of [new FaultInjector({ seed: 1 }).hang({ rate: 0.2 }), new FaultInjector({ seed: 1 }).transient({ rate: 0.2, target: 'input' })]) {
      const error = await rejection(campaign({ ...base, pool: { ...base.pool, taskTimeout: Infinity }, faults }));
      expect(error.code).toBe('ERR_INVALID_OPTION');
      expect(error.message).toContain('"pool.taskTimeout"');
      expect(error.message).toContain('received Infinity');
    }
  });
});

describe('the golden run', () => {
  const pool = { filename: TASKS, faultDomain: 'none' as const, cores: 3 };

  it('a task that hangs with no fault stops the campaign at taskTimeout with ERR_GOLDEN_RUN, instead of hanging it', async () => {
    const error = await rejection(campaign({ pool: { ...pool, taskTimeout: 300 }, task: { name: 'hangsOn', inputs: [1, 2, 3] }, faults: new FaultInjector() }));
    expect(error).toMatchObject({ code: 'ERR_GOLDEN_RUN', data: { index: 1, reason: 'timeout', taskTimeout: 300 } });
    expect(error.message).toContain('of input 1 did not finish within taskTimeout (300 ms)');
  });

  it('a task that ends its thread stops the campaign with ERR_GOLDEN_RUN, not the process', async () => {
    const error = await rejection(campaign({ pool, task: { name: 'exitsOn', inputs: [1, 2] }, faults: new FaultInjector() }));
    expect(error).toMatchObject({ code: 'ERR_GOLDEN_RUN', data: { index: 1, reason: 'crash' } });
    expect(error.message).toContain('exit code 5');
  });

  it('a supplied golden function that throws stops the campaign with ERR_GOLDEN_RUN naming the input and what it threw', async () => {
    const golden = (x: unknown): unknown => {
      if (x === 2) throw new Error('my golden bug');
      return x;
    };
    const error = await rejection(campaign({ pool, task: { name: 'fib', inputs: [1, 2] }, tasks: 10, faults: new FaultInjector(), golden }));
    expect(error).toMatchObject({ code: 'ERR_GOLDEN_RUN', data: { index: 1, reason: 'threw', thrown: 'Error: my golden bug' } });
    expect(error.message).toContain('golden function threw on input 1 (Error: my golden bug)');
  });

  it('a wrong supplied golden answer gives SDCs with no injection: counted under "no fault injected", with examples', async () => {
    const result = await campaign({ pool, task: { name: 'fib', inputs: [10] }, tasks: 3, faults: new FaultInjector(), golden: [-1] });
    expect(result.outcomes.sdc).toBe(3);
    expect(result.uninjected.sdc).toBe(3);
    expect(result.sdcCauses['no fault injected']).toBe(3);
    expect(result.sdcExamples.map((e) => e.cause)).toEqual(['no fault injected', 'no fault injected', 'no fault injected']);
  });

  it("runs with the pool's workerData and env, as the replicas do", async () => {
    const result = await campaign({
      pool: { ...pool, workerData: { tenant: 'a' }, env: { ...process.env, TRIPLEX_GOLDEN: 'yes' } },
      task: { name: 'threadSettings', inputs: [1, 2] },
      faults: new FaultInjector(),
    });
    expect(result.outcomes).toMatchObject({ correct: 2, sdc: 0, detected: 0 });
  });
});

describe('stopping early', () => {
  it('an aborted campaign stops dispatching and reports what it measured', async () => {
    const controller = new AbortController();
    const result = await campaign({
      pool: { filename: TASKS, faultDomain: 'none', cores: 3, redundancy: 'tmr', health: NEVER_DISABLE },
      task: { name: 'spin', inputs: [500] },
      faults: new FaultInjector({ seed: 1 }).transient({ rate: 0.05 }),
      tasks: 100_000,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 50) controller.abort();
      },
    });
    expect(result.interrupted).toBe(true);
    expect(result.tasks.settled).toBeGreaterThanOrEqual(50);
    expect(result.tasks.settled).toBe(result.tasks.submitted);
    expect(result.tasks.settled).toBeLessThan(1000);
  });

  it('a pool that runs out of cores for good ends the campaign instead of refusing every remaining task', async () => {
    const result = await campaign({
      pool: { filename: TASKS, faultDomain: 'none', cores: 3, redundancy: 'tmr' },
      task: { name: 'fib', inputs: FIBS },
      faults: new FaultInjector({ seed: 2 }).stuck({ core: 0 }),
      tasks: 100_000,
    });
    expect(result.exhausted).toBe(true);
    // What it cost, counted: tasks refused for want of cores, and the planned ones never submitted.
    expect(result.outOfCores.refused).toBeGreaterThan(0);
    expect(result.outOfCores.unrun).toBe(100_000 - result.tasks.submitted);
    expect(result.interrupted).toBe(false);
    expect(result.cores[0]!.state).toBe('disabled');
    expect(result.tasks.submitted).toBeLessThan(1000);
    expect(result.outcomes.detected).toBeGreaterThan(0);
    expect(result.outcomes.sdc).toBe(0);
    expect(formatSummary(result)).toContain('(out of cores)');
  });

  it('the CLI, sent SIGINT mid-campaign, waits for tasks in flight and still writes its JSON', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'triplex-cli-'));
    const json = path.join(dir, 'out.json');
    const html = path.join(dir, 'out.html');
    const child = spawn(
      process.execPath,
      [
        CLI,
        'campaign',
        '--task',
        `${TASKS}#spin`,
        '--inputs',
        '[1000]',
        '--tasks',
        '1000000',
        '--cores',
        '3',
        '--fault-domain',
        'none',
        '--transient',
        '0.01',
        '--false-alarm',
        '0',
        '--seed',
        '4',
        '--json',
        json,
        '--html',
        html,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('running up to')) resolve();
      });
      child.on('exit', () => reject(new Error(`the CLI exited before it started: ${stderr}`)));
    });
    child.kill('SIGINT');
    const code = await exited;
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('interrupted');
    const written = JSON.parse(readFileSync(json, 'utf8')) as CampaignResult;
    expect(written.interrupted).toBe(true);
    expect(written.tasks.settled).toBeGreaterThan(0);
    expect(written.tasks.settled).toBe(written.tasks.submitted);
    expect(written.config.seed).toBe(4);
    expect(readFileSync(html, 'utf8')).toContain('interrupted');
    expect(stdout).toContain('(interrupted)');
  });

  it('the CLI rejects bad flags with a typed error and exit code 1', () => {
    const run = spawnSync(process.execPath, [CLI, 'campaign', '--task', `${TASKS}#fib`, '--inputs', '[1]', '--crash', '2'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('ERR_INVALID_OPTION');
    expect(run.stderr).toContain('"crash.rate"');
    const help = spawnSync(process.execPath, [CLI, 'campaign', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--intermittent CORE:PERIOD:BURST');
    expect(existsSync(CLI)).toBe(true);
  });
});

describe('golden errors', () => {
  it('a task that throws a DOMException on every replica is correct, not an SDC (its prototype code does not travel)', async () => {
    const FILE = fileURLToPath(new URL('./fixtures/unprintable.mjs', import.meta.url));
    const result = await campaign({
      pool: { filename: FILE, faultDomain: 'none', cores: 3, redundancy: 'tmr' },
      task: { name: 'throwsDomException', inputs: [1, 2, 3] },
      faults: new FaultInjector({ seed: 1 }).transient({ rate: 1e-9 }), // a campaign needs a model; this one never fires
    });
    expect(result.outcomes, describeResult(result)).toMatchObject({ sdc: 0, correct: 3 });
  });
});
