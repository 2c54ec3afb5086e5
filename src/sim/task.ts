/** The simulator's records: cores as the binding policy sees them, and pooled task records. */
import type { CoreView } from '../binding/types.js';
import { ServingCore, type ServingView } from '../health/serving.js';
import type { PlacedTask } from '../replication/placement.js';
import type { Ballot, VoteGroup } from '../replication/voter.js';

/**
 * One simulated core; the object is the CoreView handed to the real binding policy. Its serving
 * state (enabled, excluded kinds, last fault) is read from the health model.
 */
export class SimCore extends ServingCore implements CoreView {
  busy = false;
  /** Relative slowness as the pool measures it (smoothed ratio to the task's fastest replica). */
  speed = 1;
  /** Replicas dispatched to it so far. */
  replicas = 0;
  constructor(
    readonly id: number,
    readonly cpu: number,
    health: ServingView,
    readonly domain?: number,
  ) {
    super(health);
  }
}

/** Replica statuses as the simulator records them (a value, right or wrong, or nothing). */
export const S_VALUE = 0;
export const S_CRASH = 1;
export const S_TIMEOUT = 2;

/**
 * One task from dispatch to its last replica. Reused once settled with nothing in flight, so
 * the hot loop allocates no task objects; the arrays keep their capacity.
 */
export class SimTask implements PlacedTask {
  id = 0;
  k = 0;
  /** Index into KIND_NAMES: 0 the deterministic kind, 1 the flaky one. */
  kind = 0;
  submitAt = 0;
  /** CPU work of one replica at speed 1, ms (a stepped task's: this segment's, checkpoint cost included). */
  work = 0;
  /** A stepped task: its work left after this segment, ms (0: the last segment, or not stepped). */
  remaining = 0;
  wanted = 0;
  inFlight = 0;
  extra = 0;
  group: number | undefined = undefined;
  settled = false;
  winner: VoteGroup | undefined = undefined;
  disagreed = false;
  /** In the scheduler's retries list (removed lazily, so the record is not reused before). */
  inRetries = false;
  /** Cores that ran or run it (the placement request's `used`). */
  readonly used: number[] = [];
  /** Finished replicas in arrival order: core, status, duration and ballot. */
  readonly fin: number[] = [];
  readonly finStatus: number[] = [];
  readonly finMs: number[] = [];
  /** Each finished replica's place in its core's judging order (health/order.ts); -1 once judged or forgone. */
  readonly finTicket: number[] = [];
  readonly ballots: Ballot[] = [];
  readonly groups: VoteGroup[] = [];
  grouped = 0;

  reset(id: number, submitAt: number, work: number, k: number, kind = 0): this {
    this.id = id;
    this.kind = kind;
    this.submitAt = submitAt;
    this.work = work;
    this.remaining = 0;
    this.k = k;
    this.wanted = k;
    this.inFlight = 0;
    this.extra = 0;
    this.group = undefined;
    this.settled = false;
    this.winner = undefined;
    this.disagreed = false;
    this.inRetries = false;
    this.used.length = 0;
    this.fin.length = 0;
    this.finStatus.length = 0;
    this.finMs.length = 0;
    this.finTicket.length = 0;
    this.ballots.length = 0;
    this.groups.length = 0;
    this.grouped = 0;
    return this;
  }

  get started(): boolean {
    return this.used.length > 0;
  }

  get placed(): number {
    return this.used.length;
  }

  /** Cores whose replica votes: a crashed or hung one frees its fault domain (as in the pool). */
  voters(): readonly number[] | undefined {
    if (!this.finStatus.some((status) => status !== S_VALUE)) return undefined;
    const silent = this.fin.filter((_, i) => this.finStatus[i] !== S_VALUE);
    return this.used.filter((id) => !silent.includes(id));
  }
}
