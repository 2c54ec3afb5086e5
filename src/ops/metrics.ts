/**
 * pool.metrics(): counters and histograms. Counts the pool already keeps (Stats, Core) are read
 * at snapshot time; the rest is folded in from events as they happen (O(1) per event, fixed
 * memory), so a snapshot is cheap whatever the pool's age.
 */
import type { EventName, FaultEvent, SelfTestEvent, TaskOutcome, TaskSettledEvent } from '../pool/events.js';
import { COUNT_BUCKETS, Histogram } from './histogram.js';
import type { OpsHost } from './host.js';
import { ReliabilityTracker } from './reliability.js';
import type { PoolMetrics } from './types.js';

type VoteFaultKind = 'wrong-result' | 'crash' | 'timeout';

function outcomes(): Record<TaskOutcome, number> {
  return { value: 0, error: 0, 'no-majority': 0, 'not-enough-cores': 0, 'queue-full': 0, aborted: 0, destroyed: 0, failed: 0 };
}

function kinds(): Record<VoteFaultKind, number> {
  return { 'wrong-result': 0, crash: 0, timeout: 0 };
}

export class MetricsCollector {
  private readonly byOutcome = outcomes();
  private readonly voteLatency = new Histogram();
  private readonly queueWait = new Histogram();
  private readonly perTask = new Histogram(COUNT_BUCKETS);
  private readonly faultKinds = kinds();
  private charged = 0;
  private readonly coreFaults: Record<VoteFaultKind, number>[];
  private readonly coreSelfTests: { passed: number; failed: number }[];
  private readonly reliability: ReliabilityTracker;
  private readonly listeners: [EventName, (event: never) => void][];
  private frozenAt: number | undefined;

  constructor(
    private readonly host: OpsHost,
    private readonly origin: number,
    readonly collecting: boolean,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.coreFaults = host.cores.map(() => kinds());
    this.coreSelfTests = host.cores.map(() => ({ passed: 0, failed: 0 }));
    this.reliability = new ReliabilityTracker(host, origin, clock);
    const stateChange = (): void => this.reliability.onStateChange();
    this.listeners = [
      ['task-settled', (e: TaskSettledEvent) => this.onSettled(e)],
      ['fault', (e: FaultEvent) => this.onFault(e)],
      ['self-test', (e: SelfTestEvent) => this.onSelfTest(e)],
      ['core-state', stateChange],
      ['spare', stateChange],
    ] as [EventName, (event: never) => void][];
    if (collecting) for (const [name, listener] of this.listeners) host.events.on(name, listener as never);
  }

  private onSettled(e: TaskSettledEvent): void {
    this.byOutcome[e.outcome]++;
    this.queueWait.observe(e.queueMs);
    if (e.replicas > 0) {
      this.voteLatency.observe(e.runMs);
      this.perTask.observe(e.replicas);
    }
    this.reliability.onSettled(e);
  }

  private onFault(e: FaultEvent): void {
    const kind = e.kind as VoteFaultKind;
    if (kind in this.faultKinds) {
      this.faultKinds[kind]++;
      const perCore = this.coreFaults[e.core];
      if (perCore !== undefined) perCore[kind]++;
    }
    if (e.charged) this.charged++;
    this.reliability.onFault(e);
  }

  private onSelfTest(e: SelfTestEvent): void {
    const perCore = this.coreSelfTests[e.core];
    if (perCore !== undefined) {
      if (e.passed) perCore.passed++;
      else perCore.failed++;
    }
    this.reliability.onSelfTest(e);
  }

  /** destroy(): stop listening and stop the clocks, so later snapshots stay put. */
  close(): void {
    if (this.frozenAt !== undefined) return;
    this.frozenAt = this.clock();
    this.reliability.freeze();
    if (this.collecting) for (const [name, listener] of this.listeners) this.host.events.off(name, listener as never);
  }

  snapshot(): PoolMetrics {
    const stats = this.host.stats();
    const uptimeMs = (this.frozenAt ?? this.clock()) - this.origin;
    const selfTests = { passed: 0, failed: 0 };
    for (const s of this.coreSelfTests) {
      selfTests.passed += s.passed;
      selfTests.failed += s.failed;
    }
    return {
      uptimeMs,
      collecting: this.collecting,
      tasks: {
        submitted: stats.submitted,
        byOutcome: { ...this.byOutcome },
        corrected: stats.corrected,
        disagreements: stats.disagreements,
        queued: (stats as { queued?: number }).queued ?? 0,
      },
      replicas: { total: stats.replicas, extra: stats.retries, perTask: this.perTask.snapshot() },
      faults: { total: stats.faults, charged: this.charged, byKind: { ...this.faultKinds }, injected: stats.injected },
      selfTests,
      voteLatency: this.voteLatency.snapshot(),
      queueWait: this.queueWait.snapshot(),
      cores: this.host.cores.map((core) => ({
        id: core.id,
        cpu: core.cpu,
        state: this.host.state(core.id),
        tasks: core.tasks,
        busyMs: core.busyMs,
        utilization: uptimeMs > 0 ? core.busyMs / uptimeMs : 0,
        faults: { ...this.coreFaults[core.id]! },
        selfTests: { ...this.coreSelfTests[core.id]! },
      })),
      reliability: this.reliability.snapshot(),
    };
  }
}
