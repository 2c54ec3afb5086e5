/** Inline SVG charts for the HTML report: static markup, no script, no external assets. */

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const n = (x: number): string => (Math.round(x * 10) / 10).toString();

export interface BarSegment {
  key: string;
  value: number;
  color: string;
}

/** Horizontal bars, each split into segments in proportion to its total (counts in tooltips and labels). */
export function stackedBars(kind: string, title: string, rows: { label: string; segments: BarSegment[] }[], legend: { key: string; color: string }[]): string {
  // Room for the longest label (≈7.4 px per character at 12 px in common sans fonts), so none is cut off on the left.
  const longest = Math.max(0, ...rows.map((row) => row.label.length));
  const labelW = Math.min(520, Math.max(120, Math.ceil(longest * 7.4) + 14));
  const barW = Math.max(320, 700 - labelW);
  const width = labelW + barW + 70;
  const rowH = 26;
  const top = 44;
  const height = top + rows.length * rowH + 16;
  const parts: string[] = [];
  parts.push(`<text x="0" y="16" class="title">${escapeXml(title)}</text>`);
  let lx = 0;
  for (const item of legend) {
    parts.push(`<rect x="${lx}" y="26" width="10" height="10" fill="${item.color}"/><text x="${lx + 14}" y="35" class="legend">${escapeXml(item.key)}</text>`);
    lx += 24 + item.key.length * 7;
  }
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    const total = row.segments.reduce((sum, s) => sum + s.value, 0);
    parts.push(`<text x="${labelW - 8}" y="${y + 16}" text-anchor="end" class="label">${escapeXml(row.label)}</text>`);
    parts.push(`<rect x="${labelW}" y="${y + 3}" width="${barW}" height="${rowH - 8}" fill="#f1f5f9"/>`);
    let x = labelW;
    for (const segment of row.segments) {
      if (segment.value <= 0 || total === 0) continue;
      const w = (segment.value / total) * barW;
      parts.push(
        `<rect x="${n(x)}" y="${y + 3}" width="${n(Math.max(w, 1))}" height="${rowH - 8}" fill="${segment.color}" data-key="${escapeXml(segment.key)}"><title>${escapeXml(`${row.label}: ${segment.key} ${segment.value} of ${total}`)}</title></rect>`,
      );
      if (w > 34) parts.push(`<text x="${n(x + w / 2)}" y="${y + 16}" text-anchor="middle" class="in">${segment.value}</text>`);
      x += w;
    }
    parts.push(`<text x="${labelW + barW + 6}" y="${y + 16}" class="label">${total}</text>`);
  });
  return svg(kind, title, width, height, parts);
}

export interface Series {
  name: string;
  values: number[];
  color: string;
}

/** Lines over time; `step` draws a staircase (capacity changes at instants, it does not ramp). */
export function lineChart(
  kind: string,
  title: string,
  x: number[],
  series: Series[],
  opts: { yLabel: string; step?: boolean; yMin?: number; integer?: boolean },
): string {
  const width = 760;
  const height = 260;
  const left = 52;
  const right = 150;
  const top = 30;
  const bottom = 36;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const xMax = Math.max(1, x[x.length - 1] ?? 1);
  const yMin = opts.yMin ?? 0;
  let yMax = Math.max(yMin + 1, ...series.flatMap((s) => s.values));
  if (opts.integer === true) yMax = Math.ceil(yMax);
  const px = (v: number): number => left + (v / xMax) * plotW;
  const py = (v: number): number => top + plotH - ((v - yMin) / (yMax - yMin)) * plotH;
  const parts: string[] = [`<text x="0" y="16" class="title">${escapeXml(title)}</text>`];
  // Axes and ticks.
  parts.push(
    `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" class="axis"/><line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" class="axis"/>`,
  );
  for (const tick of ticks(yMin, yMax, 5, opts.integer === true)) {
    parts.push(
      `<line x1="${left}" y1="${n(py(tick))}" x2="${left + plotW}" y2="${n(py(tick))}" class="grid"/><text x="${left - 6}" y="${n(py(tick) + 4)}" text-anchor="end" class="tick">${tick}</text>`,
    );
  }
  for (const tick of ticks(0, xMax / 1000, 6, false)) {
    parts.push(`<text x="${n(px(tick * 1000))}" y="${top + plotH + 16}" text-anchor="middle" class="tick">${tick}</text>`);
  }
  parts.push(`<text x="${left + plotW / 2}" y="${height - 4}" text-anchor="middle" class="tick">seconds</text>`);
  parts.push(
    `<text x="12" y="${top + plotH / 2}" transform="rotate(-90 12 ${top + plotH / 2})" text-anchor="middle" class="tick">${escapeXml(opts.yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    if (s.values.length === 0) return;
    let d = `M${n(px(0))},${n(py(s.values[0]!))}`;
    s.values.forEach((v, j) => {
      const xv = px(x[j] ?? 0);
      d += opts.step === true ? `H${n(xv)}V${n(py(v))}` : `L${n(xv)},${n(py(v))}`;
    });
    parts.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" data-series="${escapeXml(s.name)}"><title>${escapeXml(`${s.name}: ${s.values[s.values.length - 1]} at the end`)}</title></path>`,
    );
    const ly = top + 10 + i * 16;
    parts.push(
      `<line x1="${left + plotW + 14}" y1="${ly - 4}" x2="${left + plotW + 30}" y2="${ly - 4}" stroke="${s.color}" stroke-width="3"/><text x="${left + plotW + 34}" y="${ly}" class="legend">${escapeXml(s.name)}</text>`,
    );
  });
  return svg(kind, title, width, height, parts);
}

function ticks(min: number, max: number, count: number, integer: boolean): number[] {
  const span = max - min;
  if (span <= 0) return [min];
  let step = 10 ** Math.floor(Math.log10(span / count));
  for (const m of [1, 2, 5, 10]) {
    if (span / (step * m) <= count) {
      step *= m;
      break;
    }
  }
  if (integer) step = Math.max(1, Math.round(step));
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step) out.push(Math.round(v * 1000) / 1000);
  return out;
}

function svg(kind: string, title: string, width: number, height: number, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${escapeXml(kind)}" role="img" aria-label="${escapeXml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** Distinct colours for per-core series (colour-blind-friendly first). */
export const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#d55e00', '#cc79a7', '#56b4e9', '#f0e442', '#000000', '#999999', '#882255', '#44aa99', '#117733'];
