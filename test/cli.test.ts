/** The `triplex` command's errors a new user meets: exit status, one line on stderr, no stack trace. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const TASKS = fileURLToPath(new URL('./fixtures/tasks.mjs', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function triplex(args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, cwd });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** One line on stderr, no stack frames. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

describe('triplex CLI', () => {
  it('--version prints the package version', () => {
    expect(triplex(['--version'])).toMatchObject({ status: 0, stdout: `${VERSION}\n` });
  });

  it.each([
    ['audit', ['audit', 'log.jsonl', '--jsn']],
    ['sim', ['sim', 'slow-core', '--nope']],
    ['cores', ['cores', '--bogus']],
    ['campaign', ['campaign', '--task', TASKS, '--inputs', '[1]', '--bogus']],
  ])('an unknown flag of `%s` is one line naming it, exit status 2', (command, args) => {
    const run = triplex(args);
    expect(run.status).toBe(2);
    expect(oneLine(run.stderr)).toMatch(new RegExp(`^triplex ${command}: Unknown option '--\\w+' \\(see \`triplex ${command} --help\`\\)$`));
  });

  it('an unknown command, or a missing argument, is a one-line usage error with exit status 2', () => {
    const unknown = triplex(['bogus']);
    expect(unknown.status).toBe(2);
    expect(oneLine(unknown.stderr)).toContain('unknown command "bogus"');
    for (const command of ['audit', 'sim']) {
      const missing = triplex([command]);
      expect(missing.status).toBe(2);
      expect(oneLine(missing.stderr)).toMatch(new RegExp(`^triplex ${command}: expects one`));
    }
    const bare = triplex([]);
    expect(bare.status).toBe(2);
    expect(bare.stderr).toContain('Usage: triplex <command>');
    expect(oneLine(triplex(['campaign']).stderr)).toMatch(/^triplex campaign: expects --task/);
    expect(triplex(['campaign']).status).toBe(2);
    const noInputs = triplex(['campaign', '--task', TASKS]);
    expect(noInputs.status).toBe(2);
    expect(oneLine(noInputs.stderr)).toMatch(/^triplex campaign: expects --inputs/);
  });

  it('audit: a file whose every line is malformed says so, exit status 1', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'triplex-cli-'));
    try {
      const garbage = path.join(dir, 'garbage.jsonl');
      writeFileSync(garbage, 'garbage\n{"x":1}\n');
      const run = triplex(['audit', garbage]);
      expect(run.status).toBe(1);
      expect(oneLine(run.stderr)).toContain('has no audit line: all 2 line(s) are malformed (line 1:');
      expect(run.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sim: a report path that cannot be written fails before the simulation, and no directory is created', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'triplex-sim-'));
    try {
      for (const flag of ['--html', '--json']) {
        const out = path.join(dir, 'missing', 'report');
        const run = triplex(['sim', 'slow-core', flag, out]);
        expect(run.status).toBe(1);
        expect(oneLine(run.stderr)).toContain(`Option "${flag}" must be a path that can be written (ENOENT`);
        expect(run.stdout).toBe('');
        expect(existsSync(path.join(dir, 'missing'))).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('audit: an empty file says so; a missing one is a usage error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'triplex-cli-'));
    try {
      const empty = path.join(dir, 'empty.jsonl');
      writeFileSync(empty, '');
      const run = triplex(['audit', empty]);
      expect(run.status).toBe(1);
      expect(oneLine(run.stderr)).toContain('is empty: no audit line was written');
      const missing = triplex(['audit', path.join(dir, 'none.jsonl')]);
      expect(missing.status).toBe(2);
      expect(oneLine(missing.stderr)).toContain('cannot read');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('campaign: a report path that cannot be written fails before the campaign runs', () => {
    const started = Date.now();
    const run = triplex(['campaign', '--task', `${TASKS}#fib`, '--inputs', '[30]', '--tasks', '100000', '--html', '/nonexistent-dir/report.html']);
    expect(run.status).toBe(1);
    expect(oneLine(run.stderr)).toMatch(/ERR_INVALID_OPTION: Option "--html" must be a path that can be written \(ENOENT/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('campaign: a golden run that throws is a loud warning and exit status 1 (unless --allow-golden-errors)', () => {
    const args = ['campaign', '--task', `${TASKS}#fails`, '--inputs', '"oops"', '--cores', '3', '--pin', 'off', '--fault-domain', 'none', '--quiet'];
    const run = triplex(args);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/WARNING: the fault-free golden run threw on 1 of 1 inputs \(RangeError: bad input: oops\)/);
    const allowed = triplex([...args, '--allow-golden-errors']);
    expect(allowed.status).toBe(0);
    expect(allowed.stderr).toContain('WARNING');
  });

  it('campaign: --inputs takes inline JSON (a value that is not an array is one input)', () => {
    const run = triplex([
      'campaign',
      '--task',
      `${TASKS}#sha`,
      '--inputs',
      '{"text":"a","rounds":2}',
      '--cores',
      '3',
      '--pin',
      'off',
      '--fault-domain',
      'none',
    ]);
    expect(run.stderr).toBe('triplex campaign: running up to 1 tasks\n');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/correct/);
  });

  it('sim: a shipped scenario runs by name from any directory', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'triplex-sim-'));
    try {
      const run = triplex(['sim', 'slow-core', '--json', 'out.json'], dir);
      expect(run.status, run.stderr).toBe(0);
      expect(existsSync(path.join(dir, 'out.json'))).toBe(true);
      expect(triplex(['sim', '--help']).stdout).toContain('static-vs-dynamic-16');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
