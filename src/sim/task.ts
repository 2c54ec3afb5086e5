/** The simulator's records: cores as the binding policy sees them, and pooled task records. */
import type { CoreView } from '../binding/types.js';
import type { Ballot, VoteGroup } from '../replication/voter.js';

const NO_KINDS: ReadonlySet<string> = new Set();

/** One simulated core; the object is the CoreView handed to the real binding policy. */
export class SimCore implements CoreView {
  enabled = true;
  busy = false;
  /** Relative slowness as the pool measures it (smoothed ratio to the task's fastest replica). */
  speed = 1;
  lastFaultAt = Number.NEGATIVE_INFINITY;
  /** Replicas dispatched to it so far. */
  replicas = 0;
  readonly excludedKinds: ReadonlySet<string> = NO_KINDS;
  constructor(
    readonly id: number,
    readonly cpu: number,
    readonly domain?: number,
  ) {}
}

/** Replica statuses as the simulator records them (a value, right or wrong, or nothing). */
export const S_VALUE = 0;
export const S_CRASH = 1;
export const S_TIMEOUT = 2;

/**
 * One task from dispatch to its last replica. Reused once settled with nothing in flight, so
 * the hot loop allocates no task objects; the arrays keep their capacity.
 */
export class SimTask {
  id = 0;
  /** Index into KIND_NAMES: 0 the deterministic kind, 1 the flaky one. */
  kind = 0;
  submitAt = 0;
  /** CPU work of one replica at speed 1, ms. */
  work = 0;
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
  readonly ballots: Ballot[] = [];

  reset(id: number, submitAt: number, work: number, k: number, kind = 0): this {
    this.id = id;
    this.kind = kind;
    this.submitAt = submitAt;
    this.work = work;
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
    this.ballots.length = 0;
    return this;
  }

  get started(): boolean {
    return this.used.length > 0;
  }
}
