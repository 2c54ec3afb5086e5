/** Book-keeping for one submitted task and its replicas. */
import type { ExecutingCore as Core } from '../cores/types.js';
import type { InjectionRecord } from '../inject/injector.js';
import type { Ballot, VoteGroup } from '../replication/voter.js';
import type { DeterminismOrder, RunReply, RunRequest } from '../transport/protocol.js';
import type { SteppedReport } from '../stepped/types.js';

/** `lost`: killed with a batch it was not to blame for (a crash or hang of another replica); re-run elsewhere, never charged. */
export type ReplicaStatus = 'running' | 'value' | 'error' | 'crash' | 'timeout' | 'aborted' | 'lost';

export interface ReplicaRecord {
  task: TaskRun;
  index: number;
  core: Core;
  status: ReplicaStatus;
  reply: RunReply | undefined;
  startedAt: number;
  injections: InjectionRecord[] | undefined;
  /** Why a crashed replica's worker died (exit code or uncaught error), or why it was terminated. */
  failure?: string;
  /** When a replica that sent no reply crashed, hung or was terminated (its run time ends there). */
  endedAt?: number;
  /** Its place in its core's judging order (health/order.ts) until it is judged or forgone. */
  ticket?: number;
  /**
   * A finished replica is its own ballot (Verdicts.cast sets these): what it is voted by, whether
   * it threw, and its decoded value when the pool votes with `equals`.
   */
  key: string | undefined;
  isError: boolean;
  value: unknown;
}

/** The next replica of `task`, on `core`, running from `startedAt`. */
export function newReplica(task: TaskRun, core: Core, startedAt: number): ReplicaRecord {
  return {
    task,
    index: task.replicas.length,
    core,
    status: 'running',
    reply: undefined,
    startedAt,
    injections: undefined,
    // Set later: declared now, as adding a property to the record would allocate a property store.
    failure: undefined,
    endedAt: undefined,
    ticket: undefined,
    key: undefined,
    isError: false,
    value: undefined,
  };
}

/** One replica as reported by runDetailed and ERR_NO_MAJORITY. */
export interface ReplicaReport {
  core: number;
  /** CPU the replica ran on (sched_getcpu), -1 when unknown. */
  cpu: number;
  digest: string | undefined;
  ms: number;
  /**
   * True when the replica agreed with the winning majority, false when it did not (or produced
   * nothing); null when it was still running as the task settled (a majority agreed without it).
   */
  ok: boolean | null;
  status: ReplicaStatus;
  /** Error message for replicas that threw; why the worker died for a crash. */
  error?: string;
}

export interface DetailedResult<T = unknown> {
  value: T;
  replicas: ReplicaReport[];
  /** Replica executions beyond the first k. */
  attempts: number;
  /** True when a replica disagreed, crashed or hung and was out-voted before the answer was returned. */
  corrected: boolean;
  /** A stepped task: its steps, checkpoints, migrations and segments (`replicas` then lists every segment's). */
  stepped?: SteppedReport;
}

/** What a stepped task's segment wants to know of its replicas. */
export interface SegmentObserver {
  dispatched(core: number, index: number): void;
  /** A replica that finished after the vote and was charged (crashed, hung or out-voted). */
  lateFault(replica: ReplicaRecord): void;
}

/** Shared by every task not placed yet: a queued task allocates no replica book-keeping. */
const NOTHING_YET: never[] = Object.freeze([]) as unknown as never[];

export class TaskRun {
  /** Replicas placed so far; the lists below are allocated when the first one is (begin()). */
  replicas: ReplicaRecord[] = NOTHING_YET;
  /** Finished replicas in arrival order, each its own ballot: the replication step appends them through `ballots`. */
  finished: ReplicaRecord[] = NOTHING_YET;
  groups: VoteGroup[] = NOTHING_YET;
  grouped = 0;
  used: number[] = NOTHING_YET;
  inFlight = 0;
  /** Replicas waiting for a core. */
  wanted: number;
  /** Replicas asked for beyond the first k. */
  extra = 0;
  /** Replicas killed with another replica's batch (re-run, not counted as attempts). */
  lost = 0;
  group: number | undefined;
  settled = false;
  /** Refused as it was submitted (queue full, not enough cores): never queued, not counted as completed. */
  refused = false;
  winner: VoteGroup | undefined;
  disagreed = false;
  /** Why extra replicas were asked for, until they are placed (for the retry event). */
  retryReason: 'tie-break' | 're-execution' | undefined;
  /** Removes the task's abort listener from its run's signal (set when it has one). */
  offAbort: (() => void) | undefined;
  readonly submittedAt = performance.now();
  /** What the worker is asked to run when it is not `name` in the pool's module (a run() with its own filename). */
  address: string | undefined;
  /** What its cores are judged on: the run option `kind`, else the task name (set at submit). */
  kind = '';
  /** Math.random's seed for every replica (option determinism), drawn at submit. */
  seed: number | undefined = undefined;
  /** Seeded random and journaled clock sent with every replica, built when the first is placed. */
  det: DeterminismOrder | undefined = undefined;
  /** What its replicas' workers are asked to run (shared, never modified), built when the first is placed. */
  request: RunRequest | undefined = undefined;
  dispatchedAt = 0;
  /** A segment of a stepped task: told of each replica placed and of each that fails after the vote (sparing). */
  segment: SegmentObserver | undefined = undefined;
  /** A stepped task's segment: replicas of its earlier segments (the injector numbers replicas per stepped run). */
  replicaBase = 0;
  /** Cores set in `used` before the first replica (a stepped task's failed cores): they are no voters. */
  avoided = false;
  /** Its places in the scheduler's running tasks and the pool surface's pending ones (util/slot-set.ts). */
  runningSlot = -1;
  pendingSlot = -1;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly input: Uint8Array,
    readonly k: number,
    readonly detailed: boolean,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: Error) => void,
  ) {
    this.wanted = k;
  }

  /** The finished replicas as the vote sees them (ReplicationState): one list, no ballot objects. */
  get ballots(): Ballot[] {
    return this.finished;
  }

  get started(): boolean {
    return this.replicas.length > 0;
  }

  /** Replicas placed that count as attempts (one lost with another's batch is placed again). */
  get placed(): number {
    return this.replicas.length - this.lost;
  }

  /**
   * Cores whose replica votes (running, or answered): their fault domains are taken. Undefined
   * (the policy then takes every used core's domain) while no replica crashed, hung or was lost.
   */
  voters(): number[] | undefined {
    if (!this.avoided && this.replicas.every(votes)) return undefined;
    return this.replicas.filter(votes).map((replica) => replica.core.id);
  }

  /** Stops avoiding the cores set in `used` before the first replica (see PlacedTask.relax): true when there were any. */
  relax(): boolean {
    if (!this.avoided) return false;
    this.avoided = false;
    this.used = this.replicas === NOTHING_YET ? [] : this.replicas.map((replica) => replica.core.id);
    return true;
  }

  /** Allocates the replica book-keeping when the first replica is placed. */
  begin(): void {
    if (this.replicas !== NOTHING_YET) return;
    this.replicas = [];
    this.finished = [];
    this.groups = [];
    if (!this.avoided) this.used = [];
  }
}

function votes(replica: ReplicaRecord): boolean {
  return replica.status === 'running' || replica.status === 'value' || replica.status === 'error';
}
