/**
 * The coordinator's view of its hosts, from the registry: which are up, which stopped
 * heart-beating, which were rejected. A host that joins gets one slot (a RemoteCore) per core,
 * its id's slots again when it comes back, so the health record of its cores survives a restart
 * (a mercurial host stays disabled). A lost host's replicas in flight fail as crashes and the
 * scheduler re-executes them on other hosts; its slots go offline, not disabled.
 */
import type { Redis } from 'ioredis';
import { TriplexError } from '../errors.js';
import type { HostEvent } from '../pool/events.js';
import { HostLink } from './host-link.js';
import { forget, readHosts, registered, reject, type HostRegistration, type HostSighting } from './registry.js';
import type { RemoteCore } from './remote-core.js';
import type { ClusterKeys } from './redis.js';

/** `up`: serving; `dead`: stopped heart-beating (may come back); `left`: unregistered; `rejected`: refused at registration. */
export type HostState = 'up' | 'dead' | 'left' | 'rejected';

export interface HostEntry {
  id: string;
  nonce: string;
  state: HostState;
  registration: HostRegistration;
  /** Fault domain of its slots. */
  domain: number;
  slots: RemoteCore[];
  link: HostLink | undefined;
  lastSeq: number;
  /** Coordinator clock (Date.now()) when its heartbeat last moved. */
  lastSeenAt: number;
  error: TriplexError | undefined;
}

export interface MembershipContext {
  redis: Redis;
  keys: ClusterKeys;
  /** sha256 of the coordinator's task module. */
  digest: string;
  moduleUrl: string;
  /** The coordinator's: ms between two looks at the registry, and without a heartbeat before a host is lost. */
  heartbeatInterval: number;
  heartbeatTimeout: number;
  slots: readonly RemoteCore[];
  openLink(host: string): Promise<HostLink>;
  online(slot: RemoteCore): void;
  offline(slot: RemoteCore): void;
  emit(event: HostEvent): void;
}

export class Membership {
  readonly hosts = new Map<string, HostEntry>();
  private readonly domains = new Map<string, number>();
  /** Slot of each (host id, local core), kept for the cluster's life. */
  private readonly slotOf = new Map<string, RemoteCore>();
  private closed = false;

  constructor(private readonly ctx: MembershipContext) {}

  /**
   * One look at the registry: joins, losses, returns. `judge` false (Redis answered again less than
   * heartbeatTimeout ago): hosts join and return, but none is lost: its heartbeats could not get
   * through either, and one restarted empty has forgotten every registration until the next beat.
   */
  async poll(now: number, judge = true): Promise<void> {
    const sightings = await readHosts(this.ctx.redis, this.ctx.keys);
    const seen = new Set<string>();
    for (const sighting of sightings) {
      if (this.closed) return;
      seen.add(sighting.registration.host);
      await this.sighted(sighting, now, judge);
    }
    if (!judge) return;
    for (const entry of this.hosts.values()) {
      if (!seen.has(entry.id) && entry.state === 'up') this.lose(entry, 'left', 'it unregistered (shut down)', true);
    }
  }

  private async sighted({ registration, heartbeat }: HostSighting, now: number, judge: boolean): Promise<void> {
    const entry = this.hosts.get(registration.host);
    if (entry === undefined || entry.nonce !== registration.nonce) {
      if (heartbeat === undefined) return; // a dead instance's registration: nothing to join
      if (entry !== undefined && entry.state === 'up') this.lose(entry, 'left', 'a new instance registered under its id');
      await entry?.link?.close();
      await this.join(registration, heartbeat.seq, now);
      return;
    }
    if (entry.state === 'rejected') return;
    if (heartbeat === undefined) {
      if (entry.state === 'up' && judge) await this.expired(entry);
    } else if (heartbeat.seq !== entry.lastSeq) {
      entry.lastSeq = heartbeat.seq;
      entry.lastSeenAt = now;
      // Back after a pause, or registered again after a Redis that restarted empty forgot it.
      if (entry.state !== 'up') this.revive(entry);
    } else if (!judge) {
      entry.lastSeenAt = now; // its heartbeat is judged from when Redis answers again
    } else if (entry.state === 'up' && now - entry.lastSeenAt > this.ctx.heartbeatTimeout) {
      this.lose(entry, 'dead', `no heartbeat for ${now - entry.lastSeenAt} ms (heartbeatTimeout ${this.ctx.heartbeatTimeout} ms)`);
    }
  }

  /**
   * Its heartbeat key is gone. A host that unregistered between the registry's two reads (its hash,
   * then its heartbeats) left cleanly: it is not lost as a dead one, whose replicas are charged.
   */
  private async expired(entry: HostEntry): Promise<void> {
    if (!(await registered(this.ctx.redis, this.ctx.keys, entry.id))) this.lose(entry, 'left', 'it unregistered (shut down)', true);
    else this.lose(entry, 'dead', `its heartbeat expired (the host's heartbeatTimeout, ${entry.registration.heartbeatTimeout ?? '?'} ms)`);
  }

  private async join(registration: HostRegistration, seq: number, now: number): Promise<void> {
    const id = registration.host;
    const entry: HostEntry = {
      id,
      nonce: registration.nonce,
      state: 'rejected',
      registration,
      domain: this.domainOf(id),
      slots: [],
      link: undefined,
      lastSeq: seq,
      lastSeenAt: now,
      error: undefined,
    };
    this.hosts.set(id, entry);
    const refusal = this.refusal(registration);
    if (refusal !== undefined) {
      entry.error = refusal;
      await reject(this.ctx.redis, this.ctx.keys, id, { nonce: registration.nonce, code: refusal.code, message: refusal.message });
      this.ctx.emit({ host: id, from: 'new', to: 'rejected', reason: refusal.message, error: refusal });
      return;
    }
    try {
      entry.link = await this.ctx.openLink(id);
    } catch (error) {
      this.hosts.delete(id); // joined again at the next poll
      throw error;
    }
    if (this.closed) return;
    entry.slots = registration.cores.map((c) => this.slotFor(id, c.core)!);
    entry.state = 'up';
    this.attach(entry);
    this.ctx.emit({ host: id, from: 'new', to: 'up', reason: `joined with ${entry.slots.length} core(s)` });
  }

  /** Why a host cannot serve this cluster, or undefined. */
  private refusal(r: HostRegistration): TriplexError | undefined {
    if (r.digest !== this.ctx.digest) {
      return new TriplexError(
        'ERR_MODULE_MISMATCH',
        `Host "${r.host}" serves another task module than the coordinator's ${this.ctx.moduleUrl}: ` +
          `sha256 ${r.digest.slice(0, 16)}… received, ${this.ctx.digest.slice(0, 16)}… expected`,
        { host: r.host, received: r.digest, expected: this.ctx.digest },
      );
    }
    const beats = this.beatRefusal(r);
    if (beats !== undefined) return beats;
    const free = this.ctx.slots.filter((s) => s.assignment === undefined).length + r.cores.filter((c) => this.slotOf.has(`${r.host}#${c.core}`)).length;
    if (!Array.isArray(r.cores) || r.cores.length === 0 || free < r.cores.length) {
      return new TriplexError(
        'ERR_INVALID_OPTION',
        `Host "${r.host}" brings ${r.cores?.length ?? 0} core(s); the cluster has room for ${free} more (option maxCores = ${this.ctx.slots.length})`,
        { option: 'maxCores', host: r.host },
      );
    }
    return undefined;
  }

  /**
   * A host heart-beating too seldom for this coordinator would be lost between two of its beats, over
   * and over, and its healthy cores charged: it is refused. A beat is seen at the coordinator's next
   * look, so one every heartbeatTimeout − heartbeatInterval ms at most is needed.
   */
  private beatRefusal(r: HostRegistration): TriplexError | undefined {
    const every = r.heartbeatInterval;
    const limit = this.ctx.heartbeatTimeout - this.ctx.heartbeatInterval;
    if (typeof every !== 'number' || every < limit) return undefined;
    return new TriplexError(
      'ERR_INVALID_OPTION',
      `Host "${r.host}": option "heartbeatInterval" (triplex worker --heartbeat) must be below ${limit} ms for this coordinator ` +
        `(its heartbeatTimeout ${this.ctx.heartbeatTimeout} ms − heartbeatInterval ${this.ctx.heartbeatInterval} ms); received ${every}`,
      { option: 'heartbeatInterval', host: r.host, received: every, expected: `below ${limit}` },
    );
  }

  private attach(entry: HostEntry): void {
    for (const [i, slot] of entry.slots.entries()) {
      const c = entry.registration.cores[i]!;
      slot.attach(
        { host: entry.id, domain: entry.domain, local: c.core, cpu: c.cpu, pinned: c.pinned, observedCpu: c.observedCpu, exports: entry.registration.exports },
        entry.link!,
      );
      this.ctx.online(slot);
    }
  }

  private revive(entry: HostEntry): void {
    const from = entry.state;
    entry.state = 'up';
    this.attach(entry);
    this.ctx.emit({ host: entry.id, from, to: 'up', reason: 'its heartbeat resumed' });
  }

  /**
   * Takes a host out of service: slots offline first (no re-placement there), then its replicas in
   * flight fail; charged as crashes unless the host unregistered itself (`clean`).
   */
  private lose(entry: HostEntry, to: 'dead' | 'left', reason: string, clean = false): void {
    const from = entry.state;
    entry.state = to;
    const why = `host ${entry.id} is lost: ${reason}`;
    for (const slot of entry.slots) this.ctx.offline(slot);
    for (const slot of entry.slots) slot.detach(why, clean);
    entry.link?.abandon(why);
    // Jobs still waiting in its queue were re-executed elsewhere: a returning host must not run them.
    void entry.link?.queue.drain(true).catch(() => {});
    if (to === 'dead') void forget(this.ctx.redis, this.ctx.keys, entry.id).catch(() => {});
    this.ctx.emit({ host: entry.id, from, to, reason });
  }

  private domainOf(host: string): number {
    let domain = this.domains.get(host);
    if (domain === undefined) this.domains.set(host, (domain = this.domains.size));
    return domain;
  }

  private slotFor(host: string, local: number): RemoteCore | undefined {
    const key = `${host}#${local}`;
    let slot = this.slotOf.get(key);
    if (slot === undefined) {
      slot = this.ctx.slots.find((s) => s.assignment === undefined && ![...this.slotOf.values()].includes(s));
      if (slot !== undefined) this.slotOf.set(key, slot);
    }
    return slot;
  }

  /** Hosts up with at least one enabled core: the fault domains available to a task. */
  serving(): number {
    let n = 0;
    for (const entry of this.hosts.values()) if (entry.state === 'up' && entry.slots.some((s) => s.enabled)) n++;
    return n;
  }

  async close(graceMs?: number): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.hosts.values()].map((entry) => entry.link?.close(graceMs)));
  }
}
