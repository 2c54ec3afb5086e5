// pool.metrics(): agreement with pool.stats on real workers, and the reliability arithmetic on virtual time.
import { describe, expect, it } from 'vitest';
import { FaultInjector } from '../dist/index.js';
import { TypedEmitter, type CoreState } from '../dist/pool/events.js';
import type { OpsHost } from '../dist/ops/host.js';
import { Histogram } from '../dist/ops/histogram.js';
import { MetricsCollector } from '../dist/ops/metrics.js';
import { until, pools } from './helpers.js';

const pool = pools();

describe('pool.metrics() on real workers', () => {
  it('matches the pool stats and core counters', async () => {
    const faults = new FaultInjector({ seed: 3 }).stuck({ core: 0 }).crash({ core: 1, rate: 0.2 });
    const p = pool({ cores: 4, redundancy: 'dmr', faults, health: { falseAlarm: 0 } });
    const runs = Array.from({ length: 24 }, (_, i) => p.run(i + 10, { name: 'fib' }));
    const aborted = new AbortController();
    // Settled-wrapped at once, so their rejections are never unhandled.
    const failing = Promise.allSettled([p.run('a', { name: 'fails' }), p.run('b', { name: 'fails' }), p.run(50, { name: 'sleep', signal: aborted.signal })]);
    aborted.abort();
    await Promise.all(runs);
    await failing;
    await until(() => p.cores.every((c) => !c.busy), 'every replica to finish');

    const m = p.metrics();
    const s = p.stats;
    expect(m.collecting).toBe(true);
    expect(m.tasks.submitted).toBe(s.submitted);
    expect(m.tasks.byOutcome.value).toBe(s.completed);
    expect(m.tasks.byOutcome.error).toBe(2);
    expect(m.tasks.byOutcome.aborted).toBe(s.aborted);
    expect(Object.values(m.tasks.byOutcome).reduce((a, b) => a + b, 0)).toBe(s.completed + s.failed);
    expect(m.tasks.corrected).toBe(s.corrected);
    expect(m.tasks.disagreements).toBe(s.disagreements);
    expect(m.replicas.total).toBe(s.replicas);
    expect(m.replicas.extra).toBe(s.retries);
    expect(m.replicas.perTask.sum).toBe(s.replicas);
    expect(m.faults.total).toBe(s.faults);
    expect(m.faults.byKind.crash).toBe(s.crashes);
    expect(m.faults.byKind.timeout).toBe(s.timeouts);
    expect(m.faults.byKind['wrong-result'] + m.faults.byKind.crash + m.faults.byKind.timeout).toBe(s.faults);
    expect(m.faults.injected).toBe(s.injected);
    const cores = p.cores;
    for (const core of m.cores) {
      const info = cores[core.id]!;
      expect(core.tasks).toBe(info.tasks);
      expect(core.busyMs).toBe(info.busyMs);
      expect(core.state).toBe(info.state);
      expect(core.faults['wrong-result'] + core.faults.crash + core.faults.timeout).toBe(info.faults);
      expect(core.utilization).toBeGreaterThan(0);
      expect(core.utilization).toBeLessThanOrEqual(1);
    }
    // Every settled task has a queue wait; every dispatched one a vote latency.
    expect(m.queueWait.count).toBe(s.completed + s.failed);
    expect(m.voteLatency.count).toBe(m.replicas.perTask.count);
    expect(m.voteLatency.counts.at(-1)).toBeLessThanOrEqual(m.voteLatency.count);

    const r = m.reliability;
    expect(r.availability).toBe(1); // falseAlarm 0: no core left service
    expect(r.outages).toBe(0);
    expect(r.recovery.count + r.masked + r.unrepaired).toBe(s.faults);
    expect(r.recovery.count).toBeGreaterThan(0); // DMR repairs every fault by a tie-break or re-execution
    expect(r.mttrMs).not.toBeNull();
    expect(r.detection.count).toBe(s.faults);
    expect(r.cores[0]!.failures).toBe(cores[0]!.faults);
    expect(r.cores[0]!.mtbfMs).not.toBeNull();
    expect(r.cores[2]!.mtbfMs).toBeNull();

    // After destroy the clocks stop: two snapshots agree.
    await p.destroy();
    expect(p.metrics().uptimeMs).toBe(p.metrics().uptimeMs);
  });

  it('metrics: false keeps the counters the pool has anyway and listens to nothing', async () => {
    const p = pool({ cores: 2, redundancy: 'dmr', metrics: false });
    await p.run(5, { name: 'fib' });
    expect(p.listenerCount('task-settled') + p.listenerCount('fault')).toBe(0);
    const m = p.metrics();
    expect(m.collecting).toBe(false);
    expect(m.tasks.submitted).toBe(1);
    expect(m.voteLatency.count).toBe(0);
  });

  it('counts corrected tasks as task-settled does, those answered with the task own error included', async () => {
    const faults = new FaultInjector({ seed: 1 }).crash({ rate: 0.2 });
    const p = pool({ cores: 4, redundancy: 'dmr', faults, health: { falseAlarm: 0 } });
    const corrected = { value: 0, error: 0 };
    p.on('task-settled', (e) => {
      if (e.corrected) corrected[e.outcome as 'value' | 'error']++;
    });
    await Promise.allSettled(Array.from({ length: 40 }, (_, i) => p.run(String(i), { name: i % 2 ? 'fails' : 'fib' })));
    expect(corrected.error).toBeGreaterThan(0);
    expect(p.stats.corrected).toBe(corrected.value + corrected.error);
    expect(p.metrics().tasks.corrected).toBe(p.stats.corrected);
    await p.destroy();
  });

  it('dates a crash when it was seen: MTTR runs from there to the re-run answer, not zero', async () => {
    const faults = new FaultInjector({ seed: 11 }).crash({ core: 0, rate: 1 });
    const p = pool({ cores: 3, redundancy: 'dmr', faults, health: { falseAlarm: 0 } });
    const seen: { kind: string; observedMsAgo?: number }[] = [];
    p.on('fault', (e) => seen.push(e));
    // One at a time until a replica lands on core 0 (binding may start elsewhere).
    for (let i = 0; i < 6 && seen.length === 0; i++) await p.run(100, { name: 'sleep' });
    const crash = seen.find((e) => e.kind === 'crash');
    // The charge waits for the re-run's answer (100 ms of sleep): the event says how long ago the crash was seen.
    expect(crash?.observedMsAgo).toBeGreaterThan(0);
    const r = p.metrics().reliability;
    expect(r.recovery.count).toBe(1);
    expect(r.recovery.sum).toBeGreaterThanOrEqual(crash!.observedMsAgo!);
    expect(r.mttrMs).toBe(r.recovery.sum);
    expect(r.cores[0]!.mttrMs).toBe(r.recovery.sum);
    await p.destroy();
  });
});

/** A pool stand-in whose core states and time the test sets. */
function fakeHost(k: number, count: number): { host: OpsHost; states: CoreState[]; events: TypedEmitter; move: (core: number, to: CoreState) => void } {
  const events = new TypedEmitter();
  const states: CoreState[] = Array.from({ length: count }, () => 'healthy');
  const serving = new Set<CoreState>(['healthy', 'suspect', 'probation']);
  const cores = Array.from({ length: count }, (_, id) => ({ id, cpu: id, tasks: 0, busyMs: 0 }));
  const host = {
    events,
    clock: { now: () => 0 },
    options: { k } as OpsHost['options'],
    cores: cores as unknown as OpsHost['cores'],
    state: (id: number) => states[id]!,
    record: () => ({}) as never,
    capacity: () => states.filter((s) => serving.has(s)).length,
    stats: () => ({ submitted: 0, corrected: 0, disagreements: 0, replicas: 0, retries: 0, faults: 0, injected: 0 }) as never,
    health: () => ({ version: 1, cores: [] }) as never,
    describeOptions: () => ({}),
    pinning: () => ({ processMask: null, available: false }),
    destroyed: () => false,
    ready: Promise.resolve(),
  } satisfies OpsHost;
  const move = (core: number, to: CoreState): void => {
    const from = states[core]!;
    states[core] = to;
    events.emit('core-state', { core, from, to, reason: 'test' });
  };
  return { host, states, events, move };
}

describe('reliability figures (virtual time)', () => {
  it('availability, outages, MTBF, MTTR and detection latency', () => {
    let now = 0;
    const { host, events, move } = fakeHost(2, 3);
    const metrics = new MetricsCollector(host, 0, true, () => now);
    const fault = (taskId: number, core: number, charged = true): void => {
      events.emit('fault', { core, cpu: core, kind: 'wrong-result', taskId, taskName: 'fib', charged });
    };
    const settle = (taskId: number, outcome: 'value' | 'no-majority', runMs: number): void => {
      events.emit('task-settled', { taskId, taskName: 'fib', outcome, queueMs: 1, runMs, replicas: 3, corrected: true });
    };
    // Task 7 dispatched at 20: core 0 caught at 50, repaired (task answered) at 80; a late replica of it caught at 90.
    now = 50;
    fault(7, 0);
    now = 80;
    settle(7, 'value', 60);
    now = 90;
    fault(7, 1);
    // Task 8 dispatched at 90: core 0 caught at 95, the task then fails: never repaired.
    now = 95;
    fault(8, 0);
    now = 100;
    settle(8, 'no-majority', 10);
    move(0, 'disabled'); // capacity 2 = k: still available
    now = 200;
    move(1, 'offline'); // capacity 1 < k: outage
    now = 300;
    move(1, 'healthy');
    now = 400;
    const r = metrics.snapshot().reliability;
    expect(r.windowMs).toBe(400);
    expect(r.outages).toBe(1);
    expect(r.downtimeMs).toBe(100);
    expect(r.meanOutageMs).toBe(100);
    expect(r.availability).toBe(0.75);
    expect(r.recovery.count).toBe(1);
    expect(r.mttrMs).toBe(30);
    expect(r.masked).toBe(1);
    expect(r.unrepaired).toBe(1);
    expect(r.detection.count).toBe(3);
    expect(r.detection.sum).toBe(30 + 70 + 5);
    expect(r.mtbfMs).toBeCloseTo(400 / 3);
    const [c0, c1, c2] = r.cores;
    expect(c0).toMatchObject({ operatingMs: 100, downMs: 300, failures: 2, mtbfMs: 50, mttrMs: 30 });
    expect(c1).toMatchObject({ operatingMs: 300, downMs: 100, failures: 1, mtbfMs: 300, mttrMs: null });
    expect(c2).toMatchObject({ operatingMs: 400, downMs: 0, failures: 0, mtbfMs: null });
    // Stopped clocks (destroy) keep the window fixed.
    metrics.close();
    now = 1_000;
    expect(metrics.snapshot().reliability.windowMs).toBe(400);
    expect(events.listenerCount('fault')).toBe(0);
  });

  it('a crash or timeout is detected when observed, not when its charge is emitted', () => {
    let now = 0;
    const { host, events } = fakeHost(2, 3);
    const metrics = new MetricsCollector(host, 0, true, () => now);
    // Task 1 dispatched at 10; core 0 crashed at 40, charged at 90 once the re-run agreed, answered at 90.
    now = 90;
    events.emit('fault', { core: 0, cpu: 0, kind: 'crash', taskId: 1, taskName: 'fib', charged: true, observedMsAgo: 50 });
    events.emit('task-settled', { taskId: 1, taskName: 'fib', outcome: 'value', queueMs: 1, runMs: 80, replicas: 3, corrected: true });
    const r = metrics.snapshot().reliability;
    expect(r.mttrMs).toBe(50);
    expect(r.detection.sum).toBe(30);
  });
});

describe('Histogram', () => {
  it('counts into inclusive upper bounds, cumulatively, and estimates quantiles inside [min, max]', () => {
    const h = new Histogram([1, 10, 100]);
    for (const v of [0.5, 1, 2, 10, 50, 500]) h.observe(v);
    const s = h.snapshot();
    expect(s.counts).toEqual([2, 4, 5]);
    expect(s.count).toBe(6);
    expect(s.sum).toBe(563.5);
    expect(s.min).toBe(0.5);
    expect(s.max).toBe(500);
    for (const q of [s.p50!, s.p90!, s.p99!]) {
      expect(q).toBeGreaterThanOrEqual(0.5);
      expect(q).toBeLessThanOrEqual(500);
    }
    expect(s.p50!).toBeLessThanOrEqual(s.p90!);
    expect(new Histogram().snapshot()).toMatchObject({ count: 0, mean: null, p50: null, min: null });
  });
});
