/** Messages between the pool and a core's worker thread. Kept small: they cross postMessage on every replica. */
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
   * Shared with the main thread, survives worker restarts: [replicas started, start time of the
   * latest (Date.now())]. Lets the pool attribute a crash or hang inside a batch to the replica
   * that was running, and time hangs without a timer per replica.
   */
  progress: SharedArrayBuffer;
}

/** What the injector decided for one replica; absent when no injector is configured. */
export interface InjectOrder {
  /** Flip `bits` bits of the result before the digest is taken (seeded). */
  result?: { seed: number; bits: number };
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

export interface RunRequest {
  kind: 'run';
  /** Export name of the task. */
  name: string;
  /** v8-serialized input, serialized once on the main thread for all replicas. */
  input: Uint8Array;
  inject?: InjectOrder;
}

export interface HelloRequest {
  kind: 'hello';
}

/** State scan (pool.verify()): where the worker thread really is. Answers without running a task. */
export interface ProbeRequest {
  kind: 'probe';
}

/** Several replicas (of different tasks) in one message: run in order, answered together. */
export interface BatchRequest {
  kind: 'batch';
  requests: RunRequest[];
}

export type CoreRequest = RunRequest | BatchRequest | HelloRequest | ProbeRequest;

/** One replica's outcome as it leaves the worker. */
export interface RunReply {
  /** True for a returned value, false for a thrown error. */
  ok: boolean;
  /** SHA-256 (base64) of the serialized value, or of `{name, message, code}` for an error. */
  digest: string;
  /** v8-serialized value, or serialized `{ name, message, code, stack }` for an error. Transferred, not copied. */
  payload: Uint8Array;
  /** Time the task took in the worker, ms. */
  ms: number;
  /** CPU the replica ran on (sched_getcpu), -1 when unknown. */
  cpu: number;
  /** Bit flips the injector applied (result or input), for the injection log. */
  flips?: FlipRecord[];
}

export interface HelloReply {
  pinned: boolean;
  /** CPU observed with sched_getcpu after pinning, -1 when unknown. */
  cpu: number;
  /** Why pinning did not happen (mode 'off', koffi missing, syscall failed). */
  pinError?: string;
  /** Function exports of the task module. */
  exports: string[];
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

/** Serialized form of a thrown error. */
export interface ErrorPayload {
  name: string;
  message: string;
  code?: unknown;
  stack?: string;
}

/** Worker-side code for a task name the module does not export. */
export const TASK_NOT_FOUND = 'ERR_TASK_NOT_FOUND';
