/** Self-contained HTML report: inline CSS and SVG only, so it opens anywhere, offline, and can be attached to a ticket. */
import { disabledCell, formatCoverage, goldenWarning, percent, sdcExampleText } from './summary.js';
import { escapeXml as esc, lineChart, PALETTE, stackedBars, type BarSegment } from './svg.js';
import { OUTCOMES, type CampaignResult, type Outcome, type OutcomeCounts } from './types.js';

const OUTCOME_COLORS: Record<Outcome, string> = { correct: '#9ca3af', masked: '#60a5fa', corrected: '#10b981', detected: '#f59e0b', sdc: '#dc2626' };
const LEGEND = OUTCOMES.map((key) => ({ key, color: OUTCOME_COLORS[key] }));

const CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#111827;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:right}th{background:#f9fafb}td:first-child,th:first-child{text-align:left}
.muted{color:#6b7280}.bad{color:#dc2626;font-weight:600}.ok{color:#059669;font-weight:600}.badge{background:#fef3c7;border-radius:4px;padding:1px 6px;font-size:12px}
svg.chart{display:block;margin:10px 0;max-width:100%;height:auto}svg .title{font-weight:600;font-size:13px}svg .label,svg .legend{font-size:12px}
svg .tick{font-size:11px;fill:#4b5563}svg .in{font-size:11px;fill:#fff}svg .axis{stroke:#6b7280}svg .grid{stroke:#e5e7eb}ul{margin:4px 0}`;

function segments(counts: OutcomeCounts, keys: readonly Outcome[] = OUTCOMES): BarSegment[] {
  return keys.map((key) => ({ key, value: counts[key], color: OUTCOME_COLORS[key] }));
}

function summaryTable(results: readonly CampaignResult[]): string {
  const head = [
    'configuration',
    'tasks',
    ...OUTCOMES,
    `coverage [${Math.round((results[0]?.coverage.confidence ?? 0.95) * 100)}% CI]`,
    'cores disabled',
    'answers/s',
  ];
  const rows = results.map((r) => {
    const cells = [
      `${esc(r.label)}${r.interrupted ? ' <span class="badge">interrupted</span>' : ''}${r.exhausted ? ' <span class="badge">out of cores</span>' : ''}`,
      String(r.tasks.settled - r.tasks.skipped),
      ...OUTCOMES.map((o) => (o === 'sdc' ? `<span class="${r.outcomes.sdc > 0 ? 'bad' : 'ok'}">${r.outcomes.sdc}</span>` : String(r.outcomes[o]))),
      esc(formatCoverage(r.coverage)),
      esc(disabledCell(r)),
      r.throughput.tasksPerSecond.toFixed(1),
    ];
    return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function modelTable(r: CampaignResult): string {
  const rows = r.models.map(
    (m) =>
      `<tr><td>${esc(m.description)}</td><td>${m.injected}</td><td>${m.activated}</td>${(['masked', 'corrected', 'detected', 'sdc'] as const).map((o) => `<td>${m.outcomes[o]}</td>`).join('')}</tr>`,
  );
  // Injections are counted per replica, outcomes per task.
  const head = ['fault model', 'injected (replicas)', 'activated (replicas)', 'masked (tasks)', 'corrected (tasks)', 'detected (tasks)', 'sdc (tasks)'];
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function coreTable(r: CampaignResult): string {
  const rows = r.cores.map((c) => {
    const off =
      c.disabledAtMs === null
        ? ''
        : `${c.disabledAtMs} ms / ${c.disabledAfterTasks} tasks${c.timeToDisableMs === null ? '' : ` (${c.timeToDisableMs} ms after first charge)`}`;
    return `<tr><td>core ${c.id}</td><td>${c.cpu}</td><td>${esc(c.state)}</td><td>${c.tasks}</td><td>${c.injected}</td><td>${c.faults}</td><td>${esc(off)}</td></tr>`;
  });
  return `<table><thead><tr><th>core</th><th>CPU</th><th>state</th><th>replicas</th><th>injected</th><th>charges</th><th>disabled at</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function samplingText(r: CampaignResult): string {
  const s = r.sampling;
  const achieved = s.achievedMargin === null ? 'n/a' : `±${percent(s.achievedMargin)}`;
  const conf = `${Math.round(s.confidence * 100)}%`;
  if (s.required === null)
    return `${s.injected} injected tasks give an error margin of ${achieved} at ${conf} confidence (Leveugle et al., DATE 2009, p = 0.5).`;
  const verdict = s.met ? '<span class="ok">met</span>' : '<span class="bad">not met</span>';
  return `Margin ±${percent(s.margin)} at ${conf} needs ${s.required} injected tasks (population ${s.population ?? '∞'}); ${s.injected} were injected, giving ${achieved}: ${verdict}.`;
}

/** Exact steps from the recorded changes (older results without them fall back to the bucketed series). */
function capacityChart(r: CampaignResult): string {
  const changes = r.timeline.capacityChanges ?? [];
  const end = r.timeline.t[r.timeline.t.length - 1] ?? 0;
  const x = changes.length > 0 ? [...changes.map((c) => c.t), end] : r.timeline.t;
  const values = changes.length > 0 ? [...changes.map((c) => c.value), changes[changes.length - 1]!.value] : r.timeline.capacity;
  return lineChart('capacity-over-time', 'Cores in service over time', x, [{ name: 'cores serving', values, color: '#0f766e' }], {
    yLabel: 'cores',
    step: true,
    integer: true,
  });
}

function section(r: CampaignResult, i: number): string {
  const c = r.config;
  const modelRows = r.models
    .filter((m) => m.model !== 'offline' && m.model !== 'online')
    .map((m) => ({ label: m.description, segments: segments(m.outcomes, ['masked', 'corrected', 'detected', 'sdc']) }));
  modelRows.push({ label: 'no fault injected', segments: segments(r.uninjected) });
  const faulty = r.cores.filter((core) => core.faults > 0 || core.injected > 0);
  const shown = (faulty.length > 0 ? faulty : r.cores).slice(0, PALETTE.length);
  const faultSeries = shown.map((core) => ({
    name: `core ${core.id} (CPU ${core.cpu})`,
    values: r.timeline.faults[core.id] ?? [],
    color: PALETTE[core.id % PALETTE.length]!,
  }));
  const x = r.timeline.t;
  return `<section id="config-${i}">
<h2>${esc(r.label)}${r.interrupted ? ' <span class="badge">interrupted</span>' : ''}</h2>
${goldenWarning(r) === undefined ? '' : `<p class="badge">${esc(goldenWarning(r)!)}</p>`}
<p class="muted">${esc(c.redundancy.toUpperCase())}, ${esc(c.binding)} binding, ${c.cores} cores on CPUs [${c.cpus.join(', ')}]${c.spares ? `, ${c.spares} spares` : ''}; task <code>${esc(c.task)}</code> over ${c.inputs} inputs; seed ${c.seed}; task timeout ${c.taskTimeout} ms; golden answers ${c.golden}.</p>
<ul>${c.faultLines.map((line) => `<li>${esc(line)}</li>`).join('')}</ul>
<p>Coverage (1 − SDC / activated, ${r.coverage.activated} tasks with an activated fault): <b>${esc(formatCoverage(r.coverage))}</b>. ${samplingText(r)}</p>
${stackedBars('outcomes-per-model', 'Outcomes of the tasks each fault model touched', modelRows, LEGEND)}
${lineChart('faults-over-time', 'Faults attributed to each core over time (cumulative)', x, faultSeries, { yLabel: 'faults', step: true, integer: true })}
${capacityChart(r)}
${lineChart('throughput-over-time', 'Tasks settled per bucket', x, [{ name: `per ${Math.round(r.timeline.bucketMs)} ms`, values: r.timeline.settled, color: '#6366f1' }], { yLabel: 'tasks', integer: true })}
<h3>Fault models</h3>${modelTable(r)}
<h3>Cores</h3>${coreTable(r)}
${r.nondeterminism.map((n) => `<p class="muted">At ${n.atMs} ms the pool saw <code>${esc(n.taskName)}</code> read as non-deterministic: cores ${n.cores.join(', ')} are out-voted alike on it, so none stands out.</p>`).join('')}
${r.sdcExamples.length > 0 ? `<h3>Silent data corruptions (first ${r.sdcExamples.length})</h3><ul>${r.sdcExamples.map((e) => `<li>${esc(sdcExampleText(e))}</li>`).join('')}</ul>` : ''}
</section>`;
}

/** The whole report as one HTML string. */
export function renderHtml(results: CampaignResult | readonly CampaignResult[], options: { title?: string } = {}): string {
  const list = Array.isArray(results) ? (results as readonly CampaignResult[]) : [results as CampaignResult];
  const title = options.title ?? 'triplex fault-injection report';
  const overview = stackedBars(
    'outcomes-per-config',
    'Outcomes per configuration',
    list.map((r) => ({ label: r.label, segments: segments(r.outcomes) })),
    LEGEND,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(title)}</h1>
<p class="muted">Generated ${esc(new Date().toISOString())}. ${list.some((r) => r.interrupted) ? '<span class="badge">interrupted: partial results</span>' : ''}</p>
${summaryTable(list)}
${overview}
<p class="muted"><b>correct</b>: no fault injected; <b>masked</b>: fault injected, right answer, no replica disagreed; <b>corrected</b>: replicas disagreed (or crashed, hung) and were out-voted;
<b>detected</b>: the pool refused to answer with a typed error (DUE); <b>sdc</b>: a wrong answer reached the caller. Coverage is 1 − SDC/activated with a Wilson score interval.</p>
${list.map(section).join('\n')}
</body></html>
`;
}
