/**
 * The health model: one small state machine per core, driven only by calls and an injected
 * clock (no timers), so the pool and the simulator share it. Scores decay lazily: a score is
 * stored as (value, time) and read as value · 2^(-(now - time) / halfLife).
 *
 * Internally a core has a `mode` (active | disabled | probation | retired) plus an `offline`
 * flag; `healthy` vs `suspect` is derived from the decayed score when read. Every visible state
 * change is reported once in HealthEffects.transitions, including a suspect core that has
 * decayed back to healthy (reported on the next call that touches it).
 */
import { invalidOption } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { BlameWindow } from './blame.js';
import { NO_EFFECTS, effects, newRec } from './core-record.js';
import { BLAME_HORIZON_HALF_LIVES } from './defaults.js';
import { HealthMachine } from './machine.js';
import { restoreRecs, toRecord } from './snapshot.js';
import type { CoreHealthRecord, FaultEvidence, HealthEffects, HealthSnapshot, HealthState, IHealth, ResolvedHealthOptions, ResolvedSelfTestOptions } from './types.js';
import { validateHealthOptions } from './validate.js';

export class CoreHealth extends HealthMachine implements IHealth {
  private readonly windows = new Map<string, BlameWindow>();
  private readonly nondeterministic = new Set<string>();
  private readonly horizon: number;

  constructor(coreIds: readonly number[], options: ResolvedHealthOptions, clock: Clock, restore?: HealthSnapshot) {
    validateHealthOptions(options);
    super(options, clock);
    this.horizon = options.halfLife * BLAME_HORIZON_HALF_LIVES;
    for (const id of coreIds) {
      if (this.recs.has(id)) throw invalidOption('cores', 'distinct core ids', id, 'range');
      this.recs.set(id, newRec(id));
    }
    if (restore !== undefined) {
      restoreRecs(this.recs, restore, this.scorer, options, clock.now(), (rec, mode) => this.setMode(rec, mode));
      for (const kind of restore.nondeterministic ?? []) this.nondeterministic.add(kind);
    }
  }

  state(core: number): HealthState {
    return this.visible(this.must(core), this.clock.now());
  }

  score(core: number): number {
    const rec = this.must(core);
    return this.decay(rec.value, rec.at, this.clock.now());
  }

  canServe(core: number, taskName: string): boolean {
    const rec = this.recs.get(core);
    return rec !== undefined && rec.serving && (rec.excluded.size === 0 || !rec.excluded.has(taskName));
  }

  charge(core: number, evidence: FaultEvidence): HealthEffects {
    const rec = this.must(core);
    const now = this.clock.now();
    const fx = effects(true);
    this.report(rec, now, fx, 'fault score decayed');
    const kind = evidence.taskName;
    if (this.nondeterministic.has(kind)) {
      fx.charged = false;
      return fx;
    }
    if (this.options.blame !== false) {
      let window = this.windows.get(kind);
      if (window === undefined) this.windows.set(kind, (window = new BlameWindow(this.options.blame, this.horizon)));
      const spread = window.observe(core, now);
      if (spread !== undefined) {
        // Judge before applying: the charge that completes the pattern must not disable anyone.
        this.suspect(kind, spread, now, fx);
        fx.charged = false;
        return fx;
      }
    }
    rec.faults++;
    rec.lastFaultAt = now;
    const kindScore = this.bumpKind(rec, kind, now);
    const why = `${evidence.kind} on "${kind}"`;
    let reason = `charged: ${why}`;
    if (rec.mode === 'probation') reason = this.retire(rec, `fault on probation: ${why}`);
    else if (rec.mode === 'active') reason = this.chargeActive(rec, kind, kindScore, now, fx, evidence, why);
    else if (rec.mode === 'disabled' && !rec.excluded.has(kind)) this.bumpCore(rec, now); // a straggler replica
    this.report(rec, now, fx, reason, evidence);
    return fx;
  }

  success(core: number, taskName: string): HealthEffects {
    const rec = this.recs.get(core);
    if (rec === undefined) return NO_EFFECTS;
    if (rec.kinds.size !== 0) {
      const ks = rec.kinds.get(taskName);
      if (ks !== undefined) ks.ok++;
    }
    if (rec.mode === 'probation') {
      const needed = this.options.selfTest === false ? 50 : this.options.selfTest.probationTasks;
      if (++rec.probationOk < needed) return NO_EFFECTS;
      const now = this.clock.now();
      const fx = effects(false);
      this.setMode(rec, 'active');
      this.resetScores(rec, now);
      this.report(rec, now, fx, `completed probation (${rec.probationOk} clean replicas)`);
      return fx;
    }
    if (rec.reported !== 'suspect') return NO_EFFECTS;
    const now = this.clock.now();
    if (this.visible(rec, now) === 'suspect') return NO_EFFECTS;
    const fx = effects(false);
    this.report(rec, now, fx, 'fault score decayed');
    return fx;
  }

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

  selfTestResult(core: number, passed: boolean, detail?: string): HealthEffects {
    const rec = this.must(core);
    const fx = effects(false);
    const sel = this.options.selfTest;
    if (sel === false || rec.offline || rec.mode === 'retired') return fx;
    const now = this.clock.now();
    this.report(rec, now, fx, 'fault score decayed');
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
        this.resetScores(rec, now);
        reason = `passed ${rec.streak} known-answer tests in a row (probation ${rec.probations} of ${sel.maxProbations})`;
      } else if (!passed) {
        rec.streak = 0;
        rec.dueAt = now + sel.after;
        rec.cause = 'self-test';
      }
    } else if (!passed) {
      // A wrong known answer needs no vote: take a serving core out at once.
      reason = rec.mode === 'probation' ? this.retire(rec, `failed a self-test on probation: ${why}`) : this.disable(rec, now, 'self-test', `failed a self-test: ${why}`);
    }
    this.report(rec, now, fx, reason, passed ? undefined : evidence);
    return fx;
  }

  setOffline(core: number): HealthEffects {
    const rec = this.must(core);
    const fx = effects(false);
    if (rec.offline) return fx;
    const now = this.clock.now();
    this.report(rec, now, fx, 'fault score decayed');
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
    return toRecord(this.must(core), this.scorer, this.clock.now());
  }

  export(): HealthSnapshot {
    const now = this.clock.now();
    const snapshot: HealthSnapshot = { version: 1, cores: [...this.recs.values()].map((rec) => toRecord(rec, this.scorer, now)) };
    if (this.nondeterministic.size > 0) snapshot.nondeterministic = [...this.nondeterministic].sort();
    return snapshot;
  }

  /** Task kinds suspected non-deterministic (their charges are ignored). */
  nondeterministicKinds(): string[] {
    return [...this.nondeterministic].sort();
  }

  /**
   * The kind is suspected non-deterministic: stop charging it and forgive what it charged. A
   * core it disabled comes back only with evidence that it was intermittently right on that
   * kind (clean replicas between its charges), so a stuck core whose charges merely coincided
   * with a burst of spread-out disagreements stays out.
   */
  private suspect(kind: string, cores: number[], now: number, fx: HealthEffects): void {
    this.nondeterministic.add(kind);
    this.windows.delete(kind);
    fx.suspicions.push({ taskName: kind, cores, at: now });
    const reason = `charges for "${kind}" forgiven: task kind suspected non-deterministic`;
    for (const rec of this.recs.values()) {
      const ks = rec.kinds.get(kind);
      if (ks === undefined) continue;
      rec.kinds.delete(kind);
      const intermittent = ks.ok > 0;
      if (rec.excluded.has(kind)) {
        if (intermittent) rec.excluded.delete(kind);
      } else {
        rec.value = Math.max(0, this.decay(rec.value, rec.at, now) - this.decay(ks.value, ks.at, now));
        rec.at = now;
        if (rec.value < 1e-9) rec.value = 0;
      }
      const salvage = this.options.salvage;
      if (
        rec.mode === 'disabled' &&
        intermittent &&
        (rec.cause === 'score' || rec.cause === 'kinds') &&
        this.scorer.score(rec, now) < this.threshold &&
        (salvage === false || rec.excluded.size <= salvage.maxKinds)
      ) {
        this.setMode(rec, 'active');
        rec.cause = null;
        rec.streak = 0;
      }
      this.report(rec, now, fx, reason);
    }
  }
}
