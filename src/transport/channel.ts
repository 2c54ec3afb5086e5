/**
 * The main-thread end of a core's shared-memory transport. Replica requests go into a request
 * ring, replies come back in a reply ring; the worker serves the ring inside one long piscina
 * task ("serve") and ends it after a short idle linger, so an idle pool neither burns CPU nor
 * keeps the process alive. One wake of the main thread drains every reply written since.
 *
 * Messages are answered in order, so a FIFO of pending messages matches replies to callers. When
 * the worker dies (crash, terminate), replies it finished are delivered first, the message it was
 * running is rejected with the replies it had finished (WorkerDied), and the messages behind it
 * are written again for the fresh worker.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ByteRing } from './ring.js';
import { isSlabView, ownCopy } from '../util/slab.js';
import { REPLY, RING_CAPACITY, readPortRecord, readReply, ringBuffer, writePortMarker, writeRunRequest } from './wire.js';
import { LONG_REPLICA_MS, type EarlyReplies, type ProbeReply, type ProbeRequest, type RunReply, type RunRequest, type ServeRequest } from './protocol.js';
import { asError } from '../errors.js';

interface Pending {
  /** Replica requests, or a probe. */
  requests: RunRequest[] | ProbeRequest;
  /** Records written so far (for this generation). */
  written: number;
  replies: unknown[];
  /** Replies handed to `early` so far. */
  reported: number;
  /** Takes replies that arrived before the message's last one (see EarlyReplies). */
  early: EarlyReplies | undefined;
  resolve(replies: unknown[]): void;
  reject(error: Error): void;
}

/** One worker's view of the channel: fresh rings and port after a worker died. */
interface Generation {
  id: number;
  requests: ByteRing;
  requestBytes: Buffer;
  replies: ByteRing;
  replyBytes: Buffer;
  port: MessagePort;
  /** Sent with the first serve of this generation (a port can be transferred once). */
  workerPort: MessagePort | undefined;
}

/** Starts a serve task on the core's piscina worker; settles when the worker stops serving. */
export type IssueServe = (request: ServeRequest, transfer: MessagePort[]) => Promise<unknown>;

let generations = 0;

/**
 * A message's worker died while running it. `replies` are those of the replicas that finished
 * before (delivered from the ring first): they stand, only the rest of the message is lost.
 */
export class WorkerDied extends Error {
  constructor(
    readonly reason: Error,
    readonly replies: RunReply[],
  ) {
    super(reason.message, { cause: reason });
    this.name = 'WorkerDied';
  }
}

export class CoreChannel {
  private generation: Generation = this.openGeneration();
  private readonly pending: Pending[] = [];
  /** Pending messages whose records are all written. */
  private writtenCount = 0;
  private armed = false;
  /** Whether the main thread sleeps for the oldest message's replies (see setReplyWait). */
  private replyWait = true;
  /** Messages answered so far: tells a wake that answered one from one that did not. */
  private answered = 0;
  private closed = false;
  private readonly names = new Map<string, Uint8Array>();

  constructor(
    private readonly issue: IssueServe,
    /** The worker died while serving (crash or termination), before its running message is rejected. */
    private readonly onDeath: () => void = () => {},
  ) {}

  run(requests: RunRequest[], early?: EarlyReplies): Promise<RunReply[]> {
    return this.submit(requests, early) as Promise<RunReply[]>;
  }

  probe(): Promise<ProbeReply> {
    return this.submit({ kind: 'probe' }).then((replies) => replies[0] as ProbeReply);
  }

  /**
   * Off: the main thread does not wait for this core's oldest message, and its replies stay in the
   * ring until this is turned on again (the pool turns it off while that message's answer could
   * settle nothing, so the core that is ahead does not wake the main thread in vain).
   */
  setReplyWait(on: boolean): void {
    this.replyWait = on;
    if (on) this.arm();
  }

  /**
   * Resting applies to a replica batch none of whose replies was taken yet, with every record
   * written. A probe is always awaited; so is a worker the main thread still has records for (it
   * wakes the main thread when it runs out), and a batch begun is awaited to its end: a wake that
   * was armed then leads to the batch's answer, which the pool's next choice follows.
   */
  private rests(oldest: Pending): boolean {
    return !this.replyWait && Array.isArray(oldest.requests) && oldest.replies.length === 0 && this.writtenCount === this.pending.length;
  }

  /** Whether the main thread is waiting for this core's replies now (a wake is armed; it cannot be taken back). */
  get awaited(): boolean {
    return this.armed;
  }

  /** Rejects every pending message (the core is stopping); later serve endings are ignored. */
  close(error: Error): void {
    this.closed = true;
    for (const message of this.pending.splice(0)) message.reject(error);
    this.writtenCount = 0;
    this.retire(this.generation);
  }

  private submit(requests: RunRequest[] | ProbeRequest, early?: EarlyReplies): Promise<unknown[]> {
    if (this.closed) return Promise.reject(new Error('core channel is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ requests, written: 0, replies: [], reported: 0, early, resolve, reject });
      this.writeBacklog();
      this.kick();
      this.arm();
    });
  }

  private openGeneration(): Generation {
    const requests = ByteRing.create(RING_CAPACITY);
    const replies = ByteRing.create(RING_CAPACITY);
    const { port1, port2 } = new MessageChannel();
    return { id: ++generations, requests, requestBytes: ringBuffer(requests), replies, replyBytes: ringBuffer(replies), port: port1, workerPort: port2 };
  }

  private retire(generation: Generation): void {
    // Settles a waitAsync still armed on the old ring (it would otherwise wait forever).
    generation.replies.wake();
    generation.port.close();
    generation.workerPort?.close();
  }

  /** Writes every record not yet written, in order; stops at the first that finds the ring full. */
  private writeBacklog(): void {
    const generation = this.generation;
    let wrote = false;
    while (this.writtenCount < this.pending.length) {
      const message = this.pending[this.writtenCount]!;
      const requests = message.requests;
      if (!Array.isArray(requests)) {
        if (!this.writeViaPort(generation, requests)) break;
        message.written = 1;
      } else {
        while (message.written < requests.length) {
          const request = requests[message.written]!;
          if (!writeRunRequest(generation.requests, generation.requestBytes, request, this.nameBytes(request.name)) && !this.writeViaPort(generation, request))
            break;
          message.written++;
          wrote = true;
        }
        if (message.written < requests.length) break;
      }
      wrote = true;
      this.writtenCount++;
    }
    if (wrote) generation.requests.publish();
  }

  private writeViaPort(generation: Generation, request: RunRequest | ProbeRequest): boolean {
    if (!writePortMarker(generation.requests)) return false;
    // A view into a shared slab (pool/input-slab.ts) would carry the whole slab: send just its bytes.
    const input = request.kind === 'run' ? request.input : undefined;
    const own = input === undefined || !isSlabView(input);
    generation.port.postMessage(own ? request : { ...request, input: ownCopy(input) });
    return true;
  }

  private nameBytes(name: string): Uint8Array {
    let bytes = this.names.get(name);
    if (bytes === undefined) this.names.set(name, (bytes = Buffer.from(name, 'utf8')));
    return bytes;
  }

  /** Starts a serve task unless the worker is serving (it re-checks the ring before it stops). */
  private kick(): void {
    const generation = this.generation;
    if (!generation.requests.openSession()) return;
    const transfer = generation.workerPort === undefined ? [] : [generation.workerPort];
    const request: ServeRequest = { kind: 'serve', channel: generation.id, requests: generation.requests.buffer, replies: generation.replies.buffer };
    if (generation.workerPort !== undefined) request.port = generation.workerPort;
    generation.workerPort = undefined;
    this.issue(request, transfer).then(
      (outcome) => this.served(generation, outcome === 'unknown-channel' ? 'replaced' : undefined),
      (error: unknown) => this.served(generation, asError(error)),
    );
  }

  /**
   * A serve task ended: normally (idle), with 'replaced' (a fresh worker that never saw this
   * generation's port: the previous one died while idle), or with the error that killed the worker.
   */
  private served(generation: Generation, ending: Error | 'replaced' | undefined): void {
    if (this.closed || generation !== this.generation) return;
    if (ending === undefined) {
      // The worker saw an empty ring before it stopped; anything written since needs a new session.
      if (generation.requests.unread) this.kick();
      return;
    }
    this.deliver();
    if (ending !== 'replaced') this.onDeath();
    const running = this.pending[0];
    if (ending !== 'replaced' && running !== undefined && running.written > 0) {
      this.pending.shift();
      if (this.writtenCount > 0) this.writtenCount--;
      running.reject(new WorkerDied(ending, running.replies as RunReply[]));
    }
    this.retire(generation);
    this.generation = this.openGeneration();
    this.armed = false;
    this.replyWait = true; // a fresh worker: its messages are awaited until the pool decides otherwise
    for (const message of this.pending) message.written = 0;
    this.writtenCount = 0;
    if (this.pending.length === 0) return;
    this.writeBacklog();
    this.kick();
    this.arm();
  }

  /**
   * Waits for the replies that complete the oldest message without blocking the event loop: the
   * worker wakes this thread once per message, not per reply (a wake costs tens of µs here and a
   * preempted replica on the worker's CPU). It also wakes it when it runs out of requests.
   */
  private arm(force = false): void {
    const oldest = this.pending[0];
    if (this.armed || oldest === undefined || this.closed || (!force && this.rests(oldest))) return;
    const generation = this.generation;
    const expected = Array.isArray(oldest.requests) ? oldest.requests.length : 1;
    const wait = generation.replies.waitAsync(Number.POSITIVE_INFINITY, Math.max(1, expected - oldest.replies.length));
    if (wait === undefined) {
      this.drain();
      return;
    }
    this.armed = true;
    void wait.then(() => {
      if (generation !== this.generation || this.closed) return;
      this.armed = false;
      this.drain(this.answered);
    });
  }

  /**
   * Delivers every reply in the ring, then writes what waited for room and re-arms. After a wake
   * that answered no message (the worker ran dry just as a new one arrived, say) it re-arms even a
   * resting core: the pool counted on that wake, and the wake is owed until a message is answered.
   */
  private drain(answeredBefore?: number): void {
    this.deliver();
    // A wake that answered no message came for the replies it brought (a long replica's, see serve.ts):
    // hand them over now. Partial replies found beside an answered message wait for their own.
    const answeredNone = answeredBefore === this.answered;
    if (answeredNone) this.reportEarly();
    if (this.writtenCount < this.pending.length) this.writeBacklog();
    this.arm(answeredNone);
  }

  private deliver(): void {
    const generation = this.generation;
    const ring = generation.replies;
    for (let record = ring.next(); record !== undefined; record = ring.next()) {
      const reply =
        generation.replyBytes[record.offset] === REPLY ? readReply(ring, generation.replyBytes, record.offset, record.length) : readPortRecord(generation.port);
      ring.consume(record.length);
      const message = this.pending[0];
      if (message === undefined) continue; // closed meanwhile
      message.replies.push(reply);
      const expected = Array.isArray(message.requests) ? message.requests.length : 1;
      if (message.replies.length === expected) {
        this.pending.shift();
        this.writtenCount--;
        this.answered++;
        message.resolve(message.replies);
      }
    }
  }

  /** Hands the oldest message's replies that arrived before its last one to its `early` callback, once each. */
  private reportEarly(): void {
    const message = this.pending[0];
    if (message?.early === undefined || message.reported === message.replies.length) return;
    // Only a long replica's reply is worth handing over alone (short ones keep batches whole).
    if ((message.replies[message.replies.length - 1] as RunReply).ms < LONG_REPLICA_MS) return;
    const from = message.reported;
    message.reported = message.replies.length;
    message.early(message.replies.slice(from) as RunReply[]);
  }
}
