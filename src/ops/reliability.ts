/**
 * Reliability figures from the event history: availability (capacity ≥ k over time), MTBF,
 * MTTR (fault detected → its task completed elsewhere) and detection latency (the task's first
 * replica dispatched → fault detected: a crash or timeout when it was observed, a wrong result
 * when the vote out-voted it). Time integrals are updated only when something changes.
 */
import type { FaultEvent, SelfTestEvent, TaskSettledEvent } from '../pool/events.js';
import { Histogram } from './histogram.js';
import { OPERATING, type OpsHost } from './host.js';
import type { CoreReliability, ReliabilitySnapshot } from './types.js';

/** Settled tasks remembered so a late replica's fault still gets a detection latency. */
const RECENT_TASKS = 4096;

interface CoreClock {
  operating: boolean;
  since: number;
  operatingMs: number;
  downMs: number;
  failures: number;
  repairSum: number;
  repairs: number;
}

export class ReliabilityTracker {
  private readonly cores: CoreClock[];
  private available: boolean;
  private since: number;
  private availableMs = 0;
  private downtimeMs = 0;
  private outages = 0;
  private detected = 0;
  private masked = 0;
  private unrepaired = 0;
  private readonly recovery = new Histogram();
  private readonly detection = new Histogram();
  /** Faults of tasks not settled yet: repaired when the task completes. */
  private readonly pending = new Map<number, { core: number; at: number }[]>();
  /**
   * Ring of recently settled tasks: id and first dispatch time (NaN when none was dispatched).
   * A ring, not a Map used as a queue: deleting a Map's oldest key leaves tombstones that every
   * later oldest-key lookup walks over. Looked up only for faults that arrive after their task settled.
   */
  private readonly recentIds = new Float64Array(RECENT_TASKS).fill(-1);
  private readonly recentAt = new Float64Array(RECENT_TASKS);
  private recentNext = 0;
  private frozenAt: number | undefined;

  constructor(
    private readonly host: OpsHost,
    private readonly origin: number,
    /** Injected so tests drive virtual time. */
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.since = origin;
    this.available = host.capacity() >= host.options.k;
    this.cores = host.cores.map((core) => ({
      operating: OPERATING.has(host.state(core.id)),
      since: origin,
      operatingMs: 0,
      downMs: 0,
      failures: 0,
      repairSum: 0,
      repairs: 0,
    }));
  }

  private now(): number {
    return this.frozenAt ?? this.clock();
  }

  /** A core's state or a static group changed: re-read every core and the capacity. */
  onStateChange(): void {
    const now = this.now();
    for (const [id, clock] of this.cores.entries()) {
      const operating = OPERATING.has(this.host.state(id));
      if (operating === clock.operating) continue;
      this.settleCore(clock, now);
      clock.operating = operating;
    }
    const available = this.host.capacity() >= this.host.options.k;
    if (available === this.available) return;
    this.settleService(now);
    if (!available) this.outages++;
    this.available = available;
  }

  onFault(e: FaultEvent): void {
    // A crash or timeout is detected when it is observed, not when the vote can blame the core.
    const now = this.now() - (e.observedMsAgo ?? 0);
    this.detected++;
    const clock = this.cores[e.core];
    if (e.charged && clock !== undefined) clock.failures++;
    const dispatchedAt = this.settledDispatch(e.taskId);
    if (dispatchedAt !== undefined) {
      // Its task already has its answer: an out-voted late replica, nothing left to repair.
      this.masked++;
      if (!Number.isNaN(dispatchedAt)) this.detection.observe(now - dispatchedAt);
      return;
    }
    const list = this.pending.get(e.taskId);
    if (list === undefined) this.pending.set(e.taskId, [{ core: e.core, at: now }]);
    else list.push({ core: e.core, at: now });
  }

  onSelfTest(e: SelfTestEvent): void {
    const clock = this.cores[e.core];
    if (!e.passed && clock !== undefined) clock.failures++;
  }

  onSettled(e: TaskSettledEvent): void {
    const now = this.now();
    const dispatchedAt = e.replicas > 0 ? now - e.runMs : Number.NaN;
    this.recentIds[this.recentNext] = e.taskId;
    this.recentAt[this.recentNext] = dispatchedAt;
    this.recentNext = (this.recentNext + 1) % RECENT_TASKS;
    const faults = this.pending.get(e.taskId);
    if (faults === undefined) return;
    this.pending.delete(e.taskId);
    const answered = e.outcome === 'value' || e.outcome === 'error';
    for (const fault of faults) {
      if (!Number.isNaN(dispatchedAt)) this.detection.observe(fault.at - dispatchedAt);
      if (!answered) {
        this.unrepaired++;
        continue;
      }
      const repair = now - fault.at;
      this.recovery.observe(repair);
      const clock = this.cores[fault.core];
      if (clock !== undefined) {
        clock.repairSum += repair;
        clock.repairs++;
      }
    }
  }

  /** First dispatch time of a recently settled task (newest first), undefined when not among them. */
  private settledDispatch(taskId: number): number | undefined {
    for (let n = 1; n <= RECENT_TASKS; n++) {
      const i = (this.recentNext - n + RECENT_TASKS) % RECENT_TASKS;
      if (this.recentIds[i] === taskId) return this.recentAt[i];
    }
    return undefined;
  }

  /** Stops the clock (destroy): later snapshots report the same window. */
  freeze(): void {
    if (this.frozenAt === undefined) this.frozenAt = this.clock();
  }

  private settleCore(clock: CoreClock, now: number): void {
    if (clock.operating) clock.operatingMs += now - clock.since;
    else clock.downMs += now - clock.since;
    clock.since = now;
  }

  private settleService(now: number): void {
    if (this.available) this.availableMs += now - this.since;
    else this.downtimeMs += now - this.since;
    this.since = now;
  }

  snapshot(): ReliabilitySnapshot {
    const now = this.now();
    this.settleService(now);
    const windowMs = now - this.origin;
    const cores: CoreReliability[] = this.cores.map((clock, id) => {
      this.settleCore(clock, now);
      return {
        id,
        operatingMs: clock.operatingMs,
        downMs: clock.downMs,
        failures: clock.failures,
        mtbfMs: clock.failures === 0 ? null : clock.operatingMs / clock.failures,
        mttrMs: clock.repairs === 0 ? null : clock.repairSum / clock.repairs,
      };
    });
    const recovery = this.recovery.snapshot();
    return {
      windowMs,
      availability: windowMs <= 0 ? (this.available ? 1 : 0) : this.availableMs / windowMs,
      outages: this.outages,
      downtimeMs: this.downtimeMs,
      meanOutageMs: this.outages === 0 ? null : this.downtimeMs / this.outages,
      mtbfMs: this.detected === 0 ? null : windowMs / this.detected,
      mttrMs: recovery.mean,
      recovery,
      detection: this.detection.snapshot(),
      masked: this.masked,
      unrepaired: this.unrepaired,
      cores,
    };
  }
}
