/**
 * The scheduler: queue → placement (BindingPolicy) → Core.execute → voter → health.
 * It owns every TaskRun until it settles exactly once.
 */
import type { BindingPolicy } from '../binding/types.js';
import type { ExecutingCore as Core } from '../cores/types.js';
import { asError, messageOf, TriplexError } from '../errors.js';
import type { RunReply, RunRequest } from '../transport/protocol.js';
import type { HealthBridge } from './health-bridge.js';
import type { TaskOutcome, TypedEmitter } from './events.js';
import type { ResolvedOptions } from './options.js';
import { Lanes } from './lanes.js';
import type { Stats } from './stats.js';
import { abortError, outcomeOf } from './outcomes.js';
import { Verdicts } from './verdicts.js';
import type { DeterminismJournal } from './determinism-options.js';
import { assignVoteKey } from '../replication/byte-keys.js';
import { newPlacementRequest, placeWanted, type PlacementHost } from '../replication/placement.js';
import { newReplica, type ReplicaRecord, type TaskRun } from './task.js';
import { noteInjections, notInjected, withInjection } from './injections.js';
import { systemTimers, TurnClock, type Timers } from '../util/clock.js';
import { SlotSet } from '../util/slot-set.js';
import { WaitingTasks } from './waiting.js';

export class Scheduler {
  private readonly waiting = new WaitingTasks();
  /** Tasks accepted and not settled (not a Set: see util/slot-set.ts). */
  private readonly running = new SlotSet<TaskRun>('runningSlot');
  private readonly maxBatch: number;
  /** What the shared placement loop needs of this pool, and its reusable request. */
  private readonly placement: PlacementHost<TaskRun>;
  private readonly request = newPlacementRequest();
  private readonly lanes: Lanes;
  private readonly verdicts: Verdicts;
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
    /** Wall-clock time and timers for the lanes' watchdogs; virtual in tests. */
    timers: Timers = systemTimers,
    /** Monotonic time for queue and run times, read once per answered message or pump (shared with the health model and the pool surface). */
    private readonly clock: TurnClock = new TurnClock(),
  ) {
    // Batching only under dynamic binding: static groups run one task at a time by definition.
    this.maxBatch = policy.name === 'dynamic' ? options.maxBatch : 1;
    this.placement = {
      policy,
      cores,
      dispatch: (task, index) => this.dispatch(task, cores[index]!),
      placed: (task, placement) => this.placed(task, placement),
      idleHint: () => Number.POSITIVE_INFINITY,
      holds: (task) => this.waitsForCores(task),
    };
    this.verdicts = new Verdicts(options, stats, events, healthBridge, {
      requestMore: (task) => this.waiting.retry(task),
      settle: (task, outcome, corrected) => this.settle(task, outcome, corrected),
      emitFailed: (task, error) => this.emitFailed(task, error),
      fail: (task, error) => this.fail(task, error),
      report: (error) => this.report(error),
    });
    this.lanes = new Lanes(
      cores,
      options.taskTimeout,
      {
        reply: (replica, reply) => this.guard(replica, () => this.onReply(replica, reply)),
        failed: (replica, status, why) => this.guard(replica, () => this.onFailed(replica, status, why)),
        lost: (replica, ran, queued) => this.guard(replica, () => this.onLost(replica, ran, queued)),
        handle: (work) => this.clock.during(this.handleNow, work),
        sent: () => {
          this.stats.messages++;
        },
        settled: (core) => {
          if (this.lanes.load(core) === 0) this.healthBridge.coreIdle(core);
          this.pump();
        },
      },
      timers,
    );
  }

  /** Tasks accepted and not yet placed on any core (the pool's own queue). */
  queued = 0;
  /** Seeds and clocks of deterministic replicas (option determinism); none: replicas run as they are. */
  journal: DeterminismJournal | undefined;
  /** Whether a task the cores cannot serve now waits for more instead of failing (a cluster waiting for hosts). */
  waitsForCores: (task: TaskRun) => boolean = () => false;
  /** Called once per task as it settles, before its caller is answered (the pool surface's book-keeping). */
  onSettled: (task: TaskRun) => void = () => {};

  submit(task: TaskRun): void {
    this.events.hold(this.accepting, task);
  }

  /** accept(), made once: submitting a task allocates no closure. */
  private readonly accepting = (task: TaskRun): void => this.accept(task);

  private accept(task: TaskRun): void {
    this.stats.submitted++;
    this.running.add(task);
    this.queued++;
    const capacity = this.policy.capacity(this.cores);
    if (capacity < this.options.k && !this.waitsForCores(task)) {
      task.refused = true;
      this.fail(task, this.notEnoughCores());
      return;
    }
    if (this.backlogWith(capacity) > this.options.maxQueue) {
      task.refused = true;
      this.fail(task, new TriplexError('ERR_QUEUE_FULL', `The queue is full (maxQueue = ${this.options.maxQueue})`, { maxQueue: this.options.maxQueue }));
      return;
    }
    this.waiting.push(task);
    this.schedulePump();
  }

  /** Task slots: how many tasks the enabled cores run at once (k cores each; at least one). */
  slots(): number {
    return this.slotsWith(this.policy.capacity(this.cores));
  }

  private slotsWith(capacity: number): number {
    return Math.max(1, Math.floor(capacity / this.options.k));
  }

  /**
   * Tasks waiting for cores (what maxQueue bounds; piscina's queueSize): those accepted beyond the
   * task slots, whether still in the pool's queue or placed in a core's ring where no worker has
   * started them. Ring-resident tasks count: with batching a core's ring holds most of a backlog.
   */
  get backlog(): number {
    return this.backlogWith(this.policy.capacity(this.cores));
  }

  private backlogWith(capacity: number): number {
    return Math.max(0, this.running.size - this.slotsWith(capacity));
  }

  /**
   * Placement of new tasks waits for the end of the current microtask checkpoint, so tasks
   * submitted together (a loop of run() calls, continuations of a batch of answers) are placed
   * together and can share messages.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(this.scheduledPump);
  }

  /** The pump schedulePump queued, made once: no closure per microtask. */
  private readonly scheduledPump = (): void => {
    this.pumpScheduled = false;
    if (!this.destroyed) this.clock.during(this.heldPump);
  };

  private readonly heldPump = (): void => this.events.hold(this.pumpNow);

  /** One answered or killed message's handling, its events held until it is done. */
  private readonly handleNow = (work: () => void): void => this.events.hold(() => this.shielded(work));

  private readonly pumpNow = (): void => this.pump();

  private notEnoughCores(kind?: string): TriplexError {
    const k = this.options.k;
    const enabled = this.cores.filter((core) => core.enabled).length;
    const capacity = this.policy.capacity(this.cores);
    const what = `Not enough enabled cores for ${this.options.redundancy.toUpperCase()}: ${k} needed`;
    // Salvage can leave enough cores for the pool but too few for one kind: say which.
    const serving = kind === undefined ? [] : this.cores.filter((core) => core.enabled && !core.excludedKinds.has(kind));
    const message =
      kind !== undefined && serving.length < k && capacity >= k
        ? `${what}, ${serving.length} can serve task kind "${kind}" (${enabled - serving.length} of the ${enabled} enabled exclude it after faults on it)`
        : `${what}, ${capacity} can serve (${enabled} enabled of ${this.cores.length})`;
    return new TriplexError('ERR_NOT_ENOUGH_CORES', message, { needed: k, enabled, total: this.cores.length });
  }

  /** Replicas placed on a core and not yet answered. */
  load(core: Core): number {
    return this.lanes.load(core);
  }

  /** A core's enabled state changed (health bridge). */
  coresChanged(): void {
    this.events.hold(() => {
      this.lanes.recount();
      // A full pass even with no free core: tasks that can no longer be served must fail now, not wait forever.
      this.pump(true);
    });
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
        // Pipeline only under backlog: with the work outstanding spread over the cores, each worker
        // finds its next replicas in its ring instead of sleeping until the main thread answers.
        const outstanding = this.queued * this.options.k + this.lanes.placed;
        this.lanes.setDepth(Math.max(1, Math.min(this.maxBatch, Math.ceil(outstanding / this.cores.length))));
      }
      do {
        this.again = false;
        this.waiting.placeEach(this.placeTask, this.hasRoom, everyTask);
      } while (this.again);
      this.lanes.flush();
    } finally {
      this.pumping = false;
    }
  }

  /** place() and the free-core test, made once: a placement pass allocates no closure. */
  private readonly placeTask = (task: TaskRun): boolean => this.place(task);
  private readonly hasRoom = (): boolean => this.lanes.available > 0;

  /** Tries to place a task's wanted replicas (the shared placement loop). True when none is left to place. */
  private place(task: TaskRun): boolean {
    const result = placeWanted(task, task.kind, this.placement, this.request);
    if (result === 'wait') return false;
    if (result === 'not-enough-cores') this.fail(task, this.notEnoughCores(task.kind));
    else if (result === 'no-majority') this.verdicts.noMajority(task, 'no unused enabled core is left to ask');
    return true;
  }

  /** Tie-breaks and re-executions placed: the retry event. */
  private placed(task: TaskRun, placement: { cores: number[]; group?: number }): void {
    if (task.retryReason !== undefined && this.events.has('retry')) {
      const event = {
        taskId: task.id,
        taskName: task.name,
        taskKind: task.kind,
        reason: task.retryReason,
        cores: [...placement.cores],
        attempts: Math.max(0, task.placed - task.k),
      };
      this.events.emit('retry', placement.group === undefined ? event : { ...event, group: placement.group });
    }
    if (task.wanted === 0) task.retryReason = undefined;
  }

  private dispatch(task: TaskRun, core: Core): void {
    if (!task.started) {
      this.queued--;
      task.dispatchedAt = this.clock.now();
      task.begin();
      task.det = this.journal?.order(task.seed, task.submittedAt);
    }
    const replica = newReplica(task, core, this.clock.now());
    task.replicas.push(replica);
    task.used.push(core.id);
    task.inFlight++;
    task.segment?.dispatched(core.id, replica.index);
    this.stats.replicas++;
    if (task.retryReason !== undefined) this.stats.retries++; // a tie-break or re-execution that really runs
    this.lanes.enqueue(replica, this.requestFor(task, replica));
  }

  /**
   * What the replica's worker is asked to run. The task's replicas share one request (it is only
   * read: written into a ring or posted); a replica with an injected fault gets a copy of its own.
   */
  private requestFor(task: TaskRun, replica: ReplicaRecord): RunRequest {
    let request = task.request;
    if (request === undefined) {
      request = { kind: 'run', name: task.address ?? task.name, input: task.input, det: task.det };
      task.request = request;
    }
    const faults = this.options.faults;
    return faults === undefined ? request : withInjection(faults, request, task, replica, this.stats);
  }

  /**
   * Handles one replica's news. Whatever goes wrong inside (a bug, an exhausted stack) settles
   * that task with ERR_INTERNAL instead of losing it, and the rest of its batch is still handled.
   */
  private guard(replica: ReplicaRecord, work: () => void): void {
    try {
      work();
    } catch (error) {
      const task = replica.task;
      if (task.settled) {
        this.report(asError(error));
        return;
      }
      const message = `Task "${task.name}" (#${task.id}) failed inside triplex: ${messageOf(error)}`;
      this.fail(task, new TriplexError('ERR_INTERNAL', message, { taskId: task.id, taskName: task.name }, { cause: error }));
    }
  }

  /** Runs work that no single task owns (a message's handling, placement): a failure is reported, never left unhandled. */
  private shielded(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.report(asError(error));
    }
  }

  /** An error no task can carry: the pool's 'error' listeners get it, else a process warning. */
  private report(error: Error): void {
    if (this.events.has('error')) this.events.emit('error', error);
    else process.emitWarning(error);
  }

  private onReply(replica: ReplicaRecord, reply: RunReply): void {
    if (this.destroyed) return;
    assignVoteKey(reply, replica.task.finished);
    replica.reply = reply;
    replica.status = reply.ok ? 'value' : 'error';
    if (replica.injections !== undefined) noteInjections(replica.injections, reply, this.stats);
    this.finish(replica.task, replica);
  }

  private onFailed(replica: ReplicaRecord, status: 'crash' | 'timeout' | 'aborted', why: string): void {
    if (this.destroyed) return;
    replica.status = status;
    replica.failure = why;
    replica.endedAt = this.clock.now();
    if (status === 'timeout') this.stats.timeouts++;
    else if (status === 'crash') this.stats.crashes++;
    this.finish(replica.task, replica);
  }

  /** Killed with another replica's batch: not a ballot, not a fault; the task asks for a replacement. */
  private onLost(replica: ReplicaRecord, ran: boolean, queued: boolean): void {
    if (this.destroyed) return;
    const task = replica.task;
    replica.status = 'lost';
    task.inFlight--;
    task.lost++;
    this.stats.lost++;
    // A replica that never started did not run on that core: the core may serve the task again.
    if (!ran) task.used.splice(task.used.lastIndexOf(replica.core.id), 1);
    // Nor was anything injected into it (one stopped while running may have been hit already).
    if (queued && replica.injections !== undefined) notInjected(replica.injections, this.stats);
    if (task.settled) return;
    task.wanted++;
    this.waiting.retry(task);
  }

  private finish(task: TaskRun, replica: ReplicaRecord): void {
    if (replica.status === 'aborted') {
      task.inFlight--; // the task was settled by its abort: nothing to vote on
      return;
    }
    this.verdicts.markBallot(replica);
    this.healthBridge.arrived(replica);
    this.healthBridge.noteSpeed(task, replica);
    try {
      this.verdicts.cast(task, replica); // it joins task.finished (its ballots) first thing
    } finally {
      // A replica of a settled task that was not judged (no winner to judge it by) must not hold its core's evidence up.
      if (task.settled) this.healthBridge.forgoUnjudged(task);
    }
  }

  private settle(task: TaskRun, outcome: TaskOutcome, corrected = false): void {
    if (task.settled) throw new Error(`task #${task.id} settled twice`);
    if (!task.started) this.queued--;
    task.settled = true;
    task.wanted = 0;
    // The one count of corrected tasks: those whose task-settled event says so (a value or an error).
    if (corrected) this.stats.corrected++;
    this.healthBridge.forgoUnjudged(task);
    this.running.delete(task);
    task.offAbort?.();
    this.onSettled(task);
    if (this.events.has('task-settled')) {
      const now = this.clock.now();
      const started = task.started ? task.dispatchedAt : now;
      this.events.emit('task-settled', {
        taskId: task.id,
        taskName: task.name,
        taskKind: task.kind,
        outcome,
        queueMs: started - task.submittedAt,
        runMs: now - started,
        replicas: task.replicas.length,
        corrected,
      });
    }
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

  /** Whether one of the task's replicas is running in a worker now (placed replicas may still wait in a core's ring). */
  hasRunningReplica(task: TaskRun): boolean {
    return task.replicas.some((replica) => replica.status === 'running' && this.lanes.isRunning(replica));
  }

  /** User abort: queued tasks leave the queue; running replicas are terminated (no core is charged). */
  abort(task: TaskRun, reason: unknown, when?: string): void {
    if (task.settled) return;
    this.events.hold(() => this.failAndStop(task, abortError(task, reason, when)));
  }

  /** Every pending task rejects with its error; the pool goes on (running replicas are terminated, nobody is charged). */
  failPending(errorFor: (task: TaskRun) => Error): void {
    this.events.hold(() => {
      for (const task of [...this.running]) this.failAndStop(task, errorFor(task));
    });
  }

  private failAndStop(task: TaskRun, error: Error): void {
    this.fail(task, error);
    // A replica still queued behind others in its core's batch runs on and is ignored.
    for (const replica of task.replicas) if (replica.status === 'running') this.lanes.terminateIfRunning(replica, 'abort');
  }

  /** Rejects everything pending with ERR_DESTROYED. */
  destroy(): void {
    const destroyed = (task: TaskRun): Error =>
      new TriplexError('ERR_DESTROYED', `The pool was destroyed before task "${task.name}" (#${task.id}) settled`, { taskId: task.id });
    this.events.hold(() => this.rejectAll(destroyed));
  }

  /** The pool cannot serve (its workers did not start): everything pending rejects with `error`, nothing is placed again. */
  halt(error: Error): void {
    this.events.hold(() => this.rejectAll(() => error));
  }

  private rejectAll(errorFor: (task: TaskRun) => Error): void {
    this.destroyed = true;
    const pending = [...this.running];
    for (const task of pending) this.fail(task, errorFor(task));
    this.lanes.close();
    this.waiting.clear();
    this.running.clear();
  }
}
