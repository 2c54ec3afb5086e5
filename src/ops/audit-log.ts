/**
 * The audit log: one JSON line per fault-tolerance action, built from the pool's typed events.
 * It subscribes only to the events its level needs, so level 'off' attaches no listener and the
 * pool's emitters keep skipping payload construction.
 */
import { errorMonitor } from 'node:events';
import type { EventName, TriplexEvents } from '../pool/events.js';
import type { OpsHost } from './host.js';
import { AuditSink } from './sink.js';
import { TriplexError } from '../errors.js';
import { auditLevelRank, type AuditLevel, type ResolvedAuditOptions, type VerifyReport } from './types.js';

/** The level from which each event is logged. */
const EVENT_LEVEL: { [E in EventName]?: number } = {
  fault: 1,
  disagreement: 1,
  retry: 1,
  'core-state': 1,
  spare: 1,
  'self-test': 1,
  'nondeterminism-suspected': 1,
  start: 1,
  'task-settled': 2,
  'task-failed': 3,
  error: 3,
};

const WHY: Record<'tie-break' | 're-execution', string> = {
  'tie-break': 'the replicas answered but no majority agrees yet',
  're-execution': 'a replica crashed or timed out before a majority agreed',
};

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** JSON that never throws: bigints and infinities (maxQueue, taskTimeout) as strings, anything unserializable as a note. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  return value;
}

function json(fields: Record<string, unknown>, careful: boolean): string {
  try {
    // A replacer costs a call per key: only lines that can hold infinities or user values use it.
    return careful ? JSON.stringify(fields, replacer) : JSON.stringify(fields);
  } catch (error) {
    if (!careful) return json(fields, true);
    return JSON.stringify({ unserializable: (error as Error).message });
  }
}

type Handler = (event: never) => void;

/** `taskKind` on a line about a task, when the run option `kind` differs from its name (the replay groups by kind). */
function addKind(fields: Record<string, unknown>, e: { taskName: string; taskKind?: string }): void {
  if (e.taskKind !== undefined && e.taskKind !== e.taskName) fields.taskKind = e.taskKind;
}

export class AuditLog {
  private seq = 0;
  private isoAt = -1;
  private iso = '';
  /** Drift found by the last scan, to log changes only ('[]' = none). */
  private lastDrift = '[]';
  private current: AuditLevel = 'off';
  private readonly sink: AuditSink;
  private readonly attached = new Map<EventName, Handler>();
  private readonly handlers: { [E in EventName]?: (event: TriplexEvents[E]) => void };
  private closed = false;
  /** Whether this run's pool-start line is written (a pool created at level 'off' writes it when logging starts). */
  private started = false;
  private failure: TriplexError | undefined;

  constructor(
    private readonly host: OpsHost,
    options: ResolvedAuditOptions,
    private readonly origin: number,
  ) {
    this.sink = new AuditSink(options.file, options.stream, (error) => this.failed(error));
    this.handlers = this.buildHandlers();
    this.current = options.level;
    this.subscribe();
    if (this.current !== 'off') this.start();
  }

  /**
   * The first line of a run, written when logging starts (at construction, or on the first switch
   * from 'off'): the options, each core's state and faults, and the pool's stats so far, which the
   * replay subtracts from pool-stop's to check the lines in between.
   */
  private start(): void {
    this.started = true;
    const fields = {
      pid: process.pid,
      node: process.version,
      level: this.current,
      options: this.describeOptions(),
      cores: this.baseline(),
      stats: this.host.stats(),
    };
    this.write('pool-start', fields, true);
  }

  get level(): AuditLevel {
    return this.current;
  }

  /** Changes the level at runtime; the change itself is logged (as the last line when turning off). */
  setLevel(level: AuditLevel): void {
    if (level === this.current || this.closed) return;
    const from = this.current;
    // Every level line carries the stats so far: the replay checks each stretch at its own level.
    if (from !== 'off') this.write('level', { from, to: level, stats: this.host.stats() });
    this.current = level;
    this.subscribe();
    // Coming back from 'off': a baseline of every core (state, faults) so a replay can start here.
    if (from === 'off' && !this.started) this.start();
    else if (from === 'off') this.write('level', { from, to: level, cores: this.baseline(), stats: this.host.stats() });
  }

  /**
   * A state scan's result. 'actions' logs drift when it appears or changes, and when it clears
   * (a periodic scan must not repeat the same drift every interval); 'debug' logs every clean scan.
   */
  scan(report: VerifyReport): void {
    if (this.closed) return;
    const drifting = report.cores.filter((c) => c.drift.length > 0).map((c) => ({ core: c.id, drift: c.drift, intended: c.intended, actual: c.actual }));
    const signature = JSON.stringify(drifting.map((c) => [c.core, c.drift]));
    const changed = signature !== this.lastDrift;
    this.lastDrift = signature;
    if (auditLevelRank(this.current) < 1) return;
    if (drifting.length > 0 && changed) this.write('drift', { cores: drifting });
    else if (drifting.length === 0 && changed) this.write('drift-cleared', { cores: report.cores.length });
    else if (drifting.length === 0 && auditLevelRank(this.current) >= 3) this.write('scan', { ok: true, cores: report.cores.length });
  }

  /** The first write failure: on the pool's 'error' when someone listens, else a process warning; close() rejects with it. */
  private failed(cause: Error): void {
    const where = this.sink.file ?? 'its stream';
    const message = `The audit log could not be written to ${where} (later lines are dropped): ${cause.message}`;
    this.failure = new TriplexError('ERR_AUDIT_WRITE', message, { file: this.sink.file }, { cause });
    const failure = this.failure;
    // Never from inside the write that failed (a listener of the event being logged): next tick.
    process.nextTick(() => {
      if (this.host.events.has('error')) this.host.events.emit('error', failure);
      else process.emitWarning(message, { code: 'TRIPLEX_AUDIT' });
    });
  }

  /** Writes the pool-stop line, detaches, then flushes and closes the file; rejects with ERR_AUDIT_WRITE if lines were lost. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.current !== 'off') {
      const health = this.host.health();
      const cores = this.host.cores.map((core) => ({
        core: core.id,
        state: this.host.state(core.id),
        faults: this.host.record(core.id).faults,
        busyMs: round(core.busyMs),
        tasks: core.tasks,
      }));
      this.write('pool-stop', { stats: this.host.stats(), cores, health }, true);
    }
    this.closed = true;
    this.current = 'off';
    this.subscribe();
    await this.sink.close();
    if (this.failure !== undefined) throw this.failure;
  }

  private head(type: string): string {
    // Formatting an ISO date costs more than the rest of a line: reuse it within the same millisecond.
    const ms = Date.now();
    if (ms !== this.isoAt) {
      this.isoAt = ms;
      this.iso = new Date(ms).toISOString();
    }
    return `{"seq":${++this.seq},"ts":"${this.iso}","t":${round(performance.now() - this.origin)},"type":"${type}"`;
  }

  private write(type: string, fields: Record<string, unknown>, careful = false): void {
    const head = this.head(type);
    const body = json(fields, careful);
    this.sink.write(body === '{}' ? `${head}}\n` : `${head},${body.slice(1)}\n`);
  }

  private subscribe(): void {
    const rank = auditLevelRank(this.current);
    for (const [name, handler] of Object.entries(this.handlers) as [EventName, Handler][]) {
      const wanted = rank >= (EVENT_LEVEL[name] ?? Infinity);
      const attached = this.attached.get(name);
      // Errors are observed, never handled: an 'error' listener would change where a throwing
      // user listener's exception goes (and the listener count users see).
      const event = name === 'error' ? errorMonitor : name;
      if (wanted && attached === undefined) {
        this.host.events.on(event as EventName, handler as never);
        this.attached.set(name, handler);
      } else if (!wanted && attached !== undefined) {
        this.host.events.off(event as EventName, attached as never);
        this.attached.delete(name);
      }
    }
  }

  private baseline(): { core: number; cpu: number; state: string; faults: number }[] {
    return this.host.cores.map((core) => ({ core: core.id, cpu: core.cpu, state: this.host.state(core.id), faults: this.host.record(core.id).faults }));
  }

  private after(core: number): Record<string, unknown> {
    const record = this.host.record(core);
    return { state: record.state, score: round(record.score), faults: record.faults, excludedKinds: record.excludedKinds };
  }

  private describeOptions(): Record<string, unknown> {
    const audit = this.host.options.audit;
    return { ...this.host.describeOptions(), audit: { file: audit?.file, level: audit?.level, stream: audit?.stream !== undefined } };
  }

  private buildHandlers(): AuditLog['handlers'] {
    return {
      fault: (e) => {
        const fields: Record<string, unknown> = { task: e.taskId, name: e.taskName, core: e.core, cpu: e.cpu, kind: e.kind, charged: e.charged };
        addKind(fields, e);
        if (e.digest !== undefined) fields.digest = e.digest;
        if (e.majorityDigest !== undefined) fields.majority = e.majorityDigest;
        fields.after = this.after(e.core);
        this.write('fault', fields);
      },
      disagreement: (e) => {
        const digests = [...new Set(e.replicas.map((r) => r.digest ?? null))];
        const fields: Record<string, unknown> = { task: e.taskId, name: e.taskName };
        addKind(fields, e);
        this.write('disagreement', { ...fields, digests, cores: e.replicas.map((r) => r.core), replicas: e.replicas });
      },
      retry: (e) => {
        const fields: Record<string, unknown> = {
          task: e.taskId,
          name: e.taskName,
          reason: e.reason,
          why: WHY[e.reason],
          cores: e.cores,
          attempts: e.attempts,
        };
        addKind(fields, e);
        if (e.group !== undefined) fields.group = e.group;
        this.write('retry', fields);
      },
      'core-state': (e) => {
        const type = e.to === 'offline' ? 'offline' : e.from === 'offline' ? 'online' : 'core-state';
        const fields: Record<string, unknown> = { core: e.core, from: e.from, to: e.to, reason: e.reason };
        if (e.evidence !== undefined) fields.evidence = e.evidence;
        this.write(type, fields);
      },
      spare: (e) => {
        const fields: Record<string, unknown> = { change: e.type, group: e.group, cores: e.cores };
        if (e.replaced !== undefined) fields.replaced = e.replaced;
        this.write('spare', fields);
      },
      'self-test': (e) => this.write('self-test', { core: e.core, task: e.task, passed: e.passed, after: this.after(e.core) }),
      'nondeterminism-suspected': (e) => this.write('nondeterminism', { name: e.taskName, cores: e.cores, ...(e.ended === true ? { ended: true } : {}) }),
      start: () => {
        const cores = this.host.cores.map((core) => ({
          core: core.id,
          cpu: core.cpu,
          pinned: core.pinned,
          observedCpu: core.observedCpu,
          state: this.host.state(core.id),
        }));
        this.write('pool-ready', { cores });
      },
      'task-settled': (e) => {
        // The one per-task line: formatted by hand (same JSON as write() would give, at a fraction of the cost).
        const kind = e.taskKind === undefined || e.taskKind === e.taskName ? '' : `"taskKind":${JSON.stringify(e.taskKind)},`;
        const fields = `"task":${e.taskId},"name":${JSON.stringify(e.taskName)},${kind}"outcome":"${e.outcome}","queueMs":${round(e.queueMs)},"runMs":${round(e.runMs)},"replicas":${e.replicas},"corrected":${e.corrected}`;
        this.sink.write(`${this.head('task')},${fields}}\n`);
      },
      'task-failed': (e) => {
        const code = (e.error as { code?: unknown }).code;
        this.write('task-failed', {
          task: e.taskId,
          name: e.taskName,
          error: e.error.name,
          code: typeof code === 'string' ? code : undefined,
          message: e.error.message,
        });
      },
      error: (e) => this.write('error', { error: e.name, message: e.message }),
    };
  }
}
