// The HTML report: self-contained, escaped, and it renders its charts in a real browser.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { campaign, FaultInjector, renderHtml, type CampaignResult } from '../dist/index.js';
import { TASKS } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
// The screenshot test needs a headless browser; CI installs chromium, a bare dev machine may not have it.
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.info(`report tests: ${CHROMIUM} not found, the browser test is skipped (apt-get install chromium to run it)`);

const CHART_KINDS = ['outcomes-per-config', 'outcomes-per-model', 'faults-over-time', 'capacity-over-time', 'throughput-over-time'];
let results: CampaignResult[] = [];

beforeAll(async () => {
  const seed = 12;
  const run = (label: string, redundancy: 'dmr' | 'tmr', binding: 'dynamic' | 'static') =>
    campaign({
      label,
      pool: { filename: TASKS, faultDomain: 'none', cores: 4, redundancy, binding },
      task: { name: 'fib', inputs: Array.from({ length: 20 }, (_, i) => i + 5) },
      faults: new FaultInjector({ seed })
        .stuck({ core: 1 })
        .intermittent({ core: 3, period: 200, burst: 30, rate: 0.5 })
        .transient({ rate: 0.01 })
        .commonMode({ rate: 0.005 }),
      tasks: 600,
    });
  results = [await run('TMR <dynamic> & "quoted"', 'tmr', 'dynamic'), await run('DMR static', 'dmr', 'static')];
});

describe('HTML report', () => {
  it('is self-contained: inline CSS and SVG, no script, no external asset', () => {
    const html = renderHtml(results);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|src=|@import|url\(/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    for (const kind of CHART_KINDS) expect(html).toContain(`data-chart="${kind}"`);
    // One set of per-configuration charts for each configuration.
    expect(html.match(/data-chart="capacity-over-time"/g)).toHaveLength(2);
    // Labels are escaped, never markup.
    expect(html).toContain('TMR &lt;dynamic&gt; &amp; &quot;quoted&quot;');
    expect(html).not.toContain('<dynamic>');
  });

  it('renders the same from the JSON a campaign writes', () => {
    const revived = JSON.parse(JSON.stringify(results)) as CampaignResult[];
    const strip = (html: string): string => html.replace(/Generated \S+/, '');
    expect(strip(renderHtml(revived))).toBe(strip(renderHtml(results)));
  });

  it('charts every outcome of the tasks with no fault injected, not only the correct ones', () => {
    const refused = { ...results[0]!, uninjected: { correct: 249, masked: 0, corrected: 0, detected: 51, sdc: 0 } };
    const html = renderHtml(refused);
    expect(html).toContain('no fault injected: correct 249 of 300');
    expect(html).toContain('no fault injected: detected 51 of 300');
  });

  it('marks interrupted campaigns', () => {
    expect(renderHtml({ ...results[0]!, interrupted: true })).toContain('interrupted: partial results');
  });

  it.skipIf(!hasChromium)('opens in headless Chromium without errors and draws its charts', () => {
    const dir = path.join(tmpdir(), 'triplex-report-test');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'report.html');
    writeFileSync(file, renderHtml(results));
    const png = path.join(dir, 'report.png');
    const flags = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${path.join(dir, 'profile')}`,
    ];
    const shot = spawnSync(CHROMIUM, [...flags, '--enable-logging=stderr', `--screenshot=${png}`, '--window-size=1200,1600', `file://${file}`], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(shot.status, shot.stderr).toBe(0);
    // A page error or a failed load would be logged to stderr as a console message or a net error.
    expect(shot.stderr).not.toMatch(/CONSOLE|Uncaught|ERR_FILE_NOT_FOUND|net::ERR/);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    expect(statSync(png).size).toBeGreaterThan(20_000);
    console.info(`report tests: screenshot at ${png}`);
    const dom = spawnSync(CHROMIUM, [...flags, '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    expect(dom.status, dom.stderr).toBe(0);
    for (const kind of CHART_KINDS) expect(dom.stdout).toContain(`data-chart="${kind}"`);
    expect((dom.stdout.match(/<svg /g) ?? []).length).toBe(1 + 4 * results.length);
    // Charts hold drawn data: bar segments and polylines, not empty frames.
    expect((dom.stdout.match(/<rect [^>]*data-key=/g) ?? []).length).toBeGreaterThan(8);
    expect((dom.stdout.match(/<path d="M/g) ?? []).length).toBeGreaterThanOrEqual(4 * results.length);
  });
});
