/** Messages between the pool and a core's worker thread (piscina tasks, and records on the core's rings). */
import type { FlipRecord } from '../inject/flip.js';

export type PinMode = 'auto' | 'off' | 'required';

/** workerData of every core's worker. */
export interface CoreWorkerData {
  coreId: number;
  cpu: number;
  pin: PinMode;
  /** file: URL of the user's task module. */
  moduleUrl: string;
  /**
   * Shared with the main thread, survives worker restarts (layout: PROGRESS below). Lets the pool
   * attribute a crash or hang inside a batch to the replica that was running, time hangs without
   * a timer per replica, and never terminate a worker while it loads koffi (see Core.stop).
   */
  progress: SharedArrayBuffer;
}

/** Int32 slots and the Float64 byte offset of CoreWorkerData.progress. */
export const PROGRESS = {
  /** Replicas started (monotonic across restarts). */
  started: 0,
  /** threadId of the latest worker that finished loading (its entry module ran, pinning included). */
  loadedThread: 1,
  /** Set by the main thread before it terminates the workers: a worker that starts now skips koffi. */
  closing: 3,
  /** Byte offset of a Float64: Date.now() when the latest replica started. */
  latestStartAt: 16,
  bytes: 24,
} as const;

/** What the injector decided for one replica; absent when no injector is configured. */
export interface InjectOrder {
  /**
   * Flip `bits` bits of the result before it is encoded (seeded); with `cpu`, only when the
   * replica runs on that CPU (a mercurial CPU: the worker knows where it runs, the main thread does not).
   */
  result?: { seed: number; bits: number; cpu?: number };
  /** Flip `bits` bits of this replica's copy of the input before it computes. */
  input?: { seed: number; bits: number };
  /** Replace the result by this fixed wrong value (common-mode faults: identical on several replicas). */
  replace?: { value: unknown };
  /** The worker dies mid-task. */
  crash?: true;
  /** The replica never answers (the thread blocks). */
  hang?: true;
  /** Performance fault: the replica takes `factor` times as long. */
  slow?: number;
}

/**
 * What makes every replica of one task deterministic (worker/determinism.ts): the task's
 * Math.random seed and the clock journaled at submission (epoch ms and performance.now() of the
 * main thread). Absent parts are left real.
 */
export interface DeterminismOrder {
  seed?: number;
  now?: number;
  perf?: number;
}

export interface RunRequest {
  kind: 'run';
  /** Export name of the task. */
  name: string;
  /** v8-serialized input, serialized once on the main thread for all replicas. */
  input: Uint8Array;
  inject?: InjectOrder;
  /** Seeded random and journaled clock, identical on every replica of the task (option determinism). */
  det?: DeterminismOrder;
}

export interface HelloRequest {
  kind: 'hello';
}

/** State scan (pool.verify()): where the worker thread really is. Answers without running a task. */
export interface ProbeRequest {
  kind: 'probe';
}

/**
 * Serve the core's rings until idle (see transport/channel.ts). The rings are shared memory; the
 * port (for records too big for a ring) comes with the first serve of each generation.
 */
export interface ServeRequest {
  kind: 'serve';
  channel: number;
  requests: SharedArrayBuffer;
  replies: SharedArrayBuffer;
  port?: import('node:worker_threads').MessagePort;
}

/** What piscina carries to a core's worker: everything else travels through the core's rings. */
export type CoreRequest = HelloRequest | ServeRequest;

/** One replica's outcome as it leaves the worker. */
export interface RunReply {
  /** True for a returned value, false for a thrown error. */
  ok: boolean;
  /**
   * The outcome's bytes: the encoded value (codec/payload.ts), or for a thrown error the
   * v8-serialized `[ErrorPayload, stack]`. Voted on by the main thread (replication/byte-keys.ts).
   */
  payload: Uint8Array;
  /** Time the task took in the worker, ms. */
  ms: number;
  /** CPU the replica ran on (sched_getcpu), -1 when unknown. */
  cpu: number;
  /** Bit flips the injector applied (result or input), for the injection log. */
  flips?: FlipRecord[];
  /** Payload format: 0 or absent for v8.serialize, else a raw typed-array kind (codec/payload.ts). */
  raw?: number;
  /** Main thread only: canonical digest of the outcome, computed when first needed (digestOf). */
  digest?: string;
  /** Main thread only: what the voter groups by (assignVoteKey). */
  voteKey?: string;
  /** Main thread only: the caller got (and may modify) this payload's memory; see replication/byte-keys.ts. */
  handedOut?: boolean;
  /** Main thread only: a member of the same winning group whose digest stands for this one's. */
  mate?: RunReply;
}

/**
 * The longest a reply waits in the ring for the main thread, as far as the worker can tell. The main
 * thread asks to be woken once a whole batch is answered (a wake costs tens of µs); with long
 * replicas that held the first tasks of a batch until its last replica was done (8 tasks of 200 ms:
 * the first result after 800 ms). The worker wakes it earlier when, with the next replica as long as
 * this one, the oldest reply not taken would wait longer than this.
 */
export const HOLD_MS = 20;
/**
 * Replicas shorter than this never wake the main thread early, nor are their replies handed over
 * before their batch is answered: a batch of them is answered within a few tens of ms anyway, and
 * 1 ms replicas doubled the main thread's wakes and its CPU per task.
 */
export const LONG_REPLICA_MS = 2;

/**
 * Replies of a message that is not answered whole yet, in order, each handed over once: a worker
 * that ran a long replica wakes the main thread for its reply at once (see serve.ts), and that
 * reply's task should settle then, not when the rest of its batch is done. The message still
 * resolves (or rejects) with all its replies.
 */
export type EarlyReplies = (replies: readonly RunReply[]) => void;

export interface HelloReply {
  pinned: boolean;
  /** CPU observed with sched_getcpu after pinning, -1 when unknown. */
  cpu: number;
  /** Why pinning did not happen (mode 'off', koffi missing, syscall failed). */
  pinError?: string;
  /** Function exports of the task module, and its stepped tasks. */
  exports: string[];
  /** Exports that are stepped tasks `{ init, step, done, result? }`. */
  stepped?: string[];
  /** The task module failed to load. */
  loadError?: { name: string; message: string };
}

export interface ProbeReply {
  /** sched_getcpu now, -1 when unknown. */
  cpu: number;
  threadId: number;
  /** Whether the thread pinned itself when it started. */
  pinned: boolean;
  /** The thread's affinity mask now (sched_getaffinity), null when unknown. */
  affinity: number[] | null;
}

/**
 * A thrown error as it travels (worker/errors.ts): enough to rebuild the same built-in class
 * with its name, message, cause and own enumerable properties. The stack travels beside it and
 * is not voted on. A thrown non-error travels as `{ kind: 'value', value }`.
 */
export type ErrorPayload =
  | {
      kind: 'error';
      /** Nearest built-in constructor: Error, RangeError, TypeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError. */
      type: string;
      name: string;
      message: string;
      /** Own enumerable properties in order (`code` included); those that cannot be cloned are listed in `dropped`. */
      props: Record<string, unknown>;
      /** Present when the error has an own (non-enumerable, as constructors set it) `cause`. */
      cause?: { value: unknown };
      /** An AggregateError's `errors`. */
      errors?: { value: unknown };
      /** Names of own properties left out because they cannot be cloned. */
      dropped?: string[];
    }
  | { kind: 'value'; value: unknown };

/** Worker-side code for a task name the module does not export. */
export const TASK_NOT_FOUND = 'ERR_TASK_NOT_FOUND';

/** Worker-side code for a segment of a task that is not stepped (the run asked for outputs or checkpoints before the pool knew its exports). */
export const NOT_STEPPED = 'ERR_NOT_STEPPED';
