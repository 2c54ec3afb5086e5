/**
 * Reading an audit log back: parse, summarise (per core, per task kind) and replay the action
 * lines into the final state of every core and a health snapshot that `health.restore` accepts.
 * Pure: no I/O, so the CLI and tests share it.
 */
import type { CoreHealthRecord, HealthSnapshot, HealthState } from '../health/types.js';
import type { AuditLine, AuditSummary, CoreReplay, KindReplay } from './types.js';
import { num, Tally } from './audit-tally.js';

export type { AuditSummary, CoreReplay, KindReplay };

const HEALTH_STATES: ReadonlySet<string> = new Set(['healthy', 'suspect', 'disabled', 'probation', 'retired', 'offline']);

export function parseAuditLog(text: string): { lines: AuditLine[]; malformed: { line: number; message: string }[] } {
  const lines: AuditLine[] = [];
  const malformed: { line: number; message: string }[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    if (raw.trim() === '') continue;
    try {
      const value = JSON.parse(raw) as unknown;
      const line = value as AuditLine;
      if (typeof value !== 'object' || value === null || typeof line.seq !== 'number' || typeof line.type !== 'string' || typeof line.t !== 'number') {
        malformed.push({ line: i + 1, message: 'not an audit line (needs seq, t, type)' });
      } else {
        lines.push(line);
      }
    } catch (error) {
      malformed.push({ line: i + 1, message: (error as Error).message });
    }
  }
  return { lines, malformed };
}

interface Rec {
  cpu: number | null;
  state: string;
  health: HealthState;
  score: number;
  scoreAt: number;
  faults: number;
  excludedKinds: string[];
  probations: number;
  lastFaultAt: number | null;
  onlineState: HealthState | undefined;
}

function fresh(cpu: number | null): Rec {
  return {
    cpu,
    state: 'healthy',
    health: 'healthy',
    score: 0,
    scoreAt: 0,
    faults: 0,
    excludedKinds: [],
    probations: 0,
    lastFaultAt: null,
    onlineState: undefined,
  };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));

/** Summarises a parsed log and replays it. */
export function summarizeAudit(lines: readonly AuditLine[], malformed: { line: number; message: string }[] = []): AuditSummary {
  const replay = new AuditReplay(lines.length, malformed);
  for (const line of lines) replay.add(line);
  return replay.finish();
}

/** The replay of one log, line by line: per-core and per-kind tallies, and the state of every core. */
class AuditReplay {
  private readonly summary: AuditSummary;
  private readonly cores = new Map<number, CoreReplay>();
  private readonly kinds = new Map<string, KindReplay>();
  private recs = new Map<number, Rec>();
  private nondeterministic = new Set<string>();
  private lastSeq: number | undefined;
  /** The run being replayed (0: lines before any pool-start) and whether its pool-stop was seen. */
  private run = 0;
  private stopped = false;
  /** What the lines since the last baseline carrying stats must add up to at pool-stop (see Tally). */
  private tally: Tally | undefined;
  private readonly found: { run: number; m: string }[] = [];

  constructor(lineCount: number, malformed: { line: number; message: string }[]) {
    this.summary = {
      lines: lineCount,
      runs: 0,
      gaps: [],
      malformed,
      types: {},
      startedAt: undefined,
      stoppedAt: undefined,
      options: undefined,
      cores: [],
      kinds: [],
      spares: [],
      drift: 0,
      snapshot: { version: 1, cores: [] },
      recorded: undefined,
      mismatches: null,
      problems: [],
    };
  }

  add(line: AuditLine): void {
    const summary = this.summary;
    summary.types[line.type] = (summary.types[line.type] ?? 0) + 1;
    if (line.type === 'pool-start') this.startRun(line);
    else if (this.run === 0 && this.lastSeq === undefined)
      summary.problems.push(`seq ${line.seq}: the log does not begin with a pool-start line (lines are missing before it)`);
    else if (this.stopped) summary.problems.push(`seq ${line.seq}: a ${line.type} line after run ${this.run}'s pool-stop`);
    if (this.lastSeq !== undefined && line.seq !== this.lastSeq + 1) summary.gaps.push({ afterSeq: this.lastSeq, seq: line.seq });
    this.lastSeq = line.seq;
    this.tally?.count(line);
    const id = num(line.core);
    const name = typeof line.name === 'string' ? line.name : undefined;
    // Grouped by task kind (what cores are judged on): taskKind when the run set one, else the name.
    const kind = typeof line.taskKind === 'string' ? line.taskKind : name;
    switch (line.type) {
      case 'pool-ready':
        this.baseline(line.cores);
        break;
      case 'level':
        this.baseline(line.cores);
        this.tally = Tally.from(line);
        break;
      case 'fault':
        if (id !== undefined) this.fault(id, kind, line);
        break;
      case 'self-test':
        if (id !== undefined) this.selfTest(id, line);
        break;
      case 'core-state':
      case 'offline':
      case 'online':
        if (id !== undefined) this.stateChange(id, line);
        break;
      case 'spare':
        summary.spares.push({ seq: line.seq, t: line.t, change: line.change, group: line.group, cores: line.cores, replaced: line.replaced });
        break;
      case 'drift':
        summary.drift++;
        break;
      case 'pool-stop':
        this.stop(line);
        break;
      case 'disagreement':
      case 'retry':
      case 'nondeterminism':
      case 'task':
        if (kind !== undefined) this.kindEvent(this.kind(kind), line);
        break;
    }
  }

  /** The summary, with the final state of every core as a health snapshot, checked against the one recorded at stop. */
  finish(): AuditSummary {
    const summary = this.summary;
    // The last run without a pool-stop may still be running: reported by the CLI, not an inconsistency.
    if (this.run > 0) this.closeRun(false);
    // Named by run once the file holds more than one.
    if (summary.mismatches !== null) summary.mismatches = this.found.map(({ run, m }) => (summary.runs > 1 ? `run ${run}: ${m}` : m));
    summary.cores = [...this.cores.values()].sort((a, b) => a.core - b.core);
    summary.kinds = [...this.kinds.values()].sort((a, b) => a.name.localeCompare(b.name));
    summary.snapshot = this.replayed();
    return summary;
  }

  /** The replayed health of the current run's cores. */
  private replayed(): HealthSnapshot {
    const records: CoreHealthRecord[] = [...this.recs.entries()].sort(([a], [b]) => a - b).map(([id, r]) => this.finalRecord(id, r));
    const snapshot: HealthSnapshot = { version: 1, cores: records };
    if (this.nondeterministic.size > 0) snapshot.nondeterministic = [...this.nondeterministic].sort();
    return snapshot;
  }

  /** pool-stop: the run's replay is checked against what the pool recorded (every run, not only the last). */
  private stop(line: AuditLine): void {
    const summary = this.summary;
    summary.stoppedAt = line.ts;
    summary.recorded = line.health as HealthSnapshot | undefined;
    const found: string[] = [];
    if (summary.recorded !== undefined && Array.isArray(summary.recorded.cores)) found.push(...mismatches(summary.recorded.cores, this.replayed().cores));
    if (this.tally !== undefined) found.push(...this.tally.check(line.stats));
    if (summary.recorded !== undefined || found.length > 0) {
      summary.mismatches ??= [];
      for (const m of found) this.found.push({ run: this.run, m });
    }
    this.stopped = true;
  }

  /** The end of a run: one that another pool-start follows without a pool-stop is incomplete. */
  private closeRun(followed: boolean): void {
    if (followed && !this.stopped) this.summary.problems.push(`run ${this.run}: no pool-stop line before the next run's pool-start (lines are missing)`);
  }

  /** A new run: sequence numbers restart, state restarts from the restored snapshot (if any). */
  private startRun(line: AuditLine): void {
    const summary = this.summary;
    if (this.run > 0) this.closeRun(true);
    summary.runs++;
    this.run++;
    this.stopped = false;
    if (line.seq !== 1) summary.problems.push(`run ${this.run}: its pool-start has seq ${line.seq}, not 1 (lines are missing before it)`);
    summary.stoppedAt = undefined;
    summary.recorded = undefined;
    this.tally = Tally.from(line);
    this.lastSeq = undefined;
    this.recs = new Map();
    this.nondeterministic = new Set();
    summary.startedAt ??= line.ts;
    summary.options = line.options as Record<string, unknown> | undefined;
    const restore = summary.options?.restore as HealthSnapshot | undefined;
    for (const r of restore?.cores ?? []) {
      this.recs.set(r.core, {
        ...fresh(null),
        health: r.state,
        state: r.state,
        score: r.score,
        faults: r.faults,
        excludedKinds: [...r.excludedKinds],
        probations: r.probations,
        lastFaultAt: r.lastFaultAt,
        onlineState: r.onlineState,
      });
    }
    for (const k of restore?.nondeterministic ?? []) this.nondeterministic.add(k);
    this.baseline(line.cores);
  }

  private fault(id: number, name: string | undefined, line: AuditLine): void {
    const c = this.core(id);
    const k = str(line.kind);
    c.faultsByKind[k] = (c.faultsByKind[k] ?? 0) + 1;
    if (line.charged === false) c.forgiven++;
    if (name !== undefined) this.kind(name).faults++;
    const r = this.rec(id);
    after(r, line);
    if (line.charged !== false) {
      r.lastFaultAt = line.t;
      r.faults++;
    }
  }

  private selfTest(id: number, line: AuditLine): void {
    const c = this.core(id);
    if (line.passed === true) c.selfTests.passed++;
    else {
      c.selfTests.failed++;
      c.faultsByKind['self-test'] = (c.faultsByKind['self-test'] ?? 0) + 1;
    }
    const r = this.rec(id);
    after(r, line);
    if (line.passed !== true) {
      r.lastFaultAt = line.t;
      r.faults++;
    }
  }

  /** core-state, offline, online: a transition of one core. */
  private stateChange(id: number, line: AuditLine): void {
    const from = str(line.from);
    const to = str(line.to);
    const r = this.rec(id);
    setState(r, to, from);
    if (to === 'probation') {
      // Probation starts afresh: scores reset and exclusions lifted.
      r.probations++;
      r.score = 0;
      r.excludedKinds = [];
    }
    if (from === 'probation' && to === 'healthy') r.score = 0;
    const c = this.core(id);
    c.state = to;
    c.history.push({ seq: line.seq, t: line.t, type: line.type, from, to, reason: str(line.reason) });
  }

  /** Lines counted per task kind: disagreement, retry, nondeterminism, task. */
  private kindEvent(k: KindReplay, line: AuditLine): void {
    switch (line.type) {
      case 'disagreement':
        k.disagreements++;
        break;
      case 'retry':
        if (line.reason === 'tie-break') k.tieBreaks++;
        else k.reExecutions++;
        break;
      case 'nondeterminism': {
        // An ended suspicion (the kind's base rate fell again) takes the kind off the list.
        const ended = line.ended === true;
        k.nondeterministic = !ended;
        if (ended) this.nondeterministic.delete(k.name);
        else this.nondeterministic.add(k.name);
        break;
      }
      case 'task':
        k.tasks++;
        if (line.outcome !== 'value' && line.outcome !== 'error') k.failed++;
        break;
    }
  }

  /** A baseline (pool-start, pool-ready, level from off): the states every core had at that moment. */
  private baseline(list: unknown): void {
    if (!Array.isArray(list)) return;
    for (const entry of list as Record<string, unknown>[]) {
      const id = num(entry.core);
      if (id === undefined) continue;
      const r = this.rec(id);
      const c = this.core(id);
      if (num(entry.cpu) !== undefined) r.cpu = c.cpu = num(entry.cpu)!;
      // Baselines since this version carry each core's fault count: counting restarts from it.
      if (num(entry.faults) !== undefined) r.faults = num(entry.faults)!;
      setState(r, str(entry.state));
      c.state = r.state;
    }
  }

  private finalRecord(id: number, r: Rec): CoreHealthRecord {
    // Scores do not change with time: the last one logged is the score (evidence is per replica).
    const score = r.score;
    const state = r.health;
    const c = this.cores.get(id);
    if (c !== undefined && c.state === 'suspect') c.state = state;
    const out: CoreHealthRecord = {
      core: id,
      state,
      score,
      faults: r.faults,
      excludedKinds: [...r.excludedKinds].sort(),
      probations: r.probations,
      lastFaultAt: r.lastFaultAt,
    };
    if (r.health === 'offline' && r.onlineState !== undefined) out.onlineState = r.onlineState as Exclude<HealthState, 'offline'>;
    return out;
  }

  private core(id: number): CoreReplay {
    let c = this.cores.get(id);
    if (c === undefined)
      this.cores.set(id, (c = { core: id, cpu: null, state: 'healthy', faultsByKind: {}, forgiven: 0, selfTests: { passed: 0, failed: 0 }, history: [] }));
    return c;
  }

  private rec(id: number): Rec {
    let r = this.recs.get(id);
    if (r === undefined) this.recs.set(id, (r = fresh(null)));
    return r;
  }

  private kind(name: string): KindReplay {
    let k = this.kinds.get(name);
    if (k === undefined)
      this.kinds.set(name, (k = { name, disagreements: 0, faults: 0, tieBreaks: 0, reExecutions: 0, tasks: 0, failed: 0, nondeterministic: false }));
    return k;
  }
}

function setState(r: Rec, to: string, from?: string): void {
  r.state = to;
  if (to === 'offline') r.onlineState = from !== undefined && HEALTH_STATES.has(from) && from !== 'offline' ? (from as HealthState) : r.health;
  if (HEALTH_STATES.has(to)) r.health = to as HealthState;
  if (to !== 'offline') r.onlineState = undefined;
}

/** Applies the `after` figures of a fault or self-test line (score, exclusions; faults are counted line by line, so an edited or deleted line shows). */
function after(r: Rec, line: AuditLine): void {
  const a = line.after as Record<string, unknown> | undefined;
  if (a === undefined) return;
  if (num(a.score) !== undefined) {
    r.score = num(a.score)!;
    r.scoreAt = line.t;
  }
  if (Array.isArray(a.excludedKinds)) r.excludedKinds = (a.excludedKinds as unknown[]).map(str);
}

/** Where the replayed records differ from those the pool recorded at stop (state, fault count). */
function mismatches(recorded: readonly CoreHealthRecord[], replayed: readonly CoreHealthRecord[]): string[] {
  const found: string[] = [];
  for (const want of recorded) {
    const got = replayed.find((r) => r.core === want.core);
    if (got === undefined) found.push(`core ${want.core}: not in the replay`);
    else {
      if (got.state !== want.state) found.push(`core ${want.core}: replayed state ${got.state}, recorded ${want.state}`);
      if (got.faults !== want.faults) found.push(`core ${want.core}: replayed ${got.faults} faults, recorded ${want.faults}`);
    }
  }
  return found;
}
