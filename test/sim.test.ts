// The simulator against numbers that can be worked out by hand (processor sharing, static vs
// dynamic capacity and speed), its determinism, and the typed errors of scenario files.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run as simCommand } from '../dist/cli/commands/sim.js';
import { isTriplexError } from '../dist/errors.js';
import { loadScenario, parseScenario, renderHtml, resolveConfig, runScenario, simulate, type SimResult } from '../dist/sim/index.js';

const SCENARIOS = fileURLToPath(new URL('../bench/scenarios/', import.meta.url));

/** A small valid configuration, overridden per test. Every run is seeded (seed 1 unless set). */
function config(over: Record<string, unknown> = {}) {
  return resolveConfig({ cores: 12, redundancy: 'tmr', tasks: { count: 3000, service: { dist: 'constant', mean: 1 } }, seed: 1, ...over });
}

function withoutWall(r: SimResult): unknown {
  const { wallMs: _wall, cpuMs: _cpu, ...rest } = r;
  return rest;
}

function expectOptionError(fn: () => unknown, option: string, kind: 'type' | 'range'): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(isTriplexError(caught), `expected a TriplexError for ${option}, got ${String(caught)}`).toBe(true);
  const e = caught as Error & { code: string; data: { option: string } };
  expect(e.code).toBe('ERR_INVALID_OPTION');
  expect(e.data.option).toBe(option);
  expect(e).toBeInstanceOf(kind === 'type' ? TypeError : RangeError);
  expect(e.message).toContain(option);
}

describe('scenario files', () => {
  const base = { cores: 6, tasks: { count: 10, service: { dist: 'constant', mean: 1 } } };

  it('the simulator is a package entry: triplex/sim runs a scenario', async () => {
    const sim = await import('triplex/sim');
    const result = sim.runScenario(sim.parseScenario({ ...base, cores: 4 }));
    expect(result.results.length).toBe(1);
    expect(result.results[0]!.tasks).toMatchObject({ submitted: 10, settled: 10, lost: 0, correct: 10 });
    expect(sim.formatTable(result.results)).toContain('tasks/s');
    // Slow runs keep their rate: three significant digits, not rounded to 0.
    const rates = [0.04487, 4.5678, 46.34, 3975.1].map((throughput) => sim.tableRows([{ ...result.results[0]!, throughput }])[0]!['tasks/s']);
    expect(rates).toEqual(['0.0449', '4.57', '46.3', '3975']);
    // …and so does the result: 10 tasks of a minute on 4 cores, a fraction of a task per second.
    const slow = sim.runScenario(sim.parseScenario({ ...base, cores: 4, taskTimeout: null, tasks: { count: 10, service: { dist: 'constant', mean: 60_000 } } }))
      .results[0]!;
    const exact = (slow.tasks.correct / slow.simMs) * 1000;
    expect(exact).toBeLessThan(1);
    expect(Math.abs(slow.throughput - exact) / exact).toBeLessThan(1e-3);
  });

  it('every shipped scenario parses', () => {
    const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) expect(loadScenario(path.join(SCENARIOS, file)).runs.length).toBeGreaterThan(0);
  });

  it('a bad field gives ERR_INVALID_OPTION naming the field and the value', () => {
    expectOptionError(() => parseScenario({ ...base, binding: 'stattic' }), 'binding', 'range');
    expectOptionError(() => parseScenario({ ...base, cores: '6' }), 'cores', 'type');
    expectOptionError(() => parseScenario({ ...base, cores: 2048 }), 'cores', 'range');
    expectOptionError(() => parseScenario({ ...base, faults: { transiant: { rate: 0.1 } } }), 'faults.transiant', 'type');
    expectOptionError(() => parseScenario({ ...base, faults: { transient: { rate: 2 } } }), 'faults.transient.rate', 'range');
    expectOptionError(() => parseScenario({ ...base, faults: { failed: [1, 9] } }), 'faults.failed[1]', 'range');
    expectOptionError(() => parseScenario({ ...base, tasks: { count: 10, service: { dist: 'gamma', mean: 1 } } }), 'tasks.service.dist', 'range');
    expectOptionError(() => parseScenario({ ...base, faults: { hang: { rate: 0.1 } }, taskTimeout: null }), 'taskTimeout', 'range');
    expectOptionError(() => parseScenario({ ...base, variants: [{ name: 'a' }, { name: 'b', redundancy: 'qmr' }] }), 'variants[1].redundancy', 'range');
    expectOptionError(() => parseScenario({ ...base, sweep: { param: 'faults.failed', values: [0, 1, 99] } }), 'sweep.values[2] (faults.failed)', 'range');
    expectOptionError(() => parseScenario({ ...base, sweep: { param: 'colour', values: [1] } }), 'sweep.param', 'range');
    // health.nondeterministic names the simulator's kinds ('task', 'flaky'): a typo is refused, not ignored.
    expectOptionError(() => parseScenario({ ...base, health: { nondeterministic: ['flakey'] } }), 'health.nondeterministic[0]', 'range');
    expectOptionError(() => parseScenario({ ...base, health: { nondeterministic: ['flaky', 'FLAKY'] } }), 'health.nondeterministic[1]', 'range');
    expect(() => parseScenario({ ...base, health: { nondeterministic: ['flaky', 'task'] } })).not.toThrow();
    // Static binding's spares by the pool's own rule: one whole group must be left beside them.
    expectOptionError(() => parseScenario({ ...base, cores: 4, redundancy: 'dmr', binding: 'static', spares: 3 }), 'spares', 'range');
    expectOptionError(() => parseScenario({ ...base, binding: 'static', variants: [{ name: 'a' }, { name: 'b', spares: 4 }] }), 'variants[1].spares', 'range');
    expect(() => parseScenario({ ...base, cores: 4, redundancy: 'dmr', binding: 'static', spares: 2 })).not.toThrow();
    expect(() => parseScenario({ ...base, cores: 4, redundancy: 'dmr', binding: 'dynamic', spares: 4 })).not.toThrow();
    expect(() => parseScenario({ ...base, redundancy: 'dmr', variants: [{ name: 'tmr', redundancy: 'tmr' }] })).not.toThrow();
  });

  it('variants and sweeps expand in order: sweep points outer, variants inner', () => {
    const s = parseScenario({
      ...base,
      variants: [{ name: 'static', binding: 'static' }, { name: 'dynamic' }],
      sweep: { param: 'faults.failed', values: [0, 2] },
    });
    expect(s.runs.map((r) => [r.variant, r.point, r.config.binding, r.config.faults.failed])).toEqual([
      ['static', 0, 'static', 0],
      ['dynamic', 0, 'dynamic', 0],
      ['static', 2, 'static', 2],
      ['dynamic', 2, 'dynamic', 2],
    ]);
  });
});

describe('simulation', () => {
  it('same seed, same results; another seed, other results', () => {
    const c = config({
      tasks: { count: 2000, service: { dist: 'exponential', mean: 1 } },
      faults: { transient: { rate: 0.01 }, failed: 2 },
      speed: { sigma: 0.3 },
    });
    const a = simulate(c);
    expect(withoutWall(simulate(c))).toEqual(withoutWall(a));
    expect(withoutWall(simulate({ ...c, seed: 2 }))).not.toEqual(withoutWall(a));
  });

  it('processor sharing: 6 cores on 2 CPUs run TMR at 2 CPUs / 3 replicas', () => {
    for (const binding of ['static', 'dynamic'] as const) {
      const r = simulate(config({ cores: 6, cpus: 2, binding, tasks: { count: 3000, service: { dist: 'constant', mean: 1 } } }));
      expect(r.throughput / 666.67, binding).toBeCloseTo(1, 1);
    }
  });

  it('capacity: dynamic keeps (n - f)/n, static loses k per fault without spares', () => {
    for (const [redundancy, failed, k] of [
      ['tmr', [0, 3, 6], 3],
      ['dmr', [0, 2, 4], 2],
    ] as const) {
      // Default health: three stuck cores at once are each judged against the fleet's base rate.
      const faults = { failed: [...failed] };
      const dyn = simulate(config({ redundancy, binding: 'dynamic', faults }));
      const stat = simulate(config({ redundancy, binding: 'static', faults }));
      expect(dyn.capacity.final, redundancy).toBe(12 - failed.length);
      expect(dyn.capacity.retained).toBeCloseTo((12 - failed.length) / 12, 6);
      expect(stat.capacity.final, redundancy).toBe(12 - k * failed.length);
      expect(dyn.cores.disabled).toBe(failed.length);
      expect(stat.cores.disabled).toBe(failed.length);
      for (const r of [dyn, stat]) expect(r.tasks.correct, `${redundancy} ${r.config.binding}`).toBe(3000);
    }
  });

  it('a spare keeps a static group in service', () => {
    const r = simulate(config({ cores: 7, binding: 'static', spares: 1, faults: { failed: [0] } }));
    expect(r.capacity.initial).toBe(6);
    expect(r.capacity.final).toBe(6);
  });

  it('static groups run at the slower core speed: a slow core costs static more than dynamic', () => {
    const slow = { slow: [{ core: 0, factor: 2 }] };
    const stat = simulate(config({ cores: 6, binding: 'static', speed: slow }));
    const dyn = simulate(config({ cores: 6, binding: 'dynamic', speed: slow }));
    // Static: one group at full speed, one at half = 1.5 tasks/ms. Dynamic: 5.5 cores' worth / 3.
    expect(stat.throughput / 1500).toBeCloseTo(1, 2);
    expect(dyn.throughput / 1833.3).toBeCloseTo(1, 2);
    expect(dyn.throughput).toBeGreaterThan(stat.throughput);
  });

  it('DMR tie-breaks on a third core and disables a stuck core on evidence', () => {
    const r = simulate(config({ redundancy: 'dmr', binding: 'dynamic', faults: { failed: [2] } }));
    expect(r.tasks.correct).toBe(3000);
    expect(r.counters.retries).toBeGreaterThanOrEqual(3);
    expect(r.disables.map((d) => [d.core, d.cause])).toEqual([[2, 'permanent']]);
    expect(r.timeToDisable.count).toBe(1);
    expect(r.timeToDisable.meanMs).toBeGreaterThan(0);
  });

  it('a wrong value is returned only with common-mode faults', () => {
    const faults = { failed: [0, 1], commonMode: 1 };
    const cm = simulate(config({ binding: 'static', health: { falseAlarm: 0 }, faults }));
    const distinct = simulate(config({ binding: 'static', health: { falseAlarm: 0 }, faults: { failed: [0, 1] } }));
    expect(cm.tasks.sdc).toBeGreaterThan(0);
    expect(distinct.tasks.sdc).toBe(0);
  });

  it('hangs time out and are charged; crashes are charged', () => {
    const hang = simulate(config({ taskTimeout: 10, faults: { failed: [1], failureMode: 'hang' } }));
    expect(hang.counters.timeouts).toBeGreaterThanOrEqual(3);
    expect(hang.disables.map((d) => d.core)).toEqual([1]);
    const crash = simulate(config({ faults: { failed: [4], failureMode: 'crash' }, restartMs: 5 }));
    expect(crash.counters.crashes).toBeGreaterThanOrEqual(3);
    expect(crash.disables.map((d) => d.core)).toEqual([4]);
    for (const r of [hang, crash]) expect(r.tasks.correct).toBe(3000);
  });

  it('self-tests keep a stuck core out and bring a falsely disabled one back', () => {
    const selfTest = { after: 5, passes: 2, maxProbations: 3, probationTasks: 5, probeMs: 1 };
    const stuck = simulate(config({ health: { selfTest }, faults: { failed: [3] } }));
    expect(stuck.counters.selfTests).toBeGreaterThan(0);
    expect(stuck.cores.disabled).toBe(1);
    const flaky = simulate(
      config({
        health: { selfTest },
        faults: { transient: { rate: 0, perCore: [{ core: 5, rate: 0.5 }] } },
        tasks: { count: 200, service: { dist: 'constant', mean: 1 } },
      }),
    );
    expect(flaky.disables.some((d) => d.core === 5)).toBe(true);
    expect(flaky.counters.selfTests).toBeGreaterThan(0);
  });

  it('with faultDomain cpu, no two replicas of a task share a simulated CPU; too few CPUs is an option error', () => {
    const r = simulate(config({ cores: 12, cpus: 4, faultDomain: 'cpu', faults: { failed: [1] } }));
    expect(r.tasks.correct).toBe(3000);
    expect(r.disables.map((d) => d.core)).toEqual([1]);
    expectOptionError(() => config({ cores: 12, cpus: 2, faultDomain: 'cpu' }), 'faultDomain', 'range');
    expectOptionError(() => config({ faultDomain: 'socket' }), 'faultDomain', 'range');
  });

  it('three stuck cores at once are all disabled and their kind never reads as non-deterministic', () => {
    const r = simulate(config({ binding: 'static', faults: { failed: [0, 3, 6] } }));
    expect(r.suspicions).toEqual([]);
    expect(r.timeToDisable.undetected).toBe(0);
    expect(r.disables.map((d) => d.core).sort((a, b) => a - b)).toEqual([0, 3, 6]);
    expect(r.tasks.correct).toBe(3000); // TMR still masks every wrong answer
  });

  it("a flaky kind (5 % of replicas diverge) disables nobody and reads as non-deterministic; the other kind's stuck core is still disabled", () => {
    const tasks = { count: 10_000, service: { dist: 'constant', mean: 1 } };
    const flaky = simulate(config({ cores: 6, cpus: 6, tasks, faults: { flaky: { share: 1, rate: 0.05 } } }));
    expect(flaky.cores.disabled).toBe(0);
    expect(flaky.suspicions.length).toBeGreaterThanOrEqual(1);
    const mixed = simulate(config({ cores: 6, cpus: 6, tasks, faults: { flaky: { share: 0.5, rate: 0.05 }, failed: [4] } }));
    expect(mixed.disables.map((d) => d.core)).toEqual([4]);
    const declared = simulate(config({ cores: 6, cpus: 6, health: { nondeterministic: ['flaky'] }, faults: { flaky: { share: 1, rate: 0.05 } } }));
    expect(declared.cores.disabled).toBe(0);
  });

  it('Poisson arrivals below capacity: throughput follows the arrival rate', () => {
    const r = simulate(config({ tasks: { count: 4000, arrival: { kind: 'poisson', rate: 2000 }, service: { dist: 'exponential', mean: 1 } } }));
    expect(r.throughput / 2000).toBeCloseTo(1, 1);
    expect(r.latency.p99).toBeGreaterThan(r.latency.p50);
  });
});

describe('report and command', () => {
  it('renders a self-contained HTML report with charts', () => {
    const s = parseScenario({
      cores: 6,
      tasks: { count: 300, service: { dist: 'constant', mean: 1 } },
      variants: [{ name: 'static', binding: 'static' }, { name: 'dynamic' }],
      sweep: { param: 'faults.failed', values: [0, 1, 2] },
    });
    const html = renderHtml(runScenario(s));
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(6);
    expect(html).toContain('Throughput vs faults.failed');
    expect(html).not.toMatch(/<script|<link|src="http/);
  });

  it('`triplex sim` prints a table and writes the JSON and HTML files', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'triplex-sim-'));
    const file = path.join(dir, 's.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify({ name: 't', cores: 4, redundancy: 'dmr', tasks: { count: 200, service: { dist: 'constant', mean: 1 } } }));
    const log = console.log;
    const lines: string[] = [];
    console.log = (...a: unknown[]) => void lines.push(a.join(' '));
    const write = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(await simCommand([file, '--json', path.join(dir, 'o.json'), '--html', path.join(dir, 'o.html'), '--seed', '5'])).toBe(0);
    } finally {
      console.log = log;
      process.stderr.write = write;
    }
    expect(lines.join('\n')).toContain('tasks/s');
    const out = JSON.parse(readFileSync(path.join(dir, 'o.json'), 'utf8')) as { results: SimResult[] };
    expect(out.results[0]!.config.seed).toBe(5);
    expect(readFileSync(path.join(dir, 'o.html'), 'utf8')).toContain('<svg');
    await expect(simCommand([file, '--seed', 'x'])).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});
