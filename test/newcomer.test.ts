/** What a new user hit in reports and detailed results: each answer must say what it means. */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { FaultInjector, Triplex } from '../dist/index.js';
import { parseScenario, renderHtml, runScenario } from '../dist/sim.js';

const FILENAME = fileURLToPath(new URL('./fixtures/compat-tasks.mjs', import.meta.url));

describe('detailed results and reports', () => {
  it('runDetailed: a replica still running when the majority agreed is ok: null, not ok: false', async () => {
    // Core 2 spins 40× as long as the task took: the two others agree first.
    const faults = new FaultInjector({ seed: 1 }).slow({ core: 2, factor: 40 });
    await using pool = new Triplex({ filename: FILENAME, cores: 3, pin: 'off', faultDomain: 'none', faults });
    const result = await pool.runDetailed(20, { name: 'sleep' });
    expect(result.value).toBe(20);
    const slow = result.replicas.find((r) => r.core === 2)!;
    expect(slow).toMatchObject({ status: 'running', ok: null });
    expect(result.replicas.filter((r) => r.ok === true)).toHaveLength(2);
  });

  it('the sim report draws failed and disabled cores as separate charts, one line per run (a shared schedule once)', () => {
    const scenario = parseScenario({
      cores: 6,
      seed: 1,
      tasks: { count: 400, service: { dist: 'constant', mean: 1 } },
      faults: { failed: 1 },
      variants: [
        { name: 'static', binding: 'static' },
        { name: 'dynamic', binding: 'dynamic' },
      ],
    });
    const html = renderHtml(runScenario(scenario));
    expect(html).not.toContain('Disabled and failed cores');
    const chart = (title: string): string => html.slice(html.indexOf(`aria-label="${title}"`), html.indexOf('</svg>', html.indexOf(`aria-label="${title}"`)));
    expect(chart('Failed cores over time (the fault schedule)')).toContain('every run');
    const disabled = chart('Disabled cores over time');
    expect(disabled).toContain('static');
    expect(disabled).toContain('dynamic');
  });
});
