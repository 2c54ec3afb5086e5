import type { CoreView } from '../binding/types.js';
import type { EarlyReplies, HelloReply, ProbeReply, RunReply, RunRequest } from '../transport/protocol.js';

/**
 * What the scheduler needs of a core: the policy's view plus a way to run replicas.
 * `Core` (a pinned piscina worker) is the real one; property tests drive the scheduler with
 * in-memory ones to explore many fault placements quickly.
 */
export interface ExecutingCore extends CoreView {
  busy: boolean;
  speed: number;
  /** Replicas run. */
  tasks: number;
  /** Total time spent running replicas, ms. */
  busyMs: number;
  /** Worker deaths seen so far (crashes and terminations while serving): tells whose termination a death was. */
  readonly deaths: number;
  readonly started: boolean;
  start(): Promise<HelloReply>;
  /** Runs one replica; rejects when the worker died or was terminated. */
  execute(request: RunRequest): Promise<RunReply>;
  /**
   * Runs several replicas in order in one message; rejects as a whole when the worker died or was
   * terminated. `early` may take replies that arrive before the last one (a core may never call it).
   */
  executeBatch(requests: RunRequest[], early?: EarlyReplies): Promise<RunReply[]>;
  /**
   * Whether the main thread should wake when the core's oldest batch is answered (the lanes turn it
   * off while that answer could settle no task). A core without it is always waited for.
   */
  wantReplies?(on: boolean): void;
  /** Whether the main thread waits for the core's answer now (a wake is armed; it cannot be taken back). */
  awaited?(): boolean;
  /** Replicas the worker has started (monotonic across restarts). */
  startedCount(): number;
  /** When the worker started its latest replica (Date.now()). */
  latestStart(): number;
  /** Terminates the worker running now (piscina starts a fresh one); false when there was none to terminate. */
  terminateCurrent(): boolean;
  stop(): Promise<void>;
  /**
   * Why the replica in flight failing (crash or timeout) is not this core's fault, if it is not:
   * the replica is then run again elsewhere and nobody is charged. A remote core whose link was
   * down has one; a local core never does.
   */
  excuse?(): string | undefined;
}

/**
 * What the pool facade reads of a core beyond scheduling: pinning, its fault domain and a state
 * probe. The local `Core` (a pinned worker thread) is one; the cluster's remote cores (a core of
 * another host, reached through Redis) are another.
 */
export interface PoolCore extends ExecutingCore {
  /** Fault domain; undefined when replicas need only distinct cores. */
  domain: number | undefined;
  /** Whether the core's thread pinned itself; null until it reported in. */
  readonly pinned: boolean | null;
  /** CPU observed by sched_getcpu where the core runs, -1 when unknown. */
  readonly observedCpu: number;
  /** State scan: where the core's thread runs now; undefined when it cannot be asked. */
  probe(): Promise<ProbeReply> | undefined;
}
