/**
 * `triplex/prometheus`: exposes pool.metrics() to a prom-client registry (prom-client is an
 * optional peer dependency, loaded only through this entry). Every metric is collected on
 * scrape from one pool.metrics() snapshot, so the pool does no extra work between scrapes.
 *
 *   import { Registry } from 'prom-client';
 *   import { registerMetrics } from 'triplex/prometheus';
 *   const registry = new Registry();
 *   registerMetrics(pool, registry);
 *   // GET /metrics → res.setHeader('Content-Type', registry.contentType); res.end(await registry.metrics())
 */
import { Counter, Gauge, Histogram, register as globalRegistry, type Registry } from 'prom-client';
import { invalidOption } from './errors.js';
import type { Triplex } from './pool/triplex.js';
import type { HistogramSnapshot, PoolMetrics } from './ops/types.js';

/** Every core state a core can be in (triplex_core_state has one series per state, 1 for the current one). */
export const CORE_STATES = ['healthy', 'suspect', 'disabled', 'probation', 'retired', 'offline', 'stranded'] as const;

/** The names registerMetrics registers (with the default prefix). */
export const METRIC_NAMES = [
  'triplex_tasks_submitted_total',
  'triplex_tasks_total',
  'triplex_tasks_corrected_total',
  'triplex_disagreements_total',
  'triplex_replicas_total',
  'triplex_retries_total',
  'triplex_faults_total',
  'triplex_self_tests_total',
  'triplex_core_busy_seconds_total',
  'triplex_outages_total',
  'triplex_downtime_seconds_total',
  'triplex_core_state',
  'triplex_core_utilization',
  'triplex_core_score',
  'triplex_queue_length',
  'triplex_availability',
  'triplex_mtbf_seconds',
  'triplex_mttr_seconds',
  'triplex_core_mtbf_seconds',
  'triplex_core_mttr_seconds',
  'triplex_vote_latency_seconds',
  'triplex_queue_wait_seconds',
  'triplex_detection_latency_seconds',
  'triplex_recovery_seconds',
  'triplex_replicas_per_task',
] as const;

export interface RegisterOptions {
  /** Prefix instead of 'triplex_' (two pools in one registry need different prefixes). @default 'triplex_' */
  prefix?: string;
}

type Sample = { labels?: Record<string, string | number>; value: number };

/** A histogram whose buckets come from a triplex HistogramSnapshot at scrape time (ms ÷ 1000 = seconds). */
class SnapshotHistogram extends Histogram<string> {
  constructor(
    private readonly metricName: string,
    private readonly helpText: string,
    private readonly read: () => HistogramSnapshot,
    private readonly divisor: number,
    registry: Registry,
  ) {
    super({ name: metricName, help: helpText, buckets: read().bounds.map((b) => b / divisor), registers: [registry] });
  }

  // prom-client's own export format (see its histogram.js), filled from the snapshot instead of observe().
  async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; values: unknown[]; aggregator: string }> {
    const h = this.read();
    const name = this.metricName;
    const bucket = `${name}_bucket`;
    const values: unknown[] = h.bounds.map((bound, i) => ({ labels: { le: bound / this.divisor }, sharedLabels: {}, value: h.counts[i]!, metricName: bucket }));
    values.push(
      { labels: { le: '+Inf' }, sharedLabels: {}, value: h.count, metricName: bucket },
      { labels: {}, sharedLabels: {}, value: h.sum / this.divisor, metricName: `${name}_sum` },
      { labels: {}, sharedLabels: {}, value: h.count, metricName: `${name}_count` },
    );
    return { name, help: this.helpText, type: 'histogram', values, aggregator: 'sum' };
  }
}

/**
 * Registers the pool's metrics on `registry` (default: prom-client's global one). Returns a
 * function that unregisters them. All or nothing: a name already registered there is
 * ERR_INVALID_OPTION (a RangeError on `prefix`, naming the metric) and nothing is registered.
 */
export function registerMetrics(pool: Triplex, registry: Registry = globalRegistry, options: RegisterOptions = {}): () => void {
  const prefix = options.prefix ?? 'triplex_';
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix))
    throw invalidOption('prefix', 'a metric name prefix matching [a-zA-Z_:][a-zA-Z0-9_:]*', prefix, 'type');
  // All or nothing: a clash found before anything is registered, and any other failure undone.
  const taken = METRIC_NAMES.map((name) => prefix + name.slice('triplex_'.length)).find((name) => registry.getSingleMetric(name) !== undefined);
  if (taken !== undefined)
    throw invalidOption('prefix', `a prefix whose metric names are free in this registry ("${taken}" is already registered there)`, prefix, 'range');
  const metrics = new Registrar(pool, registry, prefix);
  const unregister = (): void => {
    for (const name of metrics.names) registry.removeSingleMetric(name);
  };
  try {
    registerCounters(metrics);
    registerGauges(metrics, pool);
    registerHistograms(metrics);
  } catch (error) {
    unregister();
    throw error;
  }
  return unregister;
}

/** Registers metrics under one prefix, each collected from the scrape's one pool.metrics() snapshot. */
class Registrar {
  readonly names: string[] = [];
  private readonly registers: Registry[];
  private cached: PoolMetrics | undefined;

  constructor(
    private readonly pool: Triplex,
    private readonly registry: Registry,
    private readonly prefix: string,
  ) {
    this.registers = [registry];
  }

  /** One snapshot per scrape: every collect() of a scrape runs in the same event-loop turn. */
  private readonly snap = (): PoolMetrics => {
    if (this.cached === undefined) {
      this.cached = this.pool.metrics();
      setImmediate(() => (this.cached = undefined));
    }
    return this.cached;
  };

  counter(name: string, help: string, labelNames: string[], read: (m: PoolMetrics) => Sample[]): void {
    const snap = this.snap;
    this.names.push(this.prefix + name);
    new Counter({
      name: this.prefix + name,
      help,
      labelNames,
      registers: this.registers,
      collect() {
        this.reset();
        for (const s of read(snap())) this.inc(s.labels ?? {}, s.value);
      },
    });
  }

  gauge(name: string, help: string, labelNames: string[], read: (m: PoolMetrics) => Sample[]): void {
    const snap = this.snap;
    this.names.push(this.prefix + name);
    new Gauge({
      name: this.prefix + name,
      help,
      labelNames,
      registers: this.registers,
      collect() {
        this.reset();
        for (const s of read(snap())) this.set(s.labels ?? {}, s.value);
      },
    });
  }

  histogram(name: string, help: string, read: (m: PoolMetrics) => HistogramSnapshot, divisor: number): void {
    this.names.push(this.prefix + name);
    new SnapshotHistogram(this.prefix + name, help, () => read(this.snap()), divisor, this.registry);
  }
}

const one = (value: number): Sample[] => [{ value }];
const seconds = (ms: number | null): Sample[] => (ms === null ? [] : [{ value: ms / 1000 }]);

function registerCounters(metrics: Registrar): void {
  const counter = metrics.counter.bind(metrics);
  counter('tasks_submitted_total', 'Tasks submitted to the pool.', [], (m) => one(m.tasks.submitted));
  counter('tasks_total', 'Settled tasks by outcome (value and error are voted answers).', ['outcome'], (m) =>
    Object.entries(m.tasks.byOutcome).map(([outcome, value]) => ({ labels: { outcome }, value })),
  );
  counter('tasks_corrected_total', 'Tasks answered after out-voting a wrong, crashed or hung replica.', [], (m) => one(m.tasks.corrected));
  counter('disagreements_total', 'Tasks whose replicas did not all agree.', [], (m) => one(m.tasks.disagreements));
  counter('replicas_total', 'Replicas run.', [], (m) => one(m.replicas.total));
  counter('retries_total', 'Replicas beyond the first k (tie-breaks and re-executions).', [], (m) => one(m.replicas.extra));
  counter('faults_total', 'Faults detected by voting, by core and kind (wrong-result, crash, timeout).', ['core', 'kind'], (m) =>
    m.cores.flatMap((c) => Object.entries(c.faults).map(([kind, value]) => ({ labels: { core: c.id, kind }, value }))),
  );
  counter('self_tests_total', 'Known-answer self-tests run on disabled cores, by core and result.', ['core', 'result'], (m) =>
    m.cores.flatMap((c) => [
      { labels: { core: c.id, result: 'passed' }, value: c.selfTests.passed },
      { labels: { core: c.id, result: 'failed' }, value: c.selfTests.failed },
    ]),
  );
  counter('core_busy_seconds_total', 'Time each core spent running replicas.', ['core', 'cpu'], (m) =>
    m.cores.map((c) => ({ labels: { core: c.id, cpu: c.cpu }, value: c.busyMs / 1000 })),
  );
  counter('outages_total', 'Times the cores able to serve fell below the redundancy (k).', [], (m) => one(m.reliability.outages));
  counter('downtime_seconds_total', 'Time with fewer cores able to serve than the redundancy needs.', [], (m) => one(m.reliability.downtimeMs / 1000));
}

function registerGauges(metrics: Registrar, pool: Triplex): void {
  const gauge = metrics.gauge.bind(metrics);
  gauge('core_state', 'Core state: 1 for the state the core is in, 0 for the others.', ['core', 'state'], (m) =>
    m.cores.flatMap((c) => CORE_STATES.map((state) => ({ labels: { core: c.id, state }, value: c.state === state ? 1 : 0 }))),
  );
  gauge('core_utilization', 'Busy time over wall time since the pool started, per core.', ['core', 'cpu'], (m) =>
    m.cores.map((c) => ({ labels: { core: c.id, cpu: c.cpu }, value: c.utilization })),
  );
  gauge('core_score', 'Evidence against each core: its largest attribution test statistic over the threshold (disabled at 1).', ['core'], () =>
    pool.cores.map((c) => ({ labels: { core: c.id }, value: c.score })),
  );
  gauge('queue_length', 'Tasks waiting for cores.', [], (m) => one(m.tasks.queued));
  gauge('availability', 'Fraction of time enough cores could serve (capacity >= k) since the pool started.', [], (m) => one(m.reliability.availability));
  gauge('mtbf_seconds', 'Service MTBF: observed time over faults detected (absent before the first fault).', [], (m) => seconds(m.reliability.mtbfMs));
  gauge('mttr_seconds', 'Mean time from a fault detected to its task completed elsewhere (absent before the first repair).', [], (m) =>
    seconds(m.reliability.mttrMs),
  );
  gauge('core_mtbf_seconds', 'Per-core MTBF: operating time over charged faults (cores with a fault only).', ['core'], (m) =>
    m.reliability.cores.flatMap((c) => seconds(c.mtbfMs).map((s) => ({ ...s, labels: { core: c.id } }))),
  );
  gauge('core_mttr_seconds', 'Per-core MTTR: fault detected → its task completed elsewhere.', ['core'], (m) =>
    m.reliability.cores.flatMap((c) => seconds(c.mttrMs).map((s) => ({ ...s, labels: { core: c.id } }))),
  );
}

function registerHistograms(metrics: Registrar): void {
  const histogram = metrics.histogram.bind(metrics);
  histogram('vote_latency_seconds', 'Task run time: first replica dispatched → voted answer.', (m) => m.voteLatency, 1000);
  histogram('queue_wait_seconds', 'Task queue wait: submitted → first replica dispatched.', (m) => m.queueWait, 1000);
  histogram(
    'detection_latency_seconds',
    "Faulty task's first replica dispatched → fault detected (a crash or timeout when observed, a wrong result when out-voted).",
    (m) => m.reliability.detection,
    1000,
  );
  histogram('recovery_seconds', 'Fault detected → its task completed elsewhere (the MTTR distribution).', (m) => m.reliability.recovery, 1000);
  histogram('replicas_per_task', 'Replicas per settled task (k, plus tie-breaks and re-executions).', (m) => m.replicas.perTask, 1);
}
