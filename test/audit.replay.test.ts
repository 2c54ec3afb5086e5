// Replay of audit logs (pure): synthetic lines covering the state changes real pools rarely show in a test.
import { describe, expect, it } from 'vitest';
import { parseAuditLog, summarizeAudit } from '../dist/ops/audit-replay.js';
import type { AuditLine } from '../dist/ops/types.js';

let seq = 0;
function line(type: string, t: number, fields: Record<string, unknown> = {}): AuditLine {
  return { seq: ++seq, ts: new Date(1_700_000_000_000 + t).toISOString(), t, type, ...fields };
}
const start = (t: number, options: Record<string, unknown> = {}, states = ['healthy', 'healthy', 'healthy']): AuditLine => {
  seq = 0;
  return line('pool-start', t, { options: { cores: 3, ...options }, cores: states.map((state, core) => ({ core, cpu: core % 2, state })) });
};

describe('summarizeAudit', () => {
  it('replays charges, disabling, self-tests, probation, stranding and maintenance', () => {
    const lines = [
      start(0),
      line('fault', 10, {
        task: 1,
        name: 'fib',
        core: 1,
        kind: 'wrong-result',
        charged: true,
        after: { state: 'suspect', score: 1, faults: 1, excludedKinds: [] },
      }),
      line('core-state', 10, { core: 1, from: 'healthy', to: 'suspect', reason: 'charged' }),
      line('fault', 20, {
        task: 2,
        name: 'fib',
        core: 1,
        kind: 'wrong-result',
        charged: true,
        after: { state: 'disabled', score: 2, faults: 2, excludedKinds: [] },
      }),
      line('core-state', 20, { core: 1, from: 'suspect', to: 'disabled', reason: 'fault score reached 2' }),
      line('spare', 20, { change: 'group-stranded', group: 0, cores: [0, 2] }),
      line('core-state', 20, { core: 0, from: 'healthy', to: 'stranded', reason: 'its static group left service' }),
      line('self-test', 30, { core: 1, task: 'kat', passed: false, after: { state: 'disabled', score: 2, faults: 3, excludedKinds: [] } }),
      line('self-test', 40, { core: 1, task: 'kat', passed: true, after: { state: 'disabled', score: 2, faults: 3, excludedKinds: [] } }),
      line('core-state', 40, { core: 1, from: 'disabled', to: 'probation', reason: 'passed 1 known-answer test' }),
      line('core-state', 40, { core: 0, from: 'stranded', to: 'healthy', reason: 'its static group is back in service' }),
      line('offline', 50, { core: 2, from: 'healthy', to: 'offline', reason: 'taken offline by the operator' }),
      line('disagreement', 55, { task: 9, name: 'sha', digests: ['a', 'b'], cores: [0, 1] }),
      line('retry', 55, { task: 9, name: 'sha', reason: 'tie-break', cores: [2] }),
      line('nondeterminism', 60, { name: 'random', cores: [0, 1, 2] }),
      line('task', 61, { task: 9, name: 'sha', outcome: 'no-majority' }),
    ];
    const s = summarizeAudit(lines);
    expect(s.runs).toBe(1);
    expect(s.gaps).toEqual([]);
    expect(s.snapshot.cores.map((c) => c.state)).toEqual(['healthy', 'probation', 'offline']);
    expect(s.cores.map((c) => c.state)).toEqual(['healthy', 'probation', 'offline']);
    const [c0, c1, c2] = s.snapshot.cores;
    expect(c1).toMatchObject({ faults: 3, probations: 1, score: 0, lastFaultAt: 30 });
    expect(c2).toMatchObject({ onlineState: 'healthy' });
    expect(c0!.faults).toBe(0);
    expect(s.snapshot.nondeterministic).toEqual(['random']);
    expect(s.cores[1]!.faultsByKind).toEqual({ 'wrong-result': 2, 'self-test': 1 });
    expect(s.cores[1]!.selfTests).toEqual({ passed: 1, failed: 1 });
    expect(s.cores[0]!.history.map((h) => h.to)).toEqual(['stranded', 'healthy']);
    expect(s.kinds.find((k) => k.name === 'sha')).toMatchObject({ disagreements: 1, tieBreaks: 1, tasks: 1, failed: 1 });
    expect(s.spares).toHaveLength(1);
    expect(s.mismatches).toBeNull();
  });

  it('keeps the last score and state logged: time alone changes no core (evidence is per replica)', () => {
    const lines = [
      start(0),
      line('fault', 10, { task: 1, name: 'fib', core: 0, kind: 'crash', charged: true, after: { state: 'suspect', score: 1, faults: 1, excludedKinds: [] } }),
      line('core-state', 10, { core: 0, from: 'healthy', to: 'suspect', reason: 'charged' }),
      line('task', 10_010, { task: 2, name: 'fib', outcome: 'value' }), // ten seconds later
    ];
    const s = summarizeAudit(lines);
    expect(s.snapshot.cores[0]!.score).toBe(1);
    expect(s.snapshot.cores[0]!.state).toBe('suspect');
    expect(s.cores[0]!.state).toBe('suspect');
  });

  it('starts a run from its restored snapshot, counts runs, reports gaps and malformed lines, compares with pool-stop', () => {
    const restore = { version: 1, cores: [{ core: 2, state: 'disabled', score: 3, faults: 3, excludedKinds: [], probations: 0, lastFaultAt: 5 }] };
    const first = [start(0), line('pool-stop', 5, { health: { version: 1, cores: [] } })];
    // The baseline of a restored pool already shows the restored states; the snapshot adds scores and counts.
    const second = [start(0, { restore }, ['healthy', 'healthy', 'disabled'])];
    second.push(line('fault', 10, { task: 4, name: 'fib', core: 0, kind: 'timeout', charged: false }));
    seq += 2; // two lines lost
    second.push(
      line('pool-stop', 20, {
        health: {
          version: 1,
          cores: [
            { core: 2, state: 'disabled', faults: 3 },
            { core: 0, state: 'suspect', faults: 1 },
          ],
        },
      }),
    );
    const text = [...first, ...second].map((l) => JSON.stringify(l)).join('\n') + '\n{"oops": 1}\nnot json\n';
    const parsed = parseAuditLog(text);
    expect(parsed.malformed.map((m) => m.line)).toEqual([6, 7]);
    const s = summarizeAudit(parsed.lines, parsed.malformed);
    expect(s.runs).toBe(2);
    expect(s.gaps).toEqual([{ afterSeq: 2, seq: 5 }]);
    expect(s.snapshot.cores.find((c) => c.core === 2)).toMatchObject({ state: 'disabled', faults: 3 });
    expect(s.cores[0]!.forgiven).toBe(1);
    expect(s.mismatches).toEqual(['run 2: core 0: replayed state healthy, recorded suspect', 'run 2: core 0: replayed 0 faults, recorded 1']);
  });

  it('checks every run against its own pool-stop, and reports missing lines at the start, in the middle and between runs', () => {
    const stats = (faults: number, completed = 0, corrected = 0): Record<string, number> => ({ faults, completed, failed: 0, corrected });
    const fault = (t: number, core: number, charged = true): AuditLine =>
      line('fault', t, { task: t, name: 'fib', core, kind: 'wrong-result', charged, after: { state: 'healthy', score: 0.1, faults: 1, excludedKinds: [] } });
    const health = (faults: number[]): unknown => ({ version: 1, cores: faults.map((f, core) => ({ core, state: 'healthy', faults: f })) });
    const run = (): AuditLine[] => [
      { ...start(0), level: 'tasks', stats: stats(0) },
      fault(10, 1),
      line('task', 11, { task: 10, name: 'fib', outcome: 'value', corrected: true }),
      fault(20, 2, false),
      line('task', 21, { task: 20, name: 'fib', outcome: 'value', corrected: true }),
      line('pool-stop', 30, { stats: stats(2, 2, 2), health: health([0, 1, 0]) }),
    ];
    expect(summarizeAudit(run())).toMatchObject({ runs: 1, problems: [], gaps: [], mismatches: [] });

    // A tampered run followed by a clean one: still found, and named.
    const tampered = run();
    (tampered[1] as Record<string, unknown>).charged = false;
    expect(summarizeAudit([...tampered, ...run()]).mismatches).toEqual(['run 1: core 1: replayed 0 faults, recorded 1']);
    // A deleted fault line (seq renumbered), a tampered stats figure.
    const deleted = run()
      .filter((l, i) => i !== 3)
      .map((l, i) => ({ ...l, seq: i + 1 }));
    expect(summarizeAudit(deleted).mismatches).toEqual(['1 fault line(s) logged, pool-stop stats.faults says 2']);
    const edited = run();
    edited[5]!.stats = stats(0, 999, 2);
    expect(summarizeAudit(edited).mismatches).toEqual([
      '2 fault line(s) logged, pool-stop stats.faults says 0',
      '2 task (value) line(s) logged, pool-stop stats.completed says 999',
    ]);
    // Run 1 lost its pool-stop; the head of a log lost; a run whose first lines are gone.
    expect(summarizeAudit([...run().slice(0, 5), ...run()]).problems).toEqual([
      "run 1: no pool-stop line before the next run's pool-start (lines are missing)",
    ]);
    expect(summarizeAudit(run().slice(2)).problems).toEqual(['seq 3: the log does not begin with a pool-start line (lines are missing before it)']);
    const late = run().map((l) => ({ ...l, seq: l.seq + 2 }));
    expect(summarizeAudit(late).problems).toEqual(['run 1: its pool-start has seq 3, not 1 (lines are missing before it)']);
    // The last run may still be running: no pool-stop is no problem there.
    expect(summarizeAudit(run().slice(0, 5))).toMatchObject({ problems: [], mismatches: null });
  });
});
