/** The metrics of one run, as printed, charted and written to JSON. */
import type { SimConfig } from './config.js';
import type { FaultModel } from './faults.js';
import type { Counters } from './bridge.js';
import { stepAt, stepMean, type DisableRecord, type Metrics } from './metrics.js';
import type { SimCore } from './task.js';

export interface SimResult {
  variant: string;
  point: number | string | boolean | undefined;
  config: { cores: number; cpus: number; redundancy: string; binding: string; spares: number; tasks: number; seed: number };
  tasks: { submitted: number; settled: number; lost: number; correct: number; sdc: number; noMajority: number; notEnoughCores: number };
  counters: Omit<Counters, 'submitted' | 'settled' | 'correct' | 'sdc' | 'noMajority' | 'notEnoughCores'>;
  /** Virtual time until the last task settled, ms. */
  simMs: number;
  /** Tasks that returned a value, per second of virtual time. */
  throughput: number;
  latency: { p50: number; p99: number; mean: number };
  capacity: { initial: number; final: number; retained: number; meanRetained: number };
  /** Service up = capacity >= k. MTBF = up time per outage; MTTR = down time per outage (null: none). */
  service: { availability: number; outages: number; mtbfMs: number | null; mttrMs: number | null };
  cores: { failed: number; disabled: number; falseDisables: number; availabilityMean: number; availabilityMin: number; availability: number[] };
  /** Time from a permanent failure to its core being disabled. */
  timeToDisable: { count: number; meanMs: number | null; maxMs: number | null; undetected: number };
  disables: DisableRecord[];
  /** Times the health model suspected the task kind non-deterministic (charges stop). */
  suspicions: { at: number; cores: number[] }[];
  series: { t: number[]; throughput: number[]; capacity: number[]; disabled: number[]; failed: number[] };
  events: number;
  /** Time the simulation took: wall clock, and CPU time of this process. */
  wallMs: number;
  cpuMs: number;
}

/** Every run of a scenario, in file order (sweep points outer, variants inner). */
export interface ScenarioResult {
  name: string;
  description: string;
  sweep: { param: string; values: (number | string | boolean)[] } | undefined;
  variants: string[];
  results: SimResult[];
}

export interface EngineView {
  cfg: SimConfig;
  stats: Counters;
  metrics: Metrics;
  faults: FaultModel;
  cores: SimCore[];
  k: number;
  end: number;
  suspicions: { at: number; cores: number[] }[];
  events: number;
  initialCapacity: number;
}

function round(x: number, digits = 4): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A rate in tasks/s: two decimals, and four significant digits under 1 (minute-long tasks run well under one per second). */
function rate(x: number): number {
  return Number.isFinite(x) && x !== 0 && Math.abs(x) < 1 ? Number(x.toPrecision(4)) : round(x, 2);
}

export function buildResult(v: EngineView, label: { variant?: string; point?: number | string | boolean }, wallMs: number, cpuMs: number): SimResult {
  const { cfg, stats: s, metrics: m, faults } = v;
  const n = cfg.cores;
  const end = v.end;
  const lost = cfg.tasks.count - s.settled;
  if (lost !== 0) throw new Error(`simulator invariant: ${lost} task(s) never settled (seed ${cfg.seed})`);
  const [p50, p99] = m.percentiles([0.5, 0.99]);
  let sum = 0;
  for (let i = 0; i < m.nLatency; i++) sum += m.latency[i]!;
  const availability = Array.from(m.enabledTotal, (x) => (end > 0 ? round(x / end) : 1));
  const series = m.series(end);
  const cap0 = v.initialCapacity;
  const permanent = m.disables.filter((d) => d.cause === 'permanent');
  const failedCount = faults.failedBy(end);
  const final = m.capV[m.capV.length - 1]!;
  const { submitted: _s, settled: _d, correct: _c, sdc: _x, noMajority: _n, notEnoughCores: _e, ...counters } = s;
  return {
    variant: label.variant ?? 'base',
    point: label.point,
    config: { cores: n, cpus: cfg.cpus, redundancy: cfg.redundancy, binding: cfg.binding, spares: cfg.spares, tasks: cfg.tasks.count, seed: cfg.seed },
    tasks: { submitted: s.submitted, settled: s.settled, lost, correct: s.correct, sdc: s.sdc, noMajority: s.noMajority, notEnoughCores: s.notEnoughCores },
    counters,
    simMs: round(end),
    throughput: rate(end > 0 ? ((s.correct + s.sdc) / end) * 1000 : 0),
    latency: { p50: round(p50!), p99: round(p99!), mean: round(m.nLatency > 0 ? sum / m.nLatency : Number.NaN) },
    capacity: { initial: cap0, final, retained: round(final / n), meanRetained: round(stepMean(m.capT.slice(1), m.capV.slice(1), end, cap0) / n) },
    service: {
      availability: round(end > 0 ? m.upTime / end : 1, 6),
      outages: m.outages,
      mtbfMs: m.outages > 0 ? round(m.upTime / m.outages) : null,
      mttrMs: m.outages > 0 ? round(m.downTime / m.outages) : null,
    },
    cores: {
      failed: failedCount,
      disabled: v.cores.filter((c) => !c.enabled).length,
      falseDisables: m.disables.filter((d) => d.cause === 'transient').length,
      availabilityMean: round(availability.reduce((a, b) => a + b, 0) / n),
      availabilityMin: round(Math.min(...availability)),
      availability,
    },
    timeToDisable: {
      count: permanent.length,
      meanMs: permanent.length > 0 ? round(permanent.reduce((a, d) => a + d.timeToDisable, 0) / permanent.length) : null,
      maxMs: permanent.length > 0 ? round(Math.max(...permanent.map((d) => d.timeToDisable))) : null,
      undetected: Math.max(0, failedCount - permanent.length),
    },
    disables: m.disables.map((d) => ({ ...d, at: round(d.at), onset: round(d.onset), timeToDisable: round(d.timeToDisable) })),
    suspicions: v.suspicions,
    series: {
      t: series.t.map((t) => round(t)),
      throughput: series.throughput.map(rate),
      capacity: series.t.map((t) => round(stepAt(m.capT, m.capV, t, cap0) / n)),
      disabled: series.t.map((t) => stepAt(m.disT, m.disV, t, 0)),
      failed: series.t.map((t) => faults.failedBy(t)),
    },
    events: v.events,
    wallMs: round(wallMs, 1),
    cpuMs: round(cpuMs, 1),
  };
}
