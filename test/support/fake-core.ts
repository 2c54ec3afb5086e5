/**
 * In-memory cores for property tests of the scheduler: same interface as the real pinned
 * worker, but replicas complete after a seeded random delay, and faults are scripted.
 * Real workers are covered by the integration tests; this explores many fault placements fast.
 */
import { canonicalDigest } from '../../dist/codec/canonical.js';
import { deserialize, serialize } from 'node:v8';
import type { ExecutingCore } from '../../dist/cores/types.js';
import { ServingCore, type ServingView } from '../../dist/health/serving.js';
import type { SeededRandom } from '../../dist/util/random.js';
import { systemTimers, type Timers } from '../../dist/util/clock.js';
import type { HelloReply, RunReply, RunRequest } from '../../dist/transport/protocol.js';

export type Behaviour = 'ok' | 'wrong' | 'crash' | 'hang' | 'noise';

export const fakeTasks: Record<string, (input: unknown) => unknown> = {
  square: (x) => (x as number) * (x as number),
};

/** A message as a resting core holds it: answered (or not yet), and resolved only once the main thread waits for it. */
interface Held {
  replies: RunReply[] | undefined;
  resolve(replies: RunReply[]): void;
}

export class FakeCore extends ServingCore implements ExecutingCore {
  busy = false;
  speed = 1;
  tasks = 0;
  busyMs = 0;
  deaths = 0;
  started = true;
  /** Every replica this core ran: the input and the digest it answered. */
  readonly ran: { input: unknown; digest: string | undefined }[] = [];
  private pendingReject: ((error: Error) => void) | undefined;

  constructor(
    readonly id: number,
    readonly cpu: number,
    private readonly behaviour: () => Behaviour,
    private readonly random: SeededRandom,
    /** The health model's record of this core (its serving state lives there). */
    health: ServingView,
    /** Replica delays and start times: virtual in the scheduler's property test. */
    private readonly timers: Timers = systemTimers,
    /**
     * Models the channel's wake choice (wantReplies): an answer reaches the pool only while the main
     * thread waits for this core (armed), as with a real core's ring; otherwise it is held until the
     * pool wants it. Without it, every answer is delivered at once.
     */
    private readonly resting = false,
  ) {
    super(health);
  }

  private wanted = true;
  private armed = false;
  private readonly held: Held[] = [];

  wantReplies(on: boolean): void {
    if (!this.resting) return;
    this.wanted = on;
    if (on) this.arm();
  }

  awaited(): boolean {
    return this.armed;
  }

  /** Like the channel: wait for the oldest message if wanted; if it is answered already, take it now. */
  private arm(): void {
    if (this.armed || this.held.length === 0 || !this.wanted) return;
    if (this.held[0]!.replies !== undefined) this.deliver();
    else this.armed = true;
  }

  /** The main thread woke: every answered message in order, then wait for the next one if wanted. */
  private deliver(): void {
    this.armed = false;
    while (this.held[0]?.replies !== undefined) {
      const message = this.held.shift()!;
      message.resolve(message.replies!);
    }
    this.arm();
  }

  /** A resting core holds answers; a dead worker's earlier answers are delivered before its message is rejected. */
  private hold(run: Promise<RunReply[]>): Promise<RunReply[]> {
    return new Promise((resolve, reject) => {
      const message: Held = { replies: undefined, resolve };
      this.held.push(message);
      this.arm();
      run.then(
        (replies) => {
          message.replies = replies;
          if (this.armed && this.held[0] === message) this.deliver();
        },
        (error: unknown) => {
          this.held.splice(this.held.indexOf(message), 1);
          this.deliver();
          this.wanted = true; // a fresh worker: awaited until the pool decides again
          reject(error as Error);
          this.arm();
        },
      );
    });
  }

  async start(): Promise<HelloReply> {
    return { pinned: false, cpu: this.cpu, exports: Object.keys(fakeTasks) };
  }

  private startedReplicas = 0;
  private latest = 0;

  startedCount(): number {
    return this.startedReplicas;
  }

  latestStart(): number {
    return this.latest;
  }

  /** Messages run one at a time, like a single-thread worker: a kill rejects only the message running. */
  private chain: Promise<unknown> = Promise.resolve();

  executeBatch(requests: RunRequest[]): Promise<RunReply[]> {
    const run = this.chain.then(async () => {
      const replies: RunReply[] = [];
      for (const request of requests) replies.push(await this.runOne(request));
      return replies;
    });
    if (!this.resting) {
      this.chain = run.catch(() => {});
      return run;
    }
    // A real worker that died is replaced only after the main thread handled the death: the next
    // message starts a turn later, after the pool's reaction to the rejection (held answers add a hop).
    this.chain = run.catch(() => new Promise((resolve) => setImmediate(resolve)));
    return this.hold(run);
  }

  execute(request: RunRequest): Promise<RunReply> {
    return this.executeBatch([request]).then((replies) => replies[0]!);
  }

  private runOne(request: RunRequest): Promise<RunReply> {
    this.startedReplicas++;
    this.latest = this.timers.now();
    this.tasks++;
    const input = deserialize(request.input) as unknown;
    const behaviour = this.behaviour();
    return new Promise((resolve, reject) => {
      this.pendingReject = reject;
      if (behaviour === 'hang') {
        this.ran.push({ input, digest: undefined });
        return;
      }
      this.timers.setTimeout(() => {
        this.pendingReject = undefined;
        if (behaviour === 'crash') {
          this.ran.push({ input, digest: undefined });
          this.deaths++;
          reject(new Error('worker exited with code: 70'));
          return;
        }
        let value = fakeTasks[request.name]!(input) as number;
        if (behaviour === 'wrong') value = value + 1 + this.id; // a mercurial core: reproducible wrong answer
        if (behaviour === 'noise') value = value + this.random.next();
        const payload = serialize(value);
        const digest = canonicalDigest(value);
        this.ran.push({ input, digest });
        resolve({ ok: true, payload, ms: 1, cpu: this.cpu });
      }, this.random.int(3));
    });
  }

  terminateCurrent(): boolean {
    const reject = this.pendingReject;
    if (reject === undefined) return false;
    this.pendingReject = undefined;
    this.timers.setTimeout(() => {
      this.deaths++;
      reject(new Error('Terminating worker thread'));
    }, 0);
    return true;
  }

  async stop(): Promise<void> {
    this.started = false;
  }
}
