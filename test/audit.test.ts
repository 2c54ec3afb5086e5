// Audit log on real workers: what it records, replay into the pool's final states, levels, flushing.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FaultInjector, Triplex } from '../dist/index.js';
import { parseAuditLog, summarizeAudit } from '../dist/ops/audit-replay.js';
import { TASKS, until, pools } from './helpers.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'triplex-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pool = pools();

type Line = { seq: number; t: number; ts: string; type: string; [k: string]: unknown };
function linesOf(text: string): Line[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}
/** A stream sink that keeps every line written to it. */
function collector(): { stream: PassThrough; lines: () => Line[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, lines: () => linesOf(text) };
}

describe('audit log', () => {
  it('records every detected fault of a stuck core and replays into the same final core states', async () => {
    const file = path.join(dir, 'stuck.jsonl');
    const faults = new FaultInjector({ seed: 11 }).stuck({ core: 1 });
    const p = pool({ cores: 4, faults, audit: { file, level: 'actions' } });
    await Promise.all(Array.from({ length: 30 }, (_, i) => p.run(i + 5, { name: 'fib' })));
    // Late third replicas are judged after their task settled: wait until every injection was charged.
    await until(() => p.cores[1]!.state === 'disabled' && p.stats.faults === faults.log.length, 'every injected fault to be charged');
    p.setOffline(3);
    p.setOnline(3);
    p.setOffline(2);
    const final = p.cores.map((c) => c.state);
    const faultCounts = p.cores.map((c) => c.faults);
    await p.destroy();

    const lines = linesOf(readFileSync(file, 'utf8'));
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.t).toBeGreaterThanOrEqual(lines[i - 1]!.t);
    expect(lines[0]!.type).toBe('pool-start');
    expect(lines.at(-1)!.type).toBe('pool-stop');
    expect(lines.some((l) => l.type === 'pool-ready')).toBe(true);
    expect((lines[0]!.options as { cores: number }).cores).toBe(4);

    const faultLines = lines.filter((l) => l.type === 'fault');
    expect(faultLines.length).toBe(faults.log.length);
    for (const injected of faults.log) {
      expect(faultLines.some((l) => l.task === injected.taskId && l.core === injected.core && l.kind === 'wrong-result')).toBe(true);
    }
    expect(lines.filter((l) => l.type === 'disagreement').every((l) => (l.cores as number[]).includes(1))).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ type: 'core-state', core: 1, from: 'suspect', to: 'disabled' }));
    expect(lines).toContainEqual(expect.objectContaining({ type: 'offline', core: 3, to: 'offline' }));
    expect(lines).toContainEqual(expect.objectContaining({ type: 'online', core: 3, from: 'offline', to: 'healthy' }));
    expect(lines.some((l) => l.type === 'task')).toBe(false); // level 'actions'

    // Replay from the action lines alone (the pool-stop line removed) gives the pool's final states.
    const replay = summarizeAudit(lines.filter((l) => l.type !== 'pool-stop'));
    expect(replay.snapshot.cores.map((c) => c.state)).toEqual(final);
    expect(replay.snapshot.cores.map((c) => c.faults)).toEqual(faultCounts);
    expect(replay.gaps).toEqual([]);
    expect(replay.kinds.find((k) => k.name === 'fib')!.faults).toBe(faults.log.length);
    // With it, the replay is checked against the health export the pool recorded.
    expect(summarizeAudit(lines).mismatches).toEqual([]);
    // The replayed snapshot restores: a new pool keeps the bad core out.
    const restored = pool({ cores: 4, health: { restore: replay.snapshot } });
    expect(restored.cores[1]!.state).toBe('disabled');
    expect(restored.cores[2]!.state).toBe('offline');

    const cli = await run(process.execPath, [CLI, 'audit', file, '--json']);
    const summary = JSON.parse(cli.stdout) as { snapshot: { cores: { state: string }[] }; mismatches: string[] };
    expect(summary.snapshot.cores.map((c) => c.state)).toEqual(final);
    expect(summary.mismatches).toEqual([]);
    const text = await run(process.execPath, [CLI, 'audit', file]);
    expect(text.stdout).toContain('replay: matches what pool-stop recorded');
    expect(text.stdout).toMatch(/suspect → disabled/);

    // Its tail cut off (the pool-stop line lost): passes as a pool still running, fails with --complete.
    const cut = path.join(dir, 'cut.jsonl');
    writeFileSync(cut, readFileSync(file, 'utf8').trimEnd().split('\n').slice(0, -1).join('\n') + '\n');
    expect((await run(process.execPath, [CLI, 'audit', cut])).stdout).toContain('no pool-stop line');
    const complete = await run(process.execPath, [CLI, 'audit', cut, '--complete']).catch((error: unknown) => error as { code: number; stdout: string });
    expect(complete).toMatchObject({ code: 1 });
    expect((complete as { stdout: string }).stdout).toContain('its last lines are missing');
  });

  it('changes level at runtime, and level off attaches no listener', async () => {
    const sink = collector();
    const faults = new FaultInjector({ seed: 3 }).stuck({ core: 0 });
    const p = pool({ cores: 3, redundancy: 'dmr', faults, metrics: false, health: { falseAlarm: 0 }, audit: { stream: sink.stream, level: 'actions' } });
    await p.ready;
    expect(p.auditLevel).toBe('actions');
    await Promise.all([1, 2, 3].map((n) => p.run(n, { name: 'fib' })));
    expect(sink.lines().some((l) => l.type === 'task')).toBe(false);

    p.setAuditLevel('tasks');
    await Promise.all([4, 5, 6].map((n) => p.run(n, { name: 'fib' })));
    expect(
      sink
        .lines()
        .filter((l) => l.type === 'task')
        .map((l) => l.outcome),
    ).toEqual(['value', 'value', 'value']);

    p.setAuditLevel('debug');
    await expect(p.run('x', { name: 'fails' })).rejects.toThrow(/bad input/);
    expect(sink.lines()).toContainEqual(expect.objectContaining({ type: 'task-failed', name: 'fails', code: 'E_BAD_INPUT' }));

    p.setAuditLevel('off');
    expect(p.listenerCount('fault') + p.listenerCount('task-settled') + p.listenerCount('retry') + p.listenerCount('core-state')).toBe(0);
    const before = sink.lines().length;
    await Promise.all(Array.from({ length: 6 }, (_, i) => p.run(i + 10, { name: 'fib' })));
    expect(p.stats.faults).toBeGreaterThan(0);
    const lines = sink.lines();
    expect(lines.length).toBe(before);
    expect(lines.at(-1)).toMatchObject({ type: 'level', from: 'debug', to: 'off' });

    // Back on: a baseline of every core lets a replay start here.
    p.setAuditLevel('actions');
    expect(sink.lines().at(-1)).toMatchObject({ type: 'level', from: 'off', to: 'actions' });
    expect((sink.lines().at(-1)!.cores as unknown[]).length).toBe(3);
    const levels = sink
      .lines()
      .filter((l) => l.type === 'level')
      .map((l) => `${String(l.from)}->${String(l.to)}`);
    expect(levels).toEqual(['actions->tasks', 'tasks->debug', 'debug->off', 'off->actions']);
    expect(sink.lines().map((l) => l.seq)).toEqual(sink.lines().map((_, i) => i + 1));

    expect(() => p.setAuditLevel('loud' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    const silent = pool({ cores: 2, redundancy: 'dmr' });
    expect(silent.auditLevel).toBe('off');
    expect(() => silent.setAuditLevel('actions')).toThrow(/no audit log/);
  });

  it('destroy() resolves after the file is flushed and closed; process.exit() loses nothing either', async () => {
    const file = path.join(dir, 'flush.jsonl');
    const p = pool({ cores: 2, redundancy: 'dmr', audit: { file, level: 'tasks' } });
    await Promise.all(Array.from({ length: 40 }, (_, i) => p.run(i, { name: 'fib' })));
    await p.destroy();
    const lines = linesOf(readFileSync(file, 'utf8'));
    expect(lines.filter((l) => l.type === 'task').length).toBe(40);
    expect(lines.at(-1)).toMatchObject({ type: 'pool-stop', stats: expect.objectContaining({ completed: 40 }) });

    // A second pool appends a second run to the same file; the summary counts both.
    const again = pool({ cores: 2, redundancy: 'dmr', audit: { file } });
    await again.run(3, { name: 'fib' });
    await again.destroy();
    const parsed = parseAuditLog(readFileSync(file, 'utf8'));
    expect(summarizeAudit(parsed.lines).runs).toBe(2);
    expect(summarizeAudit(parsed.lines).gaps).toEqual([]);

    const exitFile = path.join(dir, 'exit.jsonl');
    const script = `
      import { Triplex } from ${JSON.stringify(DIST)};
      const pool = new Triplex({ filename: ${JSON.stringify(TASKS)}, cores: 2, redundancy: 'dmr', audit: { file: ${JSON.stringify(exitFile)}, level: 'tasks' } });
      await Promise.all(Array.from({ length: 25 }, (_, i) => pool.run(i, { name: 'fib' })));
      process.exit(0);`;
    await run(process.execPath, ['--input-type=module', '-e', script]);
    const exitLines = linesOf(readFileSync(exitFile, 'utf8'));
    expect(exitLines.filter((l) => l.type === 'task').length).toBe(25);
  });

  it('an honest log passes when logging stops and resumes, or starts late in a file another run wrote first', async () => {
    const file = path.join(dir, 'resume.jsonl');
    const first = pool({ cores: 3, redundancy: 'dmr', audit: { file, level: 'tasks' } });
    await Promise.all(Array.from({ length: 5 }, (_, i) => first.run(i, { name: 'fib' })));
    await first.destroy();
    // Started silent, switched on later: its run still begins with a pool-start (seq 1).
    const late = pool({ cores: 4, faults: new FaultInjector({ seed: 3 }).stuck({ core: 1 }), audit: { file, level: 'off' } });
    await late.ready;
    await late.run(1, { name: 'fib' });
    late.setAuditLevel('tasks');
    await Promise.all(Array.from({ length: 20 }, (_, i) => late.run(i, { name: 'fib' })));
    // Off while faults happen, then on again: the baseline carries the fault counts and stats.
    late.setAuditLevel('off');
    await Promise.all(Array.from({ length: 20 }, (_, i) => late.run(i + 20, { name: 'fib' })));
    late.setAuditLevel('actions');
    await Promise.all(Array.from({ length: 5 }, (_, i) => late.run(i, { name: 'fib' })));
    await until(() => late.cores.every((c) => !c.busy), 'every replica to finish');
    await late.destroy();
    const s = summarizeAudit(parseAuditLog(readFileSync(file, 'utf8')).lines);
    expect(s.runs).toBe(2);
    expect(s.gaps).toEqual([]);
    expect(s.problems).toEqual([]);
    expect(s.mismatches).toEqual([]);
    expect(s.snapshot.cores[1]!.faults).toBeGreaterThan(0);
  });

  it("level 'debug' logs a throwing listener's error without becoming an 'error' listener: it is still raised as uncaught", async () => {
    const script = `
      import { Triplex } from ${JSON.stringify(DIST)};
      import { PassThrough, Writable } from 'node:stream';
      let uncaught = 0;
      process.on('uncaughtException', () => uncaught++);
      const stream = new PassThrough(); let audit = ''; stream.on('data', (d) => (audit += d));
      const pool = new Triplex({ filename: ${JSON.stringify(TASKS)}, cores: 2, redundancy: 'dmr', audit: { stream, level: 'debug' } });
      pool.on('task-settled', () => { throw new Error('listener bug'); });
      await pool.run(10, { name: 'fib' });
      await new Promise((r) => setTimeout(r, 20));
      const errorListeners = pool.listenerCount('error');
      await pool.destroy();
      console.log(JSON.stringify({ uncaught, errorListeners, logged: audit.split('\\n').filter((l) => l.includes('"type":"error"')).length }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    expect(JSON.parse(stdout)).toEqual({ uncaught: 1, errorListeners: 0, logged: 1 });
  });

  it('a write failure reaches the user: an error event when it happens, and destroy() rejects with ERR_AUDIT_WRITE once every thread stopped', async () => {
    const broken = new Writable({ write: (_chunk, _encoding, done) => done(new Error('disk gone')) });
    // Not from pools(): its afterEach would destroy it again and get the same rejection.
    const p = new Triplex({ filename: TASKS, faultDomain: 'none', cores: 2, redundancy: 'dmr', audit: { stream: broken, level: 'tasks' } });
    const errors: Error[] = [];
    p.on('error', (e) => errors.push(e));
    let closed = false;
    p.on('close', () => (closed = true));
    await p.run(3, { name: 'fib' });
    await until(() => errors.length > 0, 'the error event');
    expect(errors[0]).toMatchObject({ code: 'ERR_AUDIT_WRITE', cause: expect.objectContaining({ message: 'disk gone' }) });
    await expect(p.destroy()).rejects.toMatchObject({ code: 'ERR_AUDIT_WRITE' });
    expect(closed).toBe(true);
    expect(errors).toHaveLength(1);
  });

  it('groups the replay by task kind: lines carry taskKind when the run option kind differs from the name', async () => {
    const sink = collector();
    const faults = new FaultInjector({ seed: 3 }).stuck({ core: 1 });
    const p = pool({ cores: 4, faults, audit: { stream: sink.stream, level: 'tasks' } });
    await Promise.all(Array.from({ length: 12 }, (_, i) => p.run(20 + i, { name: 'fib', kind: 'billing' })));
    await until(() => p.cores.every((c) => !c.busy), 'every replica to finish');
    await p.destroy();
    const lines = sink.lines();
    const faultLines = lines.filter((l) => l.type === 'fault');
    expect(faultLines.length).toBeGreaterThan(0);
    for (const l of [...faultLines, ...lines.filter((x) => x.type === 'task')]) expect(l).toMatchObject({ name: 'fib', taskKind: 'billing' });
    const s = summarizeAudit(lines as never);
    expect(s.kinds.map((k) => k.name)).toEqual(['billing']);
    expect(s.kinds[0]).toMatchObject({ tasks: 12, faults: faultLines.length });
  });

  it('logs a cause before its effects: a core disabled, then its static group stranded and the cores that left with it', async () => {
    const sink = collector();
    const p = pool({
      cores: 6,
      binding: 'static',
      faults: new FaultInjector({ seed: 3 }).stuck({ core: 1 }),
      audit: { stream: sink.stream, level: 'actions' },
    });
    const events: string[] = [];
    p.on('core-state', (e) => events.push(`${e.core}:${e.to}`));
    p.on('spare', (e) => events.push(e.type));
    for (let r = 0; r < 8 && p.cores[1]!.state !== 'disabled'; r++) await Promise.allSettled(Array.from({ length: 10 }, (_, i) => p.run(i, { name: 'fib' })));
    await p.destroy();
    const order = events.filter((e) => e !== '1:suspect');
    expect(order.slice(0, 4)).toEqual(['1:disabled', 'group-stranded', '0:stranded', '2:stranded']);
    const logged = sink
      .lines()
      .filter((l) => l.type === 'spare' || (l.type === 'core-state' && l.to !== 'suspect'))
      .map((l) => (l.type === 'spare' ? String(l.change) : `${String(l.core)}:${String(l.to)}`));
    expect(logged.slice(0, 4)).toEqual(order.slice(0, 4));
  });

  it('validates the options with typed errors', () => {
    const bad: [unknown, RegExp, string][] = [
      [5, /Option "audit" must be/, 'TypeError'],
      [{}, /a file or a stream/, 'RangeError'],
      [{ file: path.join(dir, 'x.jsonl'), level: 'loud' }, /audit.level/, 'RangeError'],
      [{ file: path.join(dir, 'x.jsonl'), colour: true }, /audit.colour/, 'RangeError'],
      [{ stream: 'stdout' }, /audit.stream/, 'TypeError'],
      [
        { file: path.join(dir, 'missing', 'dir', 'x.jsonl') },
        /"audit.file" must be a file it can open for appending \(this one cannot be opened: ENOENT/,
        'RangeError',
      ],
    ];
    for (const [audit, message, name] of bad) {
      let error: (Error & { code?: string }) | undefined;
      try {
        pool({ cores: 2, redundancy: 'dmr', audit: audit as never });
      } catch (e) {
        error = e as Error & { code?: string };
      }
      expect(error?.code).toBe('ERR_INVALID_OPTION');
      expect(error?.message).toMatch(message);
      expect(error?.name.includes(name) || (name === 'TypeError' && error instanceof TypeError) || (name === 'RangeError' && error instanceof RangeError)).toBe(
        true,
      );
    }
    expect(() => pool({ scanInterval: -1 })).toThrow(RangeError);
    expect(() => pool({ scanInterval: 5 })).toThrow(/scanInterval/);
    expect(() => pool({ metrics: 'yes' as never })).toThrow(TypeError);
  });
});
