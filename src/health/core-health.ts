/**
 * The health model: one small state machine per core, driven only by calls and an injected
 * clock (no timers), so the pool and the simulator share it.
 *
 * A core is judged per replica, never per unit of time: every replica of a kind that reached a
 * verdict is evidence (agreed, out-voted, crashed, timed out) for the (core, kind) pair, and a
 * sequential test (sequential.ts) disables the core when its fault rate stands out from the
 * kind's base rate across the fleet (evidence.ts). Internally a core has a `mode` (active |
 * disabled | probation | retired) plus an `offline` flag; `healthy` vs `suspect` is derived from
 * its test statistic. Every visible state change is reported once in HealthEffects.transitions.
 */
import { invalidOption } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { NO_EFFECTS, effects, newRec, type CoreRec } from './core-record.js';
import { NONDETERMINISTIC_BASE, NONDETERMINISTIC_END, NONDETERMINISTIC_MIN_REPLICAS } from './defaults.js';
import { KindEvidence, STREAMS, type AttributionEvidence, type CoreKindEvidence, type Observation } from './evidence.js';
import { HealthMachine } from './machine.js';
import { restoreRecs, toRecord } from './snapshot.js';
import type { CoreHealthRecord, FaultEvidence, HealthEffects, HealthSnapshot, HealthState, ResolvedHealthOptions, ResolvedSelfTestOptions } from './types.js';
import { validateHealthOptions } from './validate.js';
import type { ServingView } from './serving.js';

/** ArrivalOrder.advance's callback when no judgment waits (it is never called). */
const NOTHING_HELD = (): void => {};
const STREAM_OF: Record<FaultEvidence['kind'], Observation> = { 'wrong-result': 'wrong', crash: 'crash', timeout: 'timeout', 'self-test': 'wrong' };

/**
 * The health model: a pure state machine per core (cockatiel-breaker style). No threads,
 * no timers: time comes from the injected clock, so the pool and the simulator share it.
 */
export class CoreHealth extends HealthMachine {
  private readonly fleet = new Map<string, KindEvidence>();
  private readonly declared: ReadonlySet<string>;
  /** Reused by success() (called for every agreeing replica): a copy is returned only when something happened. */
  private readonly scratch = effects(false);

  constructor(coreIds: readonly number[], options: ResolvedHealthOptions, clock: Clock, restore?: HealthSnapshot) {
    validateHealthOptions(options);
    super(options, clock);
    this.declared = new Set(options.nondeterministic);
    for (const id of coreIds) {
      if (this.recs.has(id)) throw invalidOption('cores', 'distinct core ids', id, 'range');
      this.recs.set(id, newRec(id));
    }
    if (restore !== undefined) restoreRecs(this.recs, restore, options, clock.now(), (rec, mode) => this.setMode(rec, mode));
  }

  /** The core's serving state as this model holds it (live: placement reads it, never a copy). */
  view(core: number): ServingView {
    return this.must(core);
  }

  state(core: number): HealthState {
    return this.visible(this.must(core));
  }

  /** Largest test statistic of the core over the alarm threshold (0 … 1). */
  score(core: number): number {
    return Math.min(1, this.must(core).peak / this.scale);
  }

  /** May this core run a user task of this kind? (hot path: must be cheap) */
  canServe(core: number, taskName: string): boolean {
    const rec = this.recs.get(core);
    return rec !== undefined && rec.serving && (rec.excluded.size === 0 || !rec.excluded.has(taskName));
  }

  /**
   * A replica came back from the core: its ticket, to pass with its judgment (success, charge or
   * forgo). Judgments with tickets are applied in ticket order (order.ts).
   */
  arrived(core: number): number {
    return this.must(core).order.arrive();
  }

  /** Returned replicas of the core whose judgment is not applied yet (waiting for theirs, or for an earlier one). */
  pending(core: number): number {
    return this.must(core).order.pending;
  }

  /**
   * Charge a fault to a core (only ever called when a majority exists to blame it). With a ticket
   * that is not next, the charge waits for the core's earlier replicas: the attribution returned
   * is then the evidence as it stands, with `pending` saying how many replicas are before it.
   */
  charge(core: number, evidence: FaultEvidence, ticket?: number): HealthEffects {
    const rec = this.must(core);
    const kind = evidence.taskKind ?? evidence.taskName;
    const fx = effects(STREAM_OF[evidence.kind] !== 'wrong' || !this.declared.has(kind));
    if (ticket === undefined || rec.order.isNext(ticket)) {
      fx.attribution = this.applyCharge(rec, evidence, fx);
      if (ticket !== undefined) this.release(rec, fx);
      return fx;
    }
    rec.order.hold(ticket, evidence);
    const stream = STREAM_OF[evidence.kind] as (typeof STREAMS)[number];
    const sofar = this.evidenceOf(core, kind, stream) ?? noEvidence(kind, stream, this.threshold);
    fx.attribution = { ...sofar, pending: rec.order.before(ticket) };
    return fx;
  }

  /** A replica on this core agreed with the majority: evidence for it on that kind, and toward ending probation. */
  success(core: number, taskKind: string, ticket?: number): HealthEffects {
    const rec = this.recs.get(core);
    if (rec === undefined) return NO_EFFECTS;
    const fx = this.scratch;
    // Nearly always empty already; storing an array's length calls into the runtime even then.
    if (fx.transitions.length !== 0) fx.transitions.length = 0;
    if (fx.exclusions.length !== 0) fx.exclusions.length = 0;
    if (fx.suspicions.length !== 0) fx.suspicions.length = 0;
    if (ticket === undefined || rec.order.isNext(ticket)) {
      this.applySuccess(rec, taskKind, fx);
      if (ticket !== undefined) this.release(rec, fx);
    } else rec.order.hold(ticket, taskKind);
    if (fx.transitions.length === 0 && fx.exclusions.length === 0 && fx.suspicions.length === 0) return NO_EFFECTS;
    return { transitions: [...fx.transitions], exclusions: [...fx.exclusions], suspicions: [...fx.suspicions], charged: false };
  }

  /** A returned replica that will never be judged (its task gave up, failed or was aborted): it holds nothing up. */
  forgo(core: number, ticket: number): HealthEffects {
    const rec = this.must(core);
    const fx = effects(false);
    if (rec.order.isNext(ticket)) this.release(rec, fx);
    else rec.order.hold(ticket, null);
    return fx;
  }

  /** The core's next ticket was judged: apply the judgments that waited for it. */
  private release(rec: CoreRec, fx: HealthEffects): void {
    // Nearly always nothing waits: no closure to allocate then.
    if (rec.order.held === 0) rec.order.advance(NOTHING_HELD);
    else
      rec.order.advance((judgment) => {
        if (typeof judgment === 'string') this.applySuccess(rec, judgment, fx);
        else this.applyCharge(rec, judgment, fx);
      });
  }

  private applyCharge(rec: CoreRec, evidence: FaultEvidence, fx: HealthEffects): AttributionEvidence {
    const now = this.clock.now();
    const kind = evidence.taskKind ?? evidence.taskName;
    const stream = STREAM_OF[evidence.kind];
    const counted = stream !== 'wrong' || !this.declared.has(kind);
    const ev = this.observe(rec, kind, stream, fx, now);
    const fleet = this.fleet.get(kind)!;
    const s = STREAMS.indexOf(stream as (typeof STREAMS)[number]);
    const attribution = fleet.evidence(ev, s, this.threshold);
    if (!counted) {
      this.report(rec, now, fx, `replica of "${kind}" out-voted (kind declared non-deterministic: not charged)`);
      return attribution;
    }
    rec.faults++;
    rec.lastFaultAt = now;
    const why = `${evidence.kind} on "${kind}"`;
    let reason = `charged: ${why}`;
    if (rec.mode === 'probation') reason = this.retire(rec, `fault on probation: ${why}`);
    else if (rec.excluded.size !== 0 && rec.excluded.has(kind))
      reason = `charged: ${why} (already excluded from it)`; // a straggler
    else if (rec.mode === 'active' && ev.stat[s]! >= this.threshold && fleet.standsOut(ev, s))
      reason = this.alarm(rec, kind, now, fx, evidence, why, attribution);
    this.report(rec, now, fx, reason, evidence, attribution);
    return attribution;
  }

  private applySuccess(rec: CoreRec, taskKind: string, fx: HealthEffects): void {
    const before = rec.reported;
    const now = this.clock.now();
    this.observe(rec, taskKind, 'ok', fx, now);
    if (rec.mode === 'probation') {
      const needed = this.options.selfTest === false ? 50 : this.options.selfTest.probationTasks;
      if (++rec.probationOk >= needed) {
        this.setMode(rec, 'active');
        this.forget(rec);
        this.report(rec, now, fx, `completed probation (${rec.probationOk} clean replicas)`);
      }
    } else if (this.visible(rec) !== before) {
      this.report(rec, now, fx, 'the evidence against it faded');
    }
  }

  /** Cores that are disabled and due for a known-answer probe now. */
  dueForSelfTest(): number[] {
    if (this.options.selfTest === false || this.disabled.size === 0) return [];
    const now = this.clock.now();
    const due: number[] = [];
    for (const rec of this.disabled) if (!rec.offline && now >= rec.dueAt) due.push(rec.id);
    return due.sort((a, b) => a - b);
  }

  /** The known-answer task to run next on this core (rotates so every KAT gets exercised). */
  nextSelfTest(core: number): ResolvedSelfTestOptions['tasks'][number] | undefined {
    const rec = this.must(core);
    const tasks = this.options.selfTest === false ? undefined : this.options.selfTest.tasks;
    return tasks === undefined ? undefined : tasks[rec.probeSeq % tasks.length];
  }

  /** Result of one known-answer probe on a disabled core. */
  selfTestResult(core: number, passed: boolean, detail?: string): HealthEffects {
    const rec = this.must(core);
    const fx = effects(false);
    const sel = this.options.selfTest;
    if (sel === false || rec.offline || rec.mode === 'retired') return fx;
    const now = this.clock.now();
    const kat = this.nextSelfTest(core)?.name ?? 'self-test';
    rec.probeSeq++;
    const evidence: FaultEvidence = { kind: 'self-test', taskName: kat };
    const why = detail ?? `known-answer task ${kat} gave a wrong answer`;
    let reason = 'self-test';
    if (!passed) {
      rec.faults++;
      rec.lastFaultAt = now;
    }
    if (rec.mode === 'disabled') {
      if (passed && ++rec.streak >= sel.passes) {
        this.setMode(rec, 'probation');
        rec.probations++;
        rec.probationOk = 0;
        rec.excluded.clear(); // a fresh start: one fault on probation retires it anyway
        this.forget(rec);
        reason = `passed ${rec.streak} known-answer tests in a row (probation ${rec.probations} of ${sel.maxProbations})`;
      } else if (!passed) {
        rec.streak = 0;
        rec.dueAt = now + sel.after;
        rec.cause = 'self-test';
      }
    } else if (!passed) {
      // A wrong known answer needs no vote: take a serving core out at once.
      reason =
        rec.mode === 'probation'
          ? this.retire(rec, `failed a self-test on probation: ${why}`)
          : this.disable(rec, now, 'self-test', `failed a self-test: ${why}`);
    }
    this.report(rec, now, fx, reason, passed ? undefined : evidence);
    return fx;
  }

  setOffline(core: number): HealthEffects {
    const rec = this.must(core);
    const fx = effects(false);
    if (rec.offline) return fx;
    const now = this.clock.now();
    rec.offline = true;
    rec.serving = false;
    this.report(rec, now, fx, 'taken offline by the operator');
    return fx;
  }

  setOnline(core: number): HealthEffects {
    const rec = this.must(core);
    const fx = effects(false);
    if (!rec.offline) return fx;
    const now = this.clock.now();
    rec.offline = false;
    this.setMode(rec, rec.mode);
    this.report(rec, now, fx, 'brought back online by the operator');
    return fx;
  }

  record(core: number): CoreHealthRecord {
    return toRecord(this.must(core), this.score(core), this.suspectAt);
  }

  export(): HealthSnapshot {
    return { version: 1, cores: [...this.recs.values()].map((rec) => toRecord(rec, this.score(rec.id), this.suspectAt)) };
  }

  /** Task kinds that read as non-deterministic now (a high base rate of out-voted replicas). */
  nondeterministicKinds(): string[] {
    return [...this.fleet.values()]
      .filter((k) => k.suspected)
      .map((k) => k.kind)
      .sort();
  }

  /** The evidence of one (core, kind) pair on a stream, or undefined when the core never ran the kind. */
  evidenceOf(core: number, kind: string, stream: (typeof STREAMS)[number] = 'wrong'): ReturnType<KindEvidence['evidence']> | undefined {
    const fleet = this.fleet.get(kind);
    const ev = fleet?.records.get(core);
    return fleet === undefined || ev === undefined ? undefined : fleet.evidence(ev, STREAMS.indexOf(stream), this.threshold);
  }

  /** Counts the replica for (core, kind) and reports a kind that starts or stops reading as non-deterministic. */
  private observe(rec: CoreRec, kind: string, what: Observation, fx: HealthEffects, now: number): CoreKindEvidence {
    let fleet = this.fleet.get(kind);
    if (fleet === undefined) this.fleet.set(kind, (fleet = new KindEvidence(kind)));
    const ev = fleet.observe(rec.id, what, !this.declared.has(kind));
    if (rec.kinds.get(kind) !== ev) rec.kinds.set(kind, ev);
    if (rec.kinds.size === 1 && rec.excluded.size === 0)
      rec.peak = ev.peak(); // the common case, without iterating
    else this.refreshPeak(rec);
    this.judgeKind(fleet, fx, now);
    return ev;
  }

  private judgeKind(fleet: KindEvidence, fx: HealthEffects, now: number): void {
    if (fleet.replicas < NONDETERMINISTIC_MIN_REPLICAS || this.declared.has(fleet.kind)) return;
    const base = fleet.base(0);
    const flip = fleet.suspected ? base < NONDETERMINISTIC_END : base > NONDETERMINISTIC_BASE;
    if (!flip) return;
    fleet.suspected = !fleet.suspected;
    const cores = [...fleet.records.keys()].sort((a, b) => a - b);
    fx.suspicions.push(fleet.suspected ? { taskName: fleet.kind, cores, base, at: now } : { taskName: fleet.kind, cores, base, at: now, ended: true });
  }

  /** The test alarmed on a serving core: exclude it from the kind (salvage) or disable it. */
  private alarm(rec: CoreRec, kind: string, now: number, fx: HealthEffects, evidence: FaultEvidence, why: string, a: AttributionEvidence): string {
    const test = `statistic ${a.statistic.toFixed(1)} >= ${a.threshold.toFixed(1)}`;
    const stat = `${why}: ${a.stream} rate ${fmt(a.rate)} vs base ${fmt(a.base)} over ${a.replicas} replicas, ${test}`;
    const salvage = this.options.salvage;
    if (salvage === false) return this.disable(rec, now, 'evidence', `fault rate stands out: ${stat}`);
    rec.excluded.add(kind);
    this.refreshPeak(rec);
    fx.exclusions.push({ core: rec.id, taskName: kind, at: now, evidence, attribution: a });
    if (rec.excluded.size > salvage.maxKinds) {
      return this.disable(rec, now, 'kinds', `excluded from ${rec.excluded.size} task kinds, more than salvage.maxKinds (${salvage.maxKinds}): ${stat}`);
    }
    return `excluded from "${kind}": ${stat}`;
  }

  /** A fresh start (probation, back from probation): the core's evidence is dropped everywhere. */
  private forget(rec: CoreRec): void {
    for (const [kind, ev] of rec.kinds) {
      ev.reset();
      this.fleet.get(kind)?.reselect();
    }
    rec.peak = 0;
  }
}

/** The evidence of a core that has not had a replica of the kind judged yet. */
function noEvidence(kind: string, stream: (typeof STREAMS)[number], threshold: number): AttributionEvidence {
  return { kind, stream, replicas: 0, wrong: 0, crashes: 0, timeouts: 0, rate: 0.5, base: 0.5, statistic: 0, threshold };
}

function fmt(rate: number): string {
  return rate >= 0.01 ? `${(rate * 100).toFixed(1)} %` : rate.toExponential(1);
}
