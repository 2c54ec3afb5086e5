// A short run of the `npm start` demo: every configuration runs, single faults never reach the
// caller, common-mode faults do, and the report is written.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIGS, runDemo } from '../dist/demo/run.js';

describe('demo', () => {
  it('runs DMR/TMR × static/dynamic and a common-mode run, prints the table and writes the reports', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'triplex-demo-'));
    const html = path.join(dir, 'report.html');
    const json = path.join(dir, 'results.json');
    const lines: string[] = [];
    const demo = await runDemo({ tasks: 150, work: { rounds: 8, steps: 200 }, html, json, progress: false, log: (line) => lines.push(line), seed: 3 });
    expect(demo.results).toHaveLength(DEFAULT_CONFIGS.length);
    expect(lines).toHaveLength(DEFAULT_CONFIGS.length);
    for (const result of demo.results) {
      // All tasks ran, unless the configuration lost too many cores to serve any (static groups without spares can).
      if (!result.exhausted) expect(result.tasks.settled, result.label).toBe(150);
      expect(demo.table).toContain(result.label);
      // The stuck core is core 1 in every configuration: it is charged, and dynamic binding disables it.
      expect(result.cores[1]!.faults, result.label).toBeGreaterThan(0);
      if (result.config.binding === 'dynamic') expect(result.cores[1]!.disabledAtMs, result.label).not.toBeNull();
      if (result.label.includes('common-mode')) expect(result.models.some((m) => m.model === 'common-mode')).toBe(true);
      // Without common-mode faults, a wrong answer can only win when two independent faults flipped the same bit.
      else expect(result.outcomes.sdc, `${result.label}: ${JSON.stringify(result.sdcExamples)}`).toBe(result.sdcCauses['identical flips']);
    }
    expect(demo.htmlPath).toBe(html);
    expect(readFileSync(html, 'utf8')).toContain('data-chart="capacity-over-time"');
    expect((JSON.parse(readFileSync(json, 'utf8')) as unknown[]).length).toBe(DEFAULT_CONFIGS.length);
    expect(existsSync(path.resolve('dist/demo/main.js'))).toBe(true);
  });

  it('rejects bad options with typed errors', async () => {
    await expect(runDemo({ tasks: 0, html: false, progress: false })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(runDemo({ cores: 4, html: false, progress: false })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      message: expect.stringContaining('"cores"'),
    });
  });
});
