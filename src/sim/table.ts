/** The text table `triplex sim` prints: one row per run. */
import type { SimResult } from './result.js';

function fmt(x: number | null, digits = 1): string {
  if (x === null || Number.isNaN(x)) return '-';
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1e6) return x.toExponential(2);
  return x.toFixed(digits);
}

/** A rate to three significant digits (a run of minute-long tasks does well under one per second), whole from 100 up. */
function rate(x: number): string {
  if (!Number.isFinite(x) || x === 0 || Math.abs(x) >= 100) return fmt(x, 0);
  return x.toPrecision(3);
}

function ms(x: number | null): string {
  if (x === null) return '-';
  return x >= 10_000 ? `${fmt(x / 1000, 1)}s` : `${fmt(x, x < 10 ? 2 : 0)}ms`;
}

/** Rows as label → text, in column order. */
export function tableRows(results: readonly SimResult[], param?: string): Record<string, string>[] {
  return results.map((r) => {
    const row: Record<string, string> = { variant: r.variant };
    if (param !== undefined) row[param] = String(r.point);
    row['tasks/s'] = rate(r.throughput);
    row['cap kept'] = `${fmt(r.capacity.retained * 100, 0)}%`;
    row['cap mean'] = `${fmt(r.capacity.meanRetained * 100, 0)}%`;
    row.lost = String(r.tasks.lost);
    row.errors = String(r.tasks.noMajority + r.tasks.notEnoughCores);
    row.SDC = String(r.tasks.sdc);
    row.p50 = ms(r.latency.p50);
    row.p99 = ms(r.latency.p99);
    row['svc avail'] = `${fmt(r.service.availability * 100, 2)}%`;
    row['core avail'] = `${fmt(r.cores.availabilityMean * 100, 1)}%`;
    row.disabled = `${r.cores.disabled}/${r.config.cores}`;
    row.TTD = ms(r.timeToDisable.meanMs);
    row.MTBF = ms(r.service.mtbfMs);
    row.MTTR = ms(r.service.mttrMs);
    row.wall = ms(r.wallMs);
    return row;
  });
}

export function formatTable(results: readonly SimResult[], param?: string): string {
  const rows = tableRows(results, param);
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]!);
  const width = keys.map((k) => Math.max(k.length, ...rows.map((r) => (r[k] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ');
  return [line(keys), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(keys.map((k) => r[k] ?? '')))].join('\n');
}
