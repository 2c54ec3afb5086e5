/**
 * Connects the pure health machine and binding policy to the live cores: applies state
 * changes (enable/disable, salvage exclusions, spares), stops and restarts workers, runs
 * known-answer self-tests on disabled cores, and emits the events.
 */
import { deserialize, serialize } from 'node:v8';
import type { BindingPolicy } from '../binding/types.js';
import { smoothedSpeed } from '../binding/speed.js';
import { isServing, selfTestPollMs } from '../health/serving.js';
import { Reintegration } from '../health/reintegration.js';
import { canonicalDigest } from '../codec/canonical.js';
import { digestOf } from '../replication/byte-keys.js';
import type { ExecutingCore as Core } from '../cores/types.js';
import type { CoreHealth } from '../health/core-health.js';
import type { FaultEvidence, HealthEffects } from '../health/types.js';
import type { CoreState, FaultEvent, TypedEmitter } from './events.js';
import type { RunReply, RunRequest } from '../transport/protocol.js';
import type { ResolvedOptions } from './options.js';
import type { Stats } from './stats.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { ReplicaRecord, TaskRun } from './task.js';

export class HealthBridge {
  /** Called when capacity may have changed, so waiting tasks are re-examined. */
  onCapacityChange: () => void = () => {};
  /** Replicas placed on a core and not answered yet (`busy` only means "full" when batching). */
  loadOf: (core: Core) => number = (core) => (core.busy ? 1 : 0);
  private readonly stopWhenIdle = new Set<Core>();
  /** Known-answer probes of disabled cores (none when selfTest is false). */
  private readonly reintegration: Reintegration | undefined;
  private readonly lastState = new Map<number, CoreState>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly health: CoreHealth,
    private readonly policy: BindingPolicy,
    private readonly cores: readonly Core[],
    private readonly options: ResolvedOptions,
    private readonly events: TypedEmitter,
    private readonly stats: Stats,
    /** The pool's clock: dates a crash or timeout against the moment it was observed. */
    private readonly clock: Clock = systemClock,
  ) {
    for (const core of cores) this.lastState.set(core.id, this.stateOf(core.id));
    const selfTest = options.health.selfTest;
    if (selfTest !== false) {
      this.reintegration = new Reintegration(health, selfTest.passes, {
        busy: (id) => this.loadOf(this.cores[id]!) > 0,
        start: (id, round) => void this.probe(this.cores[id]!, round),
        apply: (effects) => this.apply(effects),
        ended: (id) => this.probed(this.cores[id]!),
      });
      this.timer = setInterval(() => this.probeDueCores(), selfTestPollMs(selfTest.after));
      this.timer.unref();
    }
  }

  /** Public state of a core: the health state, or 'stranded' when its static group left service. */
  stateOf(coreId: number): CoreState {
    const state = this.health.state(coreId);
    if ((state === 'healthy' || state === 'suspect') && this.policy.binding(coreId).role === 'stranded') return 'stranded';
    return state;
  }

  /** A replica came back: it takes its place in its core's judging order. */
  arrived(replica: ReplicaRecord): void {
    replica.ticket = this.health.arrived(replica.core.id);
  }

  /**
   * Returned replicas of a settled task that were not judged (and will not be) hold nothing up.
   * Runs while the task settles: a failure here is reported, never thrown into the settling task.
   */
  forgoUnjudged(task: TaskRun): void {
    for (const replica of task.finished) {
      const ticket = replica.ticket;
      if (ticket === undefined) continue;
      replica.ticket = undefined;
      try {
        this.apply(this.health.forgo(replica.core.id, ticket));
      } catch (error) {
        if (this.events.has('error')) this.events.emit('error', error as Error);
        else process.emitWarning(error as Error);
      }
    }
  }

  charge(replica: ReplicaRecord, evidence: FaultEvidence): void {
    const core = replica.core;
    const ticket = replica.ticket;
    replica.ticket = undefined;
    const effects = this.health.charge(core.id, evidence, ticket);
    if (this.events.has('fault')) {
      const event: FaultEvent = {
        core: core.id,
        cpu: core.cpu,
        kind: evidence.kind,
        taskId: evidence.taskId ?? -1,
        taskName: evidence.taskName,
        charged: effects.charged,
      };
      event.taskKind = evidence.taskKind ?? evidence.taskName;
      if (effects.attribution !== undefined) event.attribution = effects.attribution;
      if (evidence.digest !== undefined) event.digest = evidence.digest;
      event.majorityDigest = evidence.majorityDigest;
      if (evidence.detail !== undefined) event.detail = evidence.detail;
      // A wrong result is detected by the vote itself; a crash or timeout when it was seen, often well before.
      const seen = evidence.kind === 'crash' || evidence.kind === 'timeout';
      if (seen && replica.endedAt !== undefined) event.observedMsAgo = Math.max(0, this.clock.now() - replica.endedAt);
      this.events.emit('fault', event);
    }
    this.apply(effects);
  }

  /** A replica agreed with the majority: evidence for its core on that kind, and toward ending a probation. */
  success(replica: ReplicaRecord, taskKind: string): void {
    const ticket = replica.ticket;
    replica.ticket = undefined;
    const effects = this.health.success(replica.core.id, taskKind, ticket);
    if (effects.transitions.length > 0 || effects.exclusions.length > 0 || effects.suspicions.length > 0) this.apply(effects);
  }

  /** Relative slowness: this replica's time over the task's fastest, smoothed per core. */
  noteSpeed(task: TaskRun, replica: ReplicaRecord): void {
    const ms = replica.reply?.ms;
    if (ms === undefined || !replica.reply!.ok) return;
    let fastest = ms;
    for (const other of task.finished) {
      const otherMs = other.reply?.ms;
      if (otherMs !== undefined && other.reply!.ok && otherMs < fastest) fastest = otherMs;
    }
    replica.core.speed = smoothedSpeed(replica.core.speed, ms, fastest);
  }

  coreIdle(core: Core): void {
    if (this.stopWhenIdle.has(core) && !this.isProbing(core) && !core.enabled) {
      this.stopWhenIdle.delete(core);
      void core.stop();
    }
  }

  setOffline(core: Core): void {
    this.apply(this.health.setOffline(core.id));
  }

  setOnline(core: Core): void {
    this.apply(this.health.setOnline(core.id));
    if (core.enabled && !core.started) void this.startCore(core);
  }

  apply(effects: HealthEffects): void {
    this.events.hold(() => this.applyHeld(effects));
  }

  private applyHeld(effects: HealthEffects): void {
    // The cores read their serving state from the health model: only workers follow here.
    for (const transition of effects.transitions) {
      const core = this.cores[transition.core]!;
      const serving = isServing(transition.to);
      if (!serving && transition.to !== 'offline') {
        // Disabled or retired: its worker is shut down once its current replica returns.
        if (this.loadOf(core) > 0) this.stopWhenIdle.add(core);
        else if (!this.isProbing(core)) void core.stop();
      }
      // Back in service before its queue drained: its worker must keep running.
      if (serving) this.stopWhenIdle.delete(core);
      if (serving && !core.started) void this.startCore(core);
    }
    // Exclusions are added and lifted (probation ends, kinds forgiven) with transitions and exclusions.
    const changed = effects.transitions.length > 0 || effects.exclusions.length > 0;
    if (this.events.has('nondeterminism-suspected')) {
      for (const s of effects.suspicions) {
        this.events.emit('nondeterminism-suspected', { taskName: s.taskName, cores: s.cores, base: s.base, ...(s.ended ? { ended: true } : {}) });
      }
    }
    const spares = changed ? [...this.policy.update(this.cores)] : [];
    // Causes before effects: the cores the health model moved, then the spare changes and the
    // cores those moved (a static group stranded or back in service).
    const reasons = new Map(effects.transitions.map((t) => [t.core, t]));
    this.emitStateChanges(reasons, true);
    if (this.events.has('spare')) for (const change of spares) this.events.emit('spare', change);
    this.emitStateChanges(reasons, false);
    if (changed) this.onCapacityChange();
  }

  /** Emits core-state for every core whose public state moved: those with a health transition (`moved`), or the others. */
  private emitStateChanges(reasons: ReadonlyMap<number, HealthEffects['transitions'][number]>, moved: boolean): void {
    for (const core of this.cores) {
      if (reasons.has(core.id) !== moved) continue;
      const now = this.stateOf(core.id);
      const before = this.lastState.get(core.id)!;
      if (now === before) continue;
      this.lastState.set(core.id, now);
      if (!this.events.has('core-state')) continue;
      const transition = reasons.get(core.id);
      const event = {
        core: core.id,
        from: before,
        to: now,
        reason: transition?.reason ?? (now === 'stranded' ? 'its static group left service' : 'its static group is back in service'),
      };
      const withEvidence = transition?.evidence === undefined ? event : { ...event, evidence: transition.evidence };
      this.events.emit('core-state', transition?.attribution === undefined ? withEvidence : { ...withEvidence, attribution: transition.attribution });
    }
  }

  private async startCore(core: Core): Promise<void> {
    try {
      await core.start();
    } catch (error) {
      if (this.events.has('error')) this.events.emit('error', error as Error);
    }
  }

  private probeDueCores(): void {
    if (!this.closed) this.reintegration?.poll();
  }

  /** One known-answer probe on a disabled core (it serves no user task meanwhile); the shared loop decides what follows. */
  private async probe(core: Core, round: number): Promise<void> {
    const selfTest = this.options.health.selfTest;
    const loop = this.reintegration;
    if (selfTest === false || loop === undefined) return;
    try {
      await core.start();
      const kat = this.health.nextSelfTest(core.id) ?? selfTest.tasks[round % selfTest.tasks.length]!;
      const input = serialize(kat.input);
      // Replicas are digested as decoded clones: so is the expected answer.
      const expected = canonicalDigest(deserialize(serialize(kat.expected)));
      const passed = await this.runProbe(core, { kind: 'run', name: kat.name, input }).then(
        (reply) => reply.ok && digestOf(reply) === expected,
        () => false,
      );
      this.stats.selfTests++;
      if (this.events.has('self-test')) this.events.emit('self-test', { core: core.id, task: kat.name, passed });
      if (this.closed) loop.end(core.id);
      else loop.done(core.id, passed, passed ? undefined : `known-answer task ${kat.name} gave a wrong answer`);
    } catch (error) {
      if (this.events.has('error')) this.events.emit('error', error as Error);
      loop.end(core.id);
    }
  }

  /** Probing a core is over: a core still out of service gives its worker back. */
  private probed(core: Core): void {
    if (!core.enabled && !this.closed) void core.stop();
  }

  /** One known-answer probe; a probe that hangs past taskTimeout fails and its worker is terminated. */
  private runProbe(core: Core, request: RunRequest): Promise<RunReply> {
    const answer = core.execute(request);
    const limit = this.options.taskTimeout;
    if (limit === Number.POSITIVE_INFINITY) return answer;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        core.terminateCurrent();
        reject(new Error(`known-answer probe on core ${core.id} hung past taskTimeout`));
      }, limit);
    });
    return Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
  }

  private isProbing(core: Core): boolean {
    return this.reintegration?.isProbing(core.id) ?? false;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}
