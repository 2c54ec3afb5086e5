/**
 * A core of another host, as the coordinator's scheduler sees it: one slot per core of each
 * host, its fault domain the host. `execute` sends the replica as a BullMQ job to the host's
 * queue and resolves with the host's reply; the scheduler, binding, voter and health model are
 * the local pool's, unchanged. One replica at a time per slot (the cluster runs with maxBatch 1),
 * so a failure is always charged to the replica that was in flight.
 */
import type { PoolCore } from '../cores/types.js';
import type { HelloReply, ProbeReply, RunReply, RunRequest } from '../transport/protocol.js';
import { ServingCore, type ServingView } from '../health/serving.js';
import type { Reachability } from './reachability.js';

/** How a slot reaches its host (host-link.ts). */
export interface ReplicaLink {
  /** Sends one replica to the host's local core `core`; the job id names it for cancel(). */
  send(core: number, request: RunRequest): { job: string; reply: Promise<RunReply> };
  /** Asks the host to terminate the replica of this job (timeout, abort). Best effort. */
  cancel(job: string): void;
}

/** Where a slot runs: a host's core. */
export interface SlotAssignment {
  host: string;
  /** The host's index: the slot's fault domain. */
  domain: number;
  /** The core's index on its host. */
  local: number;
  cpu: number;
  pinned: boolean | null;
  observedCpu: number;
  exports: string[];
}

/** The replica's host was lost (stopped heart-beating, left, restarted): a crash of that replica. */
export class HostLost extends Error {
  override name = 'HostLost';
}

interface InFlight {
  job: string;
  fail(error: Error): void;
}

/** A core of a remote host; its serving state (enabled, excluded kinds, last fault) is the coordinator's health model's. */
export class RemoteCore extends ServingCore implements PoolCore {
  busy = false;
  speed = 1;
  tasks = 0;
  busyMs = 0;
  deaths = 0;
  /**
   * The host's index once a host serves the slot. Defined from the start: the binding policy
   * enforces fault domains only when cores have them (a slot with no host is offline anyway).
   */
  domain: number | undefined = 0;
  /** Where it runs now; undefined while no host serves the slot. */
  assignment: SlotAssignment | undefined;
  private link: ReplicaLink | undefined;
  private serving = false;
  private sent = 0;
  private sentAt = 0;
  private current: InFlight | undefined;
  /** Why its host left cleanly (see detach), while no host serves it again. */
  private leftCleanly: string | undefined;

  /** `cpu` is the slot id: each slot is its own CPU to the binding policy (a host's CPUs are not the coordinator's). */
  constructor(
    readonly id: number,
    health: ServingView,
    private readonly redis: Reachability,
  ) {
    super(health);
  }

  /**
   * A replica in flight while the coordinator could not reach Redis failed for that, as far as anyone
   * can tell; one in flight when its host left cleanly (it finished what it ran) is no evidence either.
   */
  excuse(): string | undefined {
    if (this.leftCleanly !== undefined) return this.leftCleanly;
    return this.redis.lostSince(this.sentAt) ? 'the coordinator could not reach Redis while the replica was in flight' : undefined;
  }

  get cpu(): number {
    return this.id;
  }
  get pinned(): boolean | null {
    return this.assignment?.pinned ?? null;
  }
  get observedCpu(): number {
    return this.assignment?.observedCpu ?? -1;
  }
  get started(): boolean {
    return this.serving;
  }

  attach(assignment: SlotAssignment, link: ReplicaLink): void {
    this.leftCleanly = undefined;
    this.assignment = assignment;
    this.domain = assignment.domain;
    this.link = link;
  }

  /**
   * The host is gone: the replica in flight fails as a crash (the scheduler re-executes it elsewhere),
   * or, when the host unregistered itself (`clean`), is re-run with no charge: a clean stop delivers
   * what it ran, so a replica still in flight was only waiting in its queue, or its result is late.
   */
  detach(reason: string, clean = false): void {
    this.leftCleanly = clean ? reason : undefined;
    this.link = undefined;
    this.serving = false;
    const current = this.current;
    if (current !== undefined) {
      this.deaths++;
      current.fail(new HostLost(reason));
    }
  }

  /** Redis lost the jobs (restarted empty): the replica in flight fails and is re-run elsewhere, excused (see excuse). */
  jobsLost(): void {
    const current = this.current;
    if (current === undefined) return;
    this.deaths++;
    current.fail(new HostLost("Redis restarted empty: the replica's job was lost"));
  }

  start(): Promise<HelloReply> {
    const a = this.assignment;
    if (this.link === undefined || a === undefined) return later(new Error(`core ${this.id}: no host serves it`));
    this.serving = true;
    return Promise.resolve({ pinned: a.pinned === true, cpu: a.observedCpu, exports: a.exports });
  }

  execute(request: RunRequest): Promise<RunReply> {
    return this.one(request);
  }

  async executeBatch(requests: RunRequest[]): Promise<RunReply[]> {
    const replies: RunReply[] = [];
    for (const request of requests) replies.push(await this.one(request));
    return replies;
  }

  private one(request: RunRequest): Promise<RunReply> {
    const link = this.link;
    const a = this.assignment;
    if (link === undefined || a === undefined) return later(new HostLost(`core ${this.id}: its host is gone`));
    this.sent++;
    this.sentAt = Date.now();
    this.tasks++;
    const { job, reply } = link.send(a.local, request);
    return new Promise<RunReply>((resolve, reject) => {
      const entry: InFlight = {
        job,
        fail: (error) => {
          if (this.current === entry) this.current = undefined;
          reject(error);
        },
      };
      this.current = entry;
      reply.then((value) => {
        if (this.current === entry) this.current = undefined;
        resolve(value);
      }, entry.fail);
    });
  }

  startedCount(): number {
    return this.sent;
  }

  latestStart(): number {
    return this.sentAt;
  }

  /** Abandons the replica in flight (its host is asked to terminate it): the lanes count it as a kill. */
  terminateCurrent(): boolean {
    const current = this.current;
    if (current === undefined) return false;
    this.deaths++;
    this.link?.cancel(current.job);
    current.fail(new Error(`core ${this.id}: replica terminated`));
    return true;
  }

  stop(): Promise<void> {
    this.serving = false;
    return Promise.resolve();
  }

  /** A remote thread cannot be asked synchronously: the state scan reports no worker for it. */
  probe(): Promise<ProbeReply> | undefined {
    return undefined;
  }
}

/**
 * Rejects a turn of the event loop later: the lanes would otherwise re-place a replica on the
 * same unreachable slot in a microtask loop (see cores/core.ts, notStarted).
 */
function later(error: Error): Promise<never> {
  return new Promise((_, reject) => setImmediate(() => reject(error)));
}
