/** Inline SVG line charts for the HTML report: no scripts, no external assets. */

export interface Series {
  name: string;
  points: [number, number][];
}

export interface ChartSpec {
  title: string;
  x: string;
  y: string;
  series: Series[];
  /** Start the y axis at 0 (default true). */
  zero?: boolean;
  /** Logarithmic x axis (for sweeps of rates over decades). */
  logX?: boolean;
  /** Format of y tick labels (e.g. percentages). */
  yFormat?: (v: number) => string;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const W = 680;
const H = 320;
const M = { left: 64, right: 190, top: 34, bottom: 44 };

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** About `count` round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function label(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  if (a !== 0 && a < 0.01) return v.toExponential(0);
  return String(Number(v.toPrecision(4)));
}

export function lineChart(spec: ChartSpec): string {
  const log = spec.logX === true;
  const tx = (x: number): number => (log ? Math.log10(x) : x);
  const all = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(tx(x)) && Number.isFinite(y));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(spec.title)}">`,
  ];
  parts.push(`<text x="${W / 2 - M.right / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`);
  if (all.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="12">no data</text></svg>`);
    return parts.join('');
  }
  let x0 = Math.min(...all.map((p) => tx(p[0])));
  let x1 = Math.max(...all.map((p) => tx(p[0])));
  let y0 = spec.zero === false ? Math.min(...all.map((p) => p[1])) : Math.min(0, ...all.map((p) => p[1]));
  let y1 = Math.max(...all.map((p) => p[1]));
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y0 = y0 === 0 ? y0 : y0 - Math.abs(y0) * 0.1; // flat series: show it at the top
  if (y1 === y0) y1 = y0 + 1;
  const yt = ticks(y0, y1);
  y0 = Math.min(y0, yt[0]!);
  y1 = Math.max(y1, yt[yt.length - 1]!);
  const xt = log ? ticks(Math.floor(x0), Math.ceil(x1), Math.max(1, Math.ceil(x1) - Math.floor(x0))) : ticks(x0, x1, 6);
  x0 = Math.min(x0, xt[0]!);
  x1 = Math.max(x1, xt[xt.length - 1]!);
  const sx = (x: number): number => M.left + ((tx(x) - x0) / (x1 - x0)) * pw;
  const sy = (y: number): number => M.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const fy = spec.yFormat ?? label;
  parts.push(`<g font-size="11" fill="#333">`);
  for (const v of yt) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${M.left - 6}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end">${escapeXml(fy(v))}</text>`);
  }
  for (const t of xt) {
    const v = log ? 10 ** t : t;
    parts.push(`<text x="${sx(v).toFixed(1)}" y="${M.top + ph + 16}" text-anchor="middle">${escapeXml(log ? v.toExponential(0) : label(v))}</text>`);
  }
  parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#333"/>`);
  parts.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#333"/>`);
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(spec.x)}</text>`);
  parts.push(`<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.y)}</text></g>`);
  spec.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = s.points.filter(([x, y]) => Number.isFinite(tx(x)) && Number.isFinite(y));
    const d = pts.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`).join('');
    if (pts.length > 1) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    if (pts.length <= 40) for (const [x, y] of pts) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = M.top + 10 + i * 18;
    parts.push(`<rect x="${W - M.right + 12}" y="${ly - 8}" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${W - M.right + 30}" y="${ly + 2}" font-size="11">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
