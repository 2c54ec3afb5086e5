/**
 * Lanes: how replicas travel to a core. Each core has an outbox (replicas placed during the
 * current pump, sent together at its end) and a FIFO of batches in flight. Under backlog a core
 * holds up to `depth` replicas, so its worker finds the next one in its ring instead of sleeping
 * until the main thread answers; with a short queue every core holds one, so load spreads and
 * latency stays minimal.
 *
 * A crash or hang kills the worker's whole batch. The worker counts the replicas it starts in
 * shared memory, so the replica that was running is the one charged; the others are "lost" and
 * re-queued without blame. One watchdog timer per core (not per replica) detects hangs.
 */
import type { ExecutingCore as Core } from '../cores/types.js';
import { WorkerDied } from '../transport/channel.js';
import type { RunReply, RunRequest } from '../transport/protocol.js';
import type { ReplicaRecord } from './task.js';
import { chooseWakes, type WakeLane } from './wakes.js';
import { systemTimers, type Timers } from '../util/clock.js';
import { messageOf } from '../errors.js';

export interface LaneEvents {
  reply(replica: ReplicaRecord, reply: RunReply): void;
  /** The replica that was running when the worker died, or that was terminated for its own timeout or abort; `why` says how. */
  failed(replica: ReplicaRecord, status: 'crash' | 'timeout' | 'aborted', why: string): void;
  /**
   * A replica of a killed batch that was not to blame; `ran` when it may have run before the kill,
   * `queued` when it never started (it waited behind the replica that was running).
   */
  lost(replica: ReplicaRecord, ran: boolean, queued: boolean): void;
  /** After a whole message was handled: place more work. */
  settled(core: Core): void;
  /** A message carrying `replicas` replicas left for a core. */
  sent(replicas: number): void;
  /** Runs the handling of one answered or killed message (the scheduler holds its events until it is done). */
  handle(work: () => void): void;
}

/**
 * A termination the main thread asked for, bound to the replica it was meant for: `seq` is the
 * worker's started-replica count when it was decided, `deaths` the core's worker deaths then. The
 * worker may finish that replica and start the next before the termination lands; that next
 * replica is then re-run elsewhere, never marked with another replica's reason.
 */
interface Kill {
  seq: number;
  deaths: number;
  reason: 'timeout' | 'abort';
  /** Wall-clock time when asked: a termination lands within milliseconds; one that never did (its worker was already idle) expires. */
  at: number;
}

/** After this long a termination that never landed no longer stands in the way of the next one. */
const KILL_EXPIRES_MS = 2_000;
/** After taking a resting core's unread replies, how long the watchdog waits before it calls a replica hung. */
const RECHECK_MS = 10;
/** How long an aborted replica may run on before its worker is terminated (see terminateIfRunning). */
export const ABORT_GRACE_MS = 10;

interface Batch {
  replicas: ReplicaRecord[];
  /** Replicas at its start whose replies were handled before the batch was answered whole (long replicas). */
  done: number;
}

interface Lane extends WakeLane {
  core: Core;
  outbox: ReplicaRecord[];
  requests: RunRequest[];
  inflight: Batch[];
  /** Replicas accounted for on the main thread (answered, or written off after a kill). */
  accounted: number;
  /** Replicas placed and not yet answered. */
  load: number;
  /** In the dirty list (waiting to be flushed). */
  dirty: boolean;
  watchdog: unknown;
  kill: Kill | undefined;
  /** Set by the watchdog (see WakeLane), cleared by the next answer. */
  wakeOwed: boolean;
}

export class Lanes {
  private readonly lanes = new Map<Core, Lane>();
  private readonly dirty: Lane[] = [];
  private depth = 1;
  private closed = false;
  /** Enabled cores with room for another replica: with none, placement is not even attempted. */
  available = 0;
  /** Replicas placed on all cores and not yet answered. */
  placed = 0;

  constructor(
    cores: readonly Core[],
    private readonly taskTimeout: number,
    private readonly events: LaneEvents,
    /** Wall-clock time, as workers report a replica's start (core.latestStart), and the watchdog timers. */
    private readonly timers: Timers = systemTimers,
  ) {
    for (const core of cores)
      this.lanes.set(core, {
        core,
        outbox: [],
        requests: [],
        inflight: [],
        accounted: core.startedCount(),
        load: 0,
        dirty: false,
        watchdog: undefined,
        kill: undefined,
        wakes: true,
        armed: false,
        wakeOwed: false,
      });
    this.recount();
  }

  /** Recounts free enabled cores (after a core's enabled state or the depth changed). */
  recount(): void {
    let available = 0;
    for (const lane of this.lanes.values()) if (lane.core.enabled && !lane.core.busy) available++;
    this.available = available;
  }

  private setLoad(lane: Lane, load: number): void {
    this.placed += load - lane.load;
    lane.load = load;
    const busy = load >= this.depth;
    if (busy !== lane.core.busy) {
      lane.core.busy = busy;
      if (lane.core.enabled) this.available += busy ? -1 : 1;
    }
  }

  /** Replicas a core may hold at once; `busy` (what policies see) means "full". */
  setDepth(depth: number): void {
    if (depth === this.depth) return;
    this.depth = depth;
    for (const lane of this.lanes.values()) lane.core.busy = lane.load >= depth;
    this.recount();
  }

  load(core: Core): number {
    return this.lanes.get(core)!.load;
  }

  enqueue(replica: ReplicaRecord, request: RunRequest): void {
    const lane = this.lanes.get(replica.core)!;
    if (!lane.dirty) {
      lane.dirty = true;
      this.dirty.push(lane);
    }
    lane.outbox.push(replica);
    lane.requests.push(request);
    this.setLoad(lane, lane.load + 1);
  }

  /**
   * Sends each outbox as one batch (its replicas reach the worker's ring with a single wake-up),
   * unless the core has more than a batch queued: its outbox then waits, still placed, until it
   * fills a batch or the queue runs down to one. Tasks that finish one by one would otherwise go out
   * as batches of one replica, and every batch costs a wake of the main thread when it is answered.
   */
  flush(): void {
    let held = 0;
    for (const lane of this.dirty) {
      if (this.holds(lane)) this.dirty[held++] = lane;
      else {
        lane.dirty = false;
        this.send(lane);
      }
    }
    if (this.dirty.length !== held) this.dirty.length = held;
    chooseWakes(this.lanes);
  }

  /** True when the core's worker has more than a batch queued and its outbox does not fill one yet. */
  private holds(lane: Lane): boolean {
    const size = this.batchSize();
    return lane.outbox.length < size && lane.load - lane.outbox.length > size;
  }

  private batchSize(): number {
    return Math.max(1, Math.ceil(this.depth / 2));
  }

  /**
   * Sends a core's outbox in batches of about half its depth: while the worker runs one batch the
   * next waits in its ring, and the main thread refills the first batch's share as soon as it is
   * answered, so the worker never drains its ring and sleeps between batches (double buffering).
   * Parts are of equal size: a remainder of one replica would cost a wake of its own.
   */
  private send(lane: Lane): void {
    // Nothing in flight: every replica the worker started is accounted for (self-test probes run outside lanes).
    if (lane.inflight.length === 0) lane.accounted = lane.core.startedCount();
    const replicas = lane.outbox;
    const requests = lane.requests;
    lane.outbox = [];
    lane.requests = [];
    const size = this.batchSize();
    // A worker with a batch in flight already has its second buffer: the rest can go as one batch.
    const parts = replicas.length <= size ? 1 : Math.ceil(replicas.length / (lane.inflight.length === 0 ? size : 2 * size));
    if (parts === 1) this.sendBatch(lane, replicas, requests);
    else
      for (let part = 0; part < parts; part++) {
        const from = Math.floor((part * replicas.length) / parts);
        const to = Math.floor(((part + 1) * replicas.length) / parts);
        this.sendBatch(lane, replicas.slice(from, to), requests.slice(from, to));
      }
    this.arm(lane);
  }

  private sendBatch(lane: Lane, replicas: ReplicaRecord[], requests: RunRequest[]): void {
    const batch: Batch = { replicas, done: 0 };
    lane.inflight.push(batch);
    this.events.sent(replicas.length);
    lane.core
      .executeBatch(requests, (replies) => this.events.handle(() => this.early(lane, batch, replies)))
      .then(
        (replies) => this.events.handle(() => this.answered(lane, batch, replies)),
        (error: unknown) => this.events.handle(() => this.killed(lane, batch, error)),
      );
  }

  /** Replies at the start of a batch not answered whole yet (long replicas): their tasks need not wait for the rest. */
  private early(lane: Lane, batch: Batch, replies: readonly RunReply[]): void {
    if (this.closed) return;
    lane.wakeOwed = false;
    lane.accounted += replies.length;
    this.setLoad(lane, lane.load - replies.length);
    for (const reply of replies) this.take(lane, batch.replicas[batch.done++]!, reply);
    this.events.settled(lane.core);
    chooseWakes(this.lanes);
  }

  private answered(lane: Lane, batch: Batch, replies: RunReply[]): void {
    if (this.closed) return;
    lane.wakeOwed = false;
    lane.inflight.splice(lane.inflight.indexOf(batch), 1);
    lane.accounted += replies.length - batch.done;
    this.setLoad(lane, lane.load - (batch.replicas.length - batch.done));
    for (let i = batch.done; i < replies.length; i++) this.take(lane, batch.replicas[i]!, replies[i]!);
    if (lane.inflight.length > 0) this.arm(lane);
    this.events.settled(lane.core);
    chooseWakes(this.lanes);
  }

  private take(lane: Lane, replica: ReplicaRecord, reply: RunReply): void {
    lane.core.busyMs += reply.ms;
    this.events.reply(replica, reply);
  }

  /** The worker died (crash) or was terminated (timeout, abort) while `batch` was posted to it. */
  private killed(lane: Lane, batch: Batch, error: unknown): void {
    if (this.closed) return;
    lane.wakeOwed = false;
    const kill = lane.kill;
    lane.kill = undefined;
    const ours = kill !== undefined && lane.core.deaths === kill.deaths + 1;
    const started = lane.core.startedCount();
    const { done } = batch; // replicas whose replies were handled already
    const running = done + started - lane.accounted - 1; // index in the batch of the replica that was running
    // Replicas that finished before the worker died keep their replies.
    const finished = error instanceof WorkerDied ? error.replies.slice(0, Math.max(done, running)) : [];
    lane.inflight.splice(lane.inflight.indexOf(batch), 1);
    const left = batch.replicas.length - done;
    lane.accounted = Math.max(lane.accounted, Math.min(started, lane.accounted + left));
    this.setLoad(lane, lane.load - left);
    const ranFor = Math.max(0, this.timers.now() - lane.core.latestStart());
    if (running >= done && running < batch.replicas.length) lane.core.busyMs += ranFor;
    const why = crashReason(error instanceof WorkerDied ? error.reason : error);
    batch.replicas.forEach((replica, i) => {
      if (i < done) return;
      if (i < finished.length) this.take(lane, replica, finished[i]!);
      else if (i !== running) this.events.lost(replica, i < running, i > running);
      else if (ours && kill.reason === 'abort' && kill.seq === started) this.events.failed(replica, 'aborted', 'terminated: its task was aborted');
      else if (lane.core.excuse?.() !== undefined)
        this.events.lost(replica, false, false); // e.g. a remote core's link was down: no evidence
      else if (!ours) this.events.failed(replica, 'crash', why);
      else if (kill.seq !== started)
        this.events.lost(replica, false, false); // terminated for another replica's reason
      else if (kill.reason === 'timeout') this.events.failed(replica, 'timeout', `no answer after ${ranFor} ms (taskTimeout ${this.taskTimeout} ms)`);
      else this.events.failed(replica, 'aborted', 'terminated: its task was aborted');
    });
    if (lane.inflight.length > 0) this.arm(lane);
    this.events.settled(lane.core);
    chooseWakes(this.lanes);
  }

  /**
   * Whether the replica is the one its core's worker runs now (replicas queued behind it in the
   * worker's ring, or waiting in an outbox, are not): the worker counts the replicas it starts.
   */
  isRunning(replica: ReplicaRecord): boolean {
    const lane = this.lanes.get(replica.core)!;
    // The worker may already run a later batch while the main thread has not handled the earlier one's answer.
    let index = lane.core.startedCount() - lane.accounted - 1;
    for (const batch of lane.inflight) {
      const left = batch.replicas.length - batch.done;
      if (index < left) return index >= 0 && batch.replicas[batch.done + index] === replica;
      index -= left;
    }
    return false;
  }

  /**
   * Terminates the replica's worker if it is still the one running ABORT_GRACE_MS from now (its
   * task has already settled): a short replica finishes instead and its answer is ignored, which
   * costs far less than a worker restart and re-running the replicas queued behind it. True when a
   * termination is pending.
   */
  terminateIfRunning(replica: ReplicaRecord, reason: 'abort'): boolean {
    if (!this.isRunning(replica)) return false;
    const lane = this.lanes.get(replica.core)!;
    const seq = lane.core.startedCount();
    this.timers.setTimeout(() => {
      if (!this.closed && lane.core.startedCount() === seq && this.isRunning(replica)) this.terminate(lane, seq, reason);
    }, ABORT_GRACE_MS);
    return true;
  }

  /** Terminates the worker running replica number `seq`, once: a second reason for the same kill changes nothing. */
  private terminate(lane: Lane, seq: number, reason: Kill['reason']): boolean {
    if (lane.kill !== undefined && this.timers.now() - lane.kill.at < KILL_EXPIRES_MS) return lane.kill.seq === seq;
    const deaths = lane.core.deaths;
    if (!lane.core.terminateCurrent()) return false;
    lane.kill = { seq, deaths, reason, at: this.timers.now() };
    return true;
  }

  /** One timer per core: fires when the replica running now has run for taskTimeout. */
  private arm(lane: Lane): void {
    if (lane.watchdog !== undefined || this.taskTimeout === Number.POSITIVE_INFINITY) return;
    const check = (): void => {
      lane.watchdog = undefined;
      if (this.closed || lane.inflight.length === 0) return;
      const seq = lane.core.startedCount();
      const running = seq > lane.accounted;
      const elapsed = running ? this.timers.now() - lane.core.latestStart() : 0;
      if (running && elapsed >= this.taskTimeout) {
        // A resting core may be done, its replies unread: take them before calling a replica hung.
        if (!lane.wakeOwed && lane.core.wantReplies !== undefined) {
          lane.wakeOwed = true;
          lane.core.wantReplies(true);
          lane.watchdog = this.timers.setTimeout(check, RECHECK_MS);
          return;
        }
        if (this.terminate(lane, seq, 'timeout')) return; // re-armed by the next flush
      }
      lane.watchdog = this.timers.setTimeout(check, Math.max(1, this.taskTimeout - elapsed));
    };
    lane.watchdog = this.timers.setTimeout(check, this.taskTimeout);
  }

  close(): void {
    this.closed = true;
    for (const lane of this.lanes.values()) if (lane.watchdog !== undefined) this.timers.clearTimeout(lane.watchdog);
  }
}

/** Why a worker died, from what its serve task was rejected with (piscina reports the exit code or the uncaught error). */
function crashReason(error: unknown): string {
  return messageOf(error);
}
