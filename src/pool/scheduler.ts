/**
 * The scheduler: queue → placement (BindingPolicy) → Core.execute → voter → health.
 * It owns every TaskRun until it settles exactly once.
 */
import { deserialize } from 'node:v8';
import type { BindingPolicy } from '../binding/types.js';
import type { ExecutingCore as Core } from '../cores/types.js';
import { TriplexError } from '../errors.js';
import type { FaultEvidence } from '../health/types.js';
import { agreesWith, decide, majorityOf, type Ballot, type VoteGroup } from '../vote/voter.js';
import type { ErrorPayload, RunReply, RunRequest } from '../worker/protocol.js';
import type { HealthBridge } from './health-bridge.js';
import type { TaskOutcome, TypedEmitter } from './events.js';
import type { ResolvedOptions } from './options.js';
import { Lanes } from './lanes.js';
import type { Stats } from './stats.js';
import { TaskRun, type DetailedResult, type ReplicaRecord, type ReplicaReport } from './task.js';

/** How far past a blocked queue head the scheduler looks for a task that fits a free core. */
const SCAN_LIMIT = 64;

export class Scheduler {
  private readonly queue: TaskRun[] = [];
  private head = 0;
  private readonly retries: TaskRun[] = [];
  private readonly running = new Set<TaskRun>();
  private readonly needed: number;
  private readonly individually: boolean;
  private readonly maxBatch: number;
  private readonly lanes: Lanes;
  private pumping = false;
  private pumpScheduled = false;
  private again = false;
  destroyed = false;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly cores: readonly Core[],
    private readonly policy: BindingPolicy,
    private readonly healthBridge: HealthBridge,
    private readonly events: TypedEmitter,
    readonly stats: Stats,
  ) {
    this.needed = majorityOf(options.k);
    // Dynamic binding places each replica as soon as a suitable core frees (work-conserving);
    // static binding places whole groups.
    this.individually = policy.name === 'dynamic';
    // Batching only under dynamic binding: static groups run one task at a time by definition.
    this.maxBatch = this.individually ? options.maxBatch : 1;
    this.lanes = new Lanes(cores, options.taskTimeout, {
      reply: (replica, reply) => this.onReply(replica, reply),
      failed: (replica, status) => this.onFailed(replica, status),
      lost: (replica, ran) => this.onLost(replica, ran),
      sent: () => {
        this.stats.messages++;
      },
      settled: (core) => {
        if (this.lanes.load(core) === 0) this.healthBridge.coreIdle(core);
        this.pump();
      },
    });
  }

  /** Tasks accepted and not yet started. */
  queued = 0;

  submit(task: TaskRun): void {
    this.stats.submitted++;
    this.running.add(task);
    this.queued++;
    if (this.policy.capacity(this.cores) < this.options.k) {
      this.fail(task, this.notEnoughCores());
      return;
    }
    // Tasks that free cores can start at once are not waiting: only the rest counts against maxQueue.
    if (this.queued - Math.floor(this.lanes.available / this.options.k) > this.options.maxQueue) {
      this.fail(task, new TriplexError('ERR_QUEUE_FULL', `The queue is full (maxQueue = ${this.options.maxQueue})`, { maxQueue: this.options.maxQueue }));
      return;
    }
    this.queue.push(task);
    this.schedulePump();
  }

  /**
   * Placement of new tasks waits for the end of the current microtask checkpoint, so tasks
   * submitted together (a loop of run() calls, continuations of a batch of answers) are placed
   * together and can share messages.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      if (!this.destroyed) this.pump();
    });
  }

  private notEnoughCores(): TriplexError {
    const enabled = this.cores.filter((core) => core.enabled).length;
    return new TriplexError(
      'ERR_NOT_ENOUGH_CORES',
      `Not enough enabled cores for ${this.options.redundancy.toUpperCase()}: ${this.options.k} needed, ${this.policy.capacity(this.cores)} can serve (${enabled} enabled of ${this.cores.length})`,
      { needed: this.options.k, enabled, total: this.cores.length },
    );
  }

  /** Replicas placed on a core and not yet answered. */
  load(core: Core): number {
    return this.lanes.load(core);
  }

  /** A core's enabled state changed (health bridge). */
  coresChanged(): void {
    this.lanes.recount();
    // A full pass even with no free core: tasks that can no longer be served must fail now, not wait forever.
    this.pump(true);
  }

  /** Places waiting replicas on free cores until nothing more fits. */
  pump(everyTask = false): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      if (this.maxBatch > 1) {
        // Batch only under backlog: replicas waiting per core decide how many share a message.
        const waiting = Math.floor((this.queued * this.options.k) / this.cores.length);
        this.lanes.setDepth(Math.max(1, Math.min(this.maxBatch, waiting)));
      }
      do {
        this.again = false;
        for (let i = 0; i < this.retries.length && (everyTask || this.lanes.available > 0); ) {
          const task = this.retries[i]!;
          if (task.settled || task.wanted === 0 || this.place(task)) this.retries.splice(i, 1);
          else i++;
        }
        let scanned = 0;
        for (let i = this.head; i < this.queue.length && (everyTask || (scanned < SCAN_LIMIT && this.lanes.available > 0)); i++) {
          const task = this.queue[i]!;
          if (task.settled || task.wanted === 0) continue;
          if (!this.place(task)) scanned++;
        }
        while (this.head < this.queue.length && (this.queue[this.head]!.settled || this.queue[this.head]!.wanted === 0)) this.head++;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
      } while (this.again);
      this.lanes.flush();
    } finally {
      this.pumping = false;
    }
  }

  /** Tries to place a task's wanted replicas. True when none is left to place. */
  private place(task: TaskRun): boolean {
    while (task.wanted > 0) {
      const placement = this.policy.place(
        { taskId: task.id, taskName: task.name, k: task.k, count: this.individually ? 1 : task.wanted, used: task.used, group: task.group },
        this.cores,
      );
      if (placement.kind === 'wait') return false;
      if (placement.kind === 'impossible') {
        task.wanted = 0;
        if (!task.started && placement.reason === 'not-enough-cores') this.fail(task, this.notEnoughCores());
        else if (task.inFlight === 0) this.noMajority(task, 'no unused enabled core is left to ask');
        return true;
      }
      if (placement.group !== undefined) task.group = placement.group;
      for (const index of placement.cores) this.dispatch(task, this.cores[index]!);
      task.wanted = Math.max(0, task.wanted - placement.cores.length);
      if (task.retryReason !== undefined && this.events.has('retry')) {
        const event = { taskId: task.id, taskName: task.name, reason: task.retryReason, cores: [...placement.cores], attempts: Math.max(0, task.replicas.length - task.lost - task.k) };
        this.events.emit('retry', placement.group === undefined ? event : { ...event, group: placement.group });
      }
      if (task.wanted === 0) task.retryReason = undefined;
    }
    return true;
  }

  private dispatch(task: TaskRun, core: Core): void {
    if (!task.started) {
      this.queued--;
      task.dispatchedAt = performance.now();
    }
    const replica: ReplicaRecord = { task, index: task.replicas.length, core, status: 'running', reply: undefined, startedAt: performance.now(), injections: undefined };
    task.replicas.push(replica);
    task.used.push(core.id);
    task.inFlight++;
    this.stats.replicas++;
    const request: RunRequest = { kind: 'run', name: task.name, input: task.input };
    const faults = this.options.faults;
    if (faults !== undefined) {
      const decision = faults.decide({ taskId: task.id, taskName: task.name, replica: replica.index, core: core.id });
      if (decision !== undefined) {
        request.inject = decision.order;
        replica.injections = decision.records;
        this.stats.injected += decision.records.length;
      }
    }
    this.lanes.enqueue(replica, request);
  }

  private onReply(replica: ReplicaRecord, reply: RunReply): void {
    if (this.destroyed) return;
    replica.reply = reply;
    replica.status = reply.ok ? 'value' : 'error';
    if (reply.flips !== undefined && replica.injections !== undefined) for (const record of replica.injections) record.flips = reply.flips;
    this.finish(replica.task, replica);
  }

  private onFailed(replica: ReplicaRecord, status: 'crash' | 'timeout' | 'aborted'): void {
    if (this.destroyed) return;
    replica.status = status;
    if (status === 'timeout') this.stats.timeouts++;
    else if (status === 'crash') this.stats.crashes++;
    this.finish(replica.task, replica);
  }

  /** Killed with another replica's batch: not a ballot, not a fault; the task asks for a replacement. */
  private onLost(replica: ReplicaRecord, ran: boolean): void {
    if (this.destroyed) return;
    const task = replica.task;
    replica.status = 'lost';
    task.inFlight--;
    task.lost++;
    this.stats.lost++;
    // A replica that never started did not run on that core: the core may serve the task again.
    if (!ran) task.used.splice(task.used.lastIndexOf(replica.core.id), 1);
    if (task.settled) return;
    task.wanted++;
    if (!this.retries.includes(task)) this.retries.push(task);
  }

  private ballotOf(replica: ReplicaRecord): Ballot {
    const reply = replica.reply;
    if (reply === undefined) return { key: undefined };
    if (!reply.ok) return { key: reply.digest, isError: true };
    return this.options.equals === undefined ? { key: reply.digest } : { key: reply.digest, value: deserialize(reply.payload) };
  }

  private finish(task: TaskRun, replica: ReplicaRecord): void {
    task.inFlight--;
    if (replica.status === 'aborted') return;
    const ballot = this.ballotOf(replica);
    task.finished.push(replica);
    task.ballots.push(ballot);
    this.healthBridge.noteSpeed(task, replica);
    if (task.settled) this.judgeLate(task, replica, ballot);
    else this.evaluate(task);
  }

  private evaluate(task: TaskRun): void {
    const verdict = decide(task.ballots, task.inFlight, this.needed, this.options.equals);
    if (verdict.kind === 'agreed') {
      this.agreed(task, verdict.group, verdict.groups.length > 1);
      return;
    }
    if (verdict.groups.length > 1) this.markDisagreement(task);
    if (verdict.kind === 'waiting') return;
    const missing = verdict.missing - task.wanted;
    if (missing <= 0) return; // already waiting for enough cores
    const beyond = task.replicas.length - task.lost + task.wanted - task.k;
    if (beyond + missing > this.options.maxAttempts) {
      this.noMajority(task, `no majority after ${Math.max(0, beyond)} extra replica(s) (maxAttempts = ${this.options.maxAttempts})`);
      return;
    }
    task.extra += missing;
    task.wanted += missing;
    this.stats.retries += missing;
    task.retryReason = task.finished.every((r) => r.status === 'value' || r.status === 'error') ? 'tie-break' : 're-execution';
    this.retries.push(task);
  }

  private markDisagreement(task: TaskRun): void {
    if (task.disagreed) return;
    task.disagreed = true;
    this.stats.disagreements++;
    if (this.events.has('disagreement')) {
      this.events.emit('disagreement', {
        taskId: task.id,
        taskName: task.name,
        replicas: task.finished.map((r) => ({ core: r.core.id, cpu: r.reply?.cpu ?? -1, digest: r.reply?.digest, status: r.status })),
      });
    }
  }

  private agreed(task: TaskRun, winner: VoteGroup, split: boolean): void {
    task.winner = winner;
    if (split) this.markDisagreement(task);
    const minority = task.finished.filter((_, i) => !winner.members.includes(i));
    const corrected = minority.length > 0;
    for (const [i, replica] of task.finished.entries()) {
      if (winner.members.includes(i)) this.healthBridge.success(replica.core, task.name);
      else this.chargeReplica(task, replica, winner);
    }
    const first = task.finished[winner.members[0]!]!.reply!;
    if (winner.isError) {
      const error = rebuildError(deserialize(first.payload) as ErrorPayload);
      this.settle(task, 'error', corrected);
      this.stats.failed++;
      this.emitFailed(task, error);
      task.reject(error);
      return;
    }
    const value = deserialize(first.payload) as unknown;
    this.settle(task, 'value', corrected);
    this.stats.completed++;
    if (corrected) this.stats.corrected++;
    if (task.detailed) {
      const result: DetailedResult = { value, replicas: this.report(task), attempts: Math.max(0, task.replicas.length - task.lost - task.k), corrected };
      task.resolve(result);
    } else {
      task.resolve(value);
    }
  }

  /** A replica that answered after the verdict: charge it if it disagrees (TMR's third replica). */
  private judgeLate(task: TaskRun, replica: ReplicaRecord, ballot: Ballot): void {
    const winner = task.winner;
    if (winner === undefined) return; // the task failed without a majority: nobody can be blamed
    const winners = task.finished.filter((_, i) => winner.members.includes(i));
    if (agreesWith(task.ballots, winner, ballot, this.options.equals)) {
      winner.members.push(task.finished.length - 1);
      this.healthBridge.success(replica.core, task.name);
      return;
    }
    if (!task.disagreed) this.markDisagreement(task);
    if (winners.length > 0) this.chargeReplica(task, replica, winner);
  }

  private chargeReplica(task: TaskRun, replica: ReplicaRecord, winner: VoteGroup): void {
    const kind = replica.status === 'crash' ? 'crash' : replica.status === 'timeout' ? 'timeout' : 'wrong-result';
    const evidence: FaultEvidence = { kind, taskName: task.name, taskId: task.id, majorityDigest: winner.key };
    if (replica.reply !== undefined) evidence.digest = replica.reply.digest;
    this.stats.faults++;
    this.healthBridge.charge(replica.core, evidence);
  }

  private noMajority(task: TaskRun, why: string): void {
    if (task.settled) return;
    this.markDisagreement(task);
    const replicas = this.report(task);
    this.stats.failed++;
    this.stats.noMajority++;
    const error = new TriplexError('ERR_NO_MAJORITY', `Task "${task.name}" (#${task.id}): ${why}; outcomes: ${replicas.map((r) => `core ${r.core} ${r.status}${r.digest ? ` ${r.digest.slice(0, 8)}` : ''}`).join(', ')}`, {
      taskId: task.id,
      taskName: task.name,
      outcomes: replicas,
    });
    this.settle(task, 'no-majority');
    this.emitFailed(task, error);
    task.reject(error);
  }

  private report(task: TaskRun): ReplicaReport[] {
    const winner = task.winner;
    return task.replicas.map((replica) => {
      const finishedAt = task.finished.indexOf(replica);
      const reply = replica.reply;
      const entry: ReplicaReport = {
        core: replica.core.id,
        cpu: reply?.cpu ?? -1,
        digest: reply?.digest,
        ms: reply?.ms ?? performance.now() - replica.startedAt,
        ok: winner !== undefined && finishedAt >= 0 && winner.members.includes(finishedAt),
        status: replica.status,
      };
      if (reply !== undefined && !reply.ok) entry.error = (deserialize(reply.payload) as ErrorPayload).message;
      return entry;
    });
  }

  private settle(task: TaskRun, outcome: TaskOutcome, corrected = false): void {
    if (this.events.has('task-settled')) {
      const now = performance.now();
      const started = task.started ? task.dispatchedAt : now;
      this.events.emit('task-settled', { taskId: task.id, taskName: task.name, outcome, queueMs: started - task.submittedAt, runMs: now - started, replicas: task.replicas.length, corrected });
    }
    if (!task.started) this.queued--;
    task.settled = true;
    task.wanted = 0;
    this.running.delete(task);
    if (task.signal !== undefined && task.onAbort !== undefined) task.signal.removeEventListener('abort', task.onAbort);
  }

  /** Rejects a task that never produced a voted answer (abort, destroy, no cores, full queue). */
  fail(task: TaskRun, error: Error): void {
    if (task.settled) return;
    this.settle(task, outcomeOf(error));
    this.stats.failed++;
    if (error instanceof TriplexError && error.code === 'ERR_ABORTED') this.stats.aborted++;
    this.emitFailed(task, error);
    task.reject(error);
  }

  private emitFailed(task: TaskRun, error: Error): void {
    if (this.events.has('task-failed')) this.events.emit('task-failed', { taskId: task.id, taskName: task.name, error });
  }

  /** User abort: queued tasks leave the queue; running replicas are terminated (no core is charged). */
  abort(task: TaskRun, reason: unknown): void {
    if (task.settled) return;
    this.fail(task, new TriplexError('ERR_ABORTED', `Task "${task.name}" (#${task.id}) was aborted`, { taskId: task.id, reason: String(reason) }));
    // A replica still queued behind others in its core's batch runs on and is ignored.
    for (const replica of task.replicas) {
      if (replica.status === 'running') this.lanes.terminateIfRunning(replica, 'abort');
    }
  }

  /** Rejects everything pending with ERR_DESTROYED. */
  destroy(): void {
    this.destroyed = true;
    const pending = [...this.running];
    for (const task of pending) this.fail(task, new TriplexError('ERR_DESTROYED', `The pool was destroyed before task "${task.name}" (#${task.id}) settled`, { taskId: task.id }));
    this.lanes.close();
    this.queue.length = 0;
    this.head = 0;
    this.retries.length = 0;
    this.running.clear();
  }
}

function outcomeOf(error: Error): TaskOutcome {
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_ABORTED') return 'aborted';
  if (code === 'ERR_DESTROYED') return 'destroyed';
  if (code === 'ERR_QUEUE_FULL') return 'queue-full';
  if (code === 'ERR_NOT_ENOUGH_CORES') return 'not-enough-cores';
  return 'no-majority';
}

const OWN_CODES = new Set(['ERR_TASK_NOT_FOUND', 'ERR_NOT_CLONEABLE']);

/** Rebuilds a task's thrown error on the main thread: same name, message and code. */
export function rebuildError(payload: ErrorPayload): Error {
  if (typeof payload.code === 'string' && OWN_CODES.has(payload.code)) {
    return new TriplexError(payload.code as 'ERR_TASK_NOT_FOUND', payload.message);
  }
  const error = new Error(payload.message);
  error.name = payload.name;
  if (payload.code !== undefined) (error as Error & { code?: unknown }).code = payload.code;
  if (payload.stack !== undefined) error.stack = payload.stack;
  return error;
}
