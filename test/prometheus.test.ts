// triplex/prometheus: scraped from a real HTTP server on loopback and parsed as Prometheus text.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultInjector, Triplex } from '../dist/index.js';
import { CORE_STATES, METRIC_NAMES, registerMetrics } from '../dist/prometheus.js';
import { TASKS, until } from './helpers.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

interface Family {
  help: string;
  type: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/** Parses the Prometheus text format (0.0.4): # HELP / # TYPE lines and `name{l="v",…} value` samples. */
function parse(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { help: '', type: '', samples: [] }));
    return f;
  };
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta !== null) {
      current = family(meta[2]!);
      if (meta[1] === 'HELP') current.help = meta[3]!;
      else current.type = meta[3]!;
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (sample === null) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    const value = sample[3] === '+Inf' ? Infinity : sample[3] === 'NaN' ? NaN : Number(sample[3]);
    expect(Number.isNaN(value) && sample[3] !== 'NaN').toBe(false);
    current!.samples.push({ name: sample[1]!, labels, value });
  }
  return families;
}

async function serve(registry: Registry): Promise<string> {
  const server: Server = createServer((_req, res) => {
    registry.metrics().then(
      (body) => {
        res.setHeader('Content-Type', registry.contentType);
        res.end(body);
      },
      (error: Error) => {
        res.statusCode = 500;
        res.end(error.message);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

describe('registerMetrics', () => {
  it('exposes every documented metric with values consistent with the pool', async () => {
    const faults = new FaultInjector({ seed: 3 }).stuck({ core: 0 });
    const pool = new Triplex({ filename: TASKS, cores: 3, redundancy: 'dmr', faults, faultDomain: 'none' }); // tie-breaks share a CPU here
    cleanup.push(() => pool.destroy());
    await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run(i + 10, { name: 'fib' })));
    // On a loaded machine dynamic binding may give the stuck core too few of those replicas to be disabled yet.
    const deadline = Date.now() + 20_000;
    while (pool.cores[0]!.state !== 'disabled' && Date.now() < deadline)
      await Promise.all(Array.from({ length: 6 }, (_, i) => pool.run(i + 10, { name: 'fib' })));
    await until(() => pool.cores.every((c) => !c.busy), 'every replica to finish');

    const registry = new Registry();
    const unregister = registerMetrics(pool, registry);
    const response = await fetch(await serve(registry));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(registry.contentType);
    const families = parse(await response.text());

    for (const name of METRIC_NAMES) {
      const family = families.get(name);
      expect(family, name).toBeDefined();
      expect(family!.help.length).toBeGreaterThan(0);
      expect(['counter', 'gauge', 'histogram']).toContain(family!.type);
      if (name.endsWith('_total')) expect(family!.type).toBe('counter');
    }
    const stats = pool.stats;
    const samples = [...families.values()].flatMap((f) => f.samples);
    const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    const sum = (name: string): number => families.get(name)!.samples.reduce((a, s) => a + s.value, 0);

    expect(value('triplex_tasks_total', { outcome: 'value' })).toBe(stats.completed);
    expect(sum('triplex_tasks_total')).toBe(stats.completed + stats.failed);
    expect(value('triplex_tasks_submitted_total')).toBe(stats.submitted);
    expect(value('triplex_replicas_total')).toBe(stats.replicas);
    expect(value('triplex_retries_total')).toBe(stats.retries);
    expect(sum('triplex_faults_total')).toBe(stats.faults);
    expect(value('triplex_faults_total', { core: '0', kind: 'wrong-result' })).toBe(pool.cores[0]!.faults);
    for (const core of pool.cores) {
      for (const state of CORE_STATES) expect(value('triplex_core_state', { core: String(core.id), state })).toBe(core.state === state ? 1 : 0);
    }
    expect(pool.cores[0]!.state).toBe('disabled');
    const availability = value('triplex_availability')!;
    expect(availability).toBeGreaterThan(0);
    expect(availability).toBeLessThanOrEqual(1);
    for (const u of families.get('triplex_core_utilization')!.samples) expect(u.value).toBeGreaterThanOrEqual(0);

    // Histograms: cumulative buckets, +Inf = _count = tasks that ran; seconds.
    const latency = families.get('triplex_vote_latency_seconds')!;
    expect(latency.type).toBe('histogram');
    const buckets = latency.samples.filter((s) => s.name === 'triplex_vote_latency_seconds_bucket');
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(buckets.at(-1)!.labels.le).toBe('+Inf');
    expect(buckets.at(-1)!.value).toBe(stats.completed);
    expect(value('triplex_vote_latency_seconds_count')).toBe(stats.completed);
    expect(value('triplex_vote_latency_seconds_sum')! * 1000).toBeCloseTo(pool.metrics().voteLatency.sum, 3);
    expect(value('triplex_replicas_per_task_sum')).toBe(stats.replicas);
    expect(value('triplex_detection_latency_seconds_count')).toBe(stats.faults);

    // JSON export goes through the same collectors; unregistering removes every name.
    const json = await registry.getMetricsAsJSON();
    expect(json.map((m) => m.name).sort()).toEqual([...METRIC_NAMES].sort());
    unregister();
    expect(await registry.getMetricsAsJSON()).toEqual([]);
  });

  it('OpenMetrics registries and prefixes for two pools in one registry', async () => {
    const a = new Triplex({ filename: TASKS, cores: 2, redundancy: 'dmr' });
    const b = new Triplex({ filename: TASKS, cores: 2, redundancy: 'dmr' });
    cleanup.push(
      () => a.destroy(),
      () => b.destroy(),
    );
    await Promise.all([a.run(5, { name: 'fib' }), b.run(6, { name: 'fib' }), b.run(7, { name: 'fib' })]);
    // prom-client's runtime takes the content type; its typings do not declare the constructor argument.
    const registry = new (Registry as unknown as new (contentType: string) => Registry)(Registry.OPENMETRICS_CONTENT_TYPE);
    registerMetrics(a, registry, { prefix: 'a_' });
    registerMetrics(b, registry, { prefix: 'b_' });
    expect(() => registerMetrics(a, registry, { prefix: 'a_' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('"a_tasks_submitted_total" is already registered') }),
    );
    const response = await fetch(await serve(registry));
    expect(response.headers.get('content-type')).toBe(registry.contentType);
    const text = await response.text();
    expect(text.trimEnd().endsWith('# EOF')).toBe(true);
    const families = parse(text.replace(/# EOF\n?$/, ''));
    expect(families.get('a_tasks')?.samples.find((s) => s.labels.outcome === 'value')?.value).toBe(1);
    expect(families.get('b_tasks')?.samples.find((s) => s.labels.outcome === 'value')?.value).toBe(2);
    expect(() => registerMetrics(a, registry, { prefix: '1bad' })).toThrow(TypeError);
  });

  it('registers all or nothing: a name taken by the application is ERR_INVALID_OPTION naming it, and nothing stays registered', async () => {
    const p = new Triplex({ filename: TASKS, cores: 2, redundancy: 'dmr' });
    cleanup.push(() => p.destroy());
    const registry = new Registry();
    new Gauge({ name: 'triplex_core_state', help: 'the application own metric', registers: [registry] });
    expect(() => registerMetrics(p, registry)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('"triplex_core_state"') }),
    );
    expect(() => registerMetrics(p, registry)).toThrow(RangeError);
    expect((await registry.getMetricsAsJSON()).map((m) => m.name)).toEqual(['triplex_core_state']);
    registerMetrics(p, registry, { prefix: 'pool_' });
    expect((await registry.getMetricsAsJSON()).length).toBe(1 + METRIC_NAMES.length);
  });
});
