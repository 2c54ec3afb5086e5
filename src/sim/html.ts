/**
 * The HTML report of a scenario: the table, then charts. With a numeric sweep: throughput,
 * capacity kept and availability against the swept field, one line per variant (e.g.
 * throughput vs failed cores, static vs dynamic; availability vs fault rate). Always:
 * throughput and capacity over time. One self-contained file: inline SVG and CSS only.
 */
import type { ScenarioResult, SimResult } from './result.js';
import { escapeXml, lineChart, type Series } from './svg.js';
import { tableRows } from './table.js';

const pct = (v: number): string => `${Number((v * 100).toPrecision(4))}%`;

function sweepCharts(r: ScenarioResult): string[] {
  const sweep = r.sweep;
  if (sweep === undefined || !sweep.values.every((v) => typeof v === 'number')) return [];
  const by = (metric: (x: SimResult) => number): Series[] =>
    r.variants.map((name) => ({ name, points: r.results.filter((x) => x.variant === name).map((x) => [x.point as number, metric(x)] as [number, number]) }));
  const x = sweep.param;
  const values = sweep.values as number[];
  const logX = values.every((v) => v > 0) && Math.max(...values) / Math.min(...values) >= 50;
  return [
    lineChart({ title: `Throughput vs ${x}`, x, logX, y: 'tasks/s', series: by((s) => s.throughput) }),
    lineChart({ title: `Capacity kept vs ${x}`, x, logX, y: 'capacity / cores at end', series: by((s) => s.capacity.retained), yFormat: pct }),
    lineChart({
      title: `Service availability vs ${x}`,
      x,
      logX,
      y: 'time with capacity ≥ k',
      series: by((s) => s.service.availability),
      yFormat: pct,
      zero: false,
    }),
    lineChart({ title: `Mean core availability vs ${x}`, x, logX, y: 'time enabled', series: by((s) => s.cores.availabilityMean), yFormat: pct }),
  ];
}

/** Runs shown over time: all when few, else each variant at the first and last sweep point. */
function timeRuns(r: ScenarioResult): SimResult[] {
  if (r.results.length <= 6) return r.results;
  const values = r.sweep?.values ?? [];
  const ends = new Set([values[0], values[values.length - 1]]);
  return r.results.filter((x) => ends.has(x.point));
}

function runName(x: SimResult, r: ScenarioResult): string {
  return r.sweep === undefined ? x.variant : `${x.variant} @ ${String(x.point)}`;
}

function timeCharts(r: ScenarioResult): string[] {
  const runs = timeRuns(r);
  const series = (f: (x: SimResult, i: number) => number): Series[] =>
    runs.map((x) => ({ name: runName(x, r), points: x.series.t.map((t, i) => [t / 1000, f(x, i)] as [number, number]) }));
  const charts = [
    lineChart({ title: 'Throughput over time', x: 'virtual time (s)', y: 'tasks/s', series: series((x, i) => x.series.throughput[i]!) }),
    lineChart({ title: 'Capacity over time', x: 'virtual time (s)', y: 'capacity / cores', series: series((x, i) => x.series.capacity[i]!), yFormat: pct }),
  ];
  const eventful = runs.filter((x) => x.series.failed.some((v) => v > 0) || x.series.disabled.some((v) => v > 0));
  if (eventful.length === 0) return charts;
  const points = (x: SimResult, values: number[]): [number, number][] => x.series.t.map((t, i) => [t / 1000, values[i]!]);
  // Runs of one scenario usually share their fault schedule: one line then stands for all of them.
  const failed = distinct(eventful.map((x) => ({ name: runName(x, r), points: points(x, x.series.failed) })));
  charts.push(
    lineChart({ title: 'Failed cores over time (the fault schedule)', x: 'virtual time (s)', y: 'cores', series: failed }),
    lineChart({
      title: 'Disabled cores over time',
      x: 'virtual time (s)',
      y: 'cores',
      series: eventful.map((x) => ({ name: runName(x, r), points: points(x, x.series.disabled) })),
    }),
  );
  return charts;
}

/** Series that agree wherever both have points (runs end at different times) merge, named for every run they stand for. */
function distinct(series: Series[]): Series[] {
  const merged: Series[] = [];
  for (const s of [...series].sort((a, b) => b.points.length - a.points.length)) {
    // Samples share one period; a run's last sample is cut at its own end time, so only values are compared.
    const same = merged.find((m) => s.points.every(([, y], i) => m.points[i]?.[1] === y));
    if (same === undefined) merged.push({ ...s });
    else same.name = `${same.name}, ${s.name}`;
  }
  return merged.length === 1 && series.length > 1 ? [{ ...merged[0]!, name: 'every run' }] : merged;
}

function table(r: ScenarioResult): string {
  const rows = tableRows(r.results, r.sweep?.param);
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]!);
  const head = `<tr>${keys.map((k) => `<th>${escapeXml(k)}</th>`).join('')}</tr>`;
  const body = rows.map((row) => `<tr>${keys.map((k) => `<td>${escapeXml(row[k] ?? '')}</td>`).join('')}</tr>`).join('\n');
  return `<table>${head}\n${body}</table>`;
}

function notes(r: ScenarioResult): string {
  const items: string[] = [];
  for (const x of r.results) {
    if (x.suspicions.length > 0)
      items.push(
        `${escapeXml(runName(x, r))}: task kind suspected non-deterministic at ${(x.suspicions[0]!.at / 1000).toFixed(3)} s (charges stop; ${x.timeToDisable.undetected} failed core(s) never disabled)`,
      );
    else if (x.timeToDisable.undetected > 0) items.push(`${escapeXml(runName(x, r))}: ${x.timeToDisable.undetected} failed core(s) still enabled at the end`);
    if (x.cores.falseDisables > 0) items.push(`${escapeXml(runName(x, r))}: ${x.cores.falseDisables} core(s) disabled by transient faults only`);
  }
  return items.length === 0 ? '' : `<h2>Notes</h2><ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}

export function renderHtml(r: ScenarioResult): string {
  const first = r.results[0];
  const setup =
    first === undefined
      ? ''
      : `${first.config.cores} cores on ${first.config.cpus} CPUs, ${first.config.redundancy.toUpperCase()}, ${first.config.tasks.toLocaleString('en')} tasks, seed ${first.config.seed}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>triplex sim: ${escapeXml(r.name)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1360px}
table{border-collapse:collapse;font-size:12px;margin:12px 0}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px}.charts svg{border:1px solid #eee;background:#fff}
</style></head><body>
<h1>triplex sim: ${escapeXml(r.name)}</h1>
<p>${escapeXml(r.description)}</p>
<p><small>${escapeXml(setup)}. Virtual time; throughput counts tasks that returned a value.</small></p>
${table(r)}
${notes(r)}
<div class="charts">
${[...sweepCharts(r), ...timeCharts(r)].join('\n')}
</div>
</body></html>
`;
}
