/** Plain-text report: the outcome table (one row per configuration) and per-model details. */
import type { Interval } from './statistics.js';
import { OUTCOMES, type CampaignResult, type SdcExample } from './types.js';

export function percent(x: number | null, digits = 2): string {
  return x === null ? 'n/a' : `${(x * 100).toFixed(digits)}%`;
}

/** "99.83% [99.51, 99.94]" or "n/a (nothing activated)". */
export function formatCoverage(coverage: Interval): string {
  if (coverage.estimate === null) return 'n/a (no fault activated)';
  return `${percent(coverage.estimate)} [${percent(coverage.low)}, ${percent(coverage.high)}]`;
}

function table(header: string[], rows: string[][], right: Set<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const OUT_OF_SERVICE = new Set(['disabled', 'retired']);

/** Cores disabled at the end ("2 (1,4)"), and those disabled during the campaign that came back ("+1 back (3)"). */
export function disabledCell(result: CampaignResult): string {
  const ever = result.cores.filter((c) => c.disabledAtMs !== null);
  const now = ever.filter((c) => OUT_OF_SERVICE.has(c.state)).map((c) => c.id);
  const back = ever.filter((c) => !OUT_OF_SERVICE.has(c.state)).map((c) => c.id);
  const cell = now.length === 0 ? '0' : `${now.length} (${now.join(',')})`;
  return back.length === 0 ? cell : `${cell} +${back.length} back (${back.join(',')})`;
}

/** One SDC example: "task 7 (input 1, common-mode on core 0/2: common-mode)", or "task 3 (input 1: no fault injected)". */
export function sdcExampleText(e: SdcExample): string {
  if (e.models.length === 0) return `task ${e.taskId} (input ${e.inputIndex}: ${e.cause})`;
  return `task ${e.taskId} (input ${e.inputIndex}, ${e.models.join('+')} on core ${e.cores.join('/')}: ${e.cause})`;
}

/** What running out of cores cost, with the counts: "6 refused and 2 never run of 18 planned tasks". */
export function outOfCoresText(r: CampaignResult): string {
  const { refused, unrun } = r.outOfCores;
  const parts = [refused > 0 ? `${refused} refused` : '', unrun > 0 ? `${unrun} never run` : ''].filter((p) => p !== '');
  return `${parts.join(' and ')} of ${r.tasks.planned} planned tasks`;
}

/** The golden run's failures, as a warning line; undefined when it answered every input. */
export function goldenWarning(result: CampaignResult): string | undefined {
  const g = result.goldenErrors;
  if (g === undefined || g.inputs === 0) return undefined;
  const what = `the fault-free golden run threw on ${g.inputs} of ${g.of} inputs (${g.first ?? 'an error'})`;
  return `WARNING: ${what}: those tasks count as correct only because every replica threw the same error; check the task and its inputs`;
}

/** The outcome table: per configuration, outcomes, coverage with its confidence interval, cores disabled, throughput. */
export function formatSummary(results: CampaignResult | readonly CampaignResult[]): string {
  const list = Array.isArray(results) ? (results as readonly CampaignResult[]) : [results as CampaignResult];
  const confidence = list[0]?.coverage.confidence ?? 0.95;
  const header = ['config', 'tasks', ...OUTCOMES, `coverage [${Math.round(confidence * 100)}% CI]`, 'disabled', 'answers/s'];
  const rows = list.map((r) => [
    r.label + (r.interrupted ? ' (interrupted)' : '') + (r.exhausted ? ' (out of cores)' : ''),
    String(r.tasks.settled - r.tasks.skipped),
    ...OUTCOMES.map((o) => String(r.outcomes[o])),
    formatCoverage(r.coverage),
    disabledCell(r),
    r.throughput.tasksPerSecond.toFixed(1),
  ]);
  return table(header, rows, new Set([1, 2, 3, 4, 5, 6, 8, 9]));
}

/** Per fault model: injections, activations and the outcomes of the tasks it touched. */
export function formatModels(result: CampaignResult): string {
  // Injections are counted per replica, outcomes per task (a task has k or more replicas).
  const header = ['fault model', 'injected (replicas)', 'activated (replicas)', 'masked (tasks)', 'corrected (tasks)', 'detected (tasks)', 'sdc (tasks)'];
  const rows = result.models.map((m) => [
    m.description,
    String(m.injected),
    String(m.activated),
    String(m.outcomes.masked),
    String(m.outcomes.corrected),
    String(m.outcomes.detected),
    String(m.outcomes.sdc),
  ]);
  return table(header, rows, new Set([1, 2, 3, 4, 5, 6]));
}

/** A few lines on sampling and disabling, under the table. */
export function formatNotes(result: CampaignResult): string {
  const golden = goldenWarning(result);
  const lines: string[] = golden === undefined ? [] : [golden];
  if (result.config.faultDomain === 'none') lines.push("fault domains: 'none' — replicas of a task may share a CPU (a fault of one CPU can reach two of them)");
  const s = result.sampling;
  const margin = s.achievedMargin === null ? 'n/a' : `±${percent(s.achievedMargin)}`;
  if (s.required !== null) {
    lines.push(
      `sampling: ${s.injected} injected tasks of ${s.required} required for ±${percent(s.margin)} at ${Math.round(s.confidence * 100)}% (Leveugle et al.); achieved ${margin}${s.met ? '' : ' — not met'}`,
    );
  } else {
    lines.push(`sampling: ${s.injected} injected tasks give a margin of ${margin} at ${Math.round(s.confidence * 100)}% (Leveugle et al., p = 0.5)`);
  }
  const stepped = result.stepped;
  if (stepped !== undefined) {
    const perFault = stepped.lostStepsPerFault === null ? 'no fault' : `${stepped.lostStepsPerFault} steps (${stepped.lostMsPerFault} ms) per fault`;
    lines.push(
      `stepped: ${stepped.checkpoints} checkpoints over ${stepped.tasks} runs, ${stepped.faults} faulty replicas, ${stepped.migrations} migrations; work lost: ${perFault}`,
    );
  }
  if (result.exhausted) lines.push(`out of cores: ${outOfCoresText(result)}: too few cores left to serve one, and none could come back`);
  for (const core of result.cores) {
    if (core.disabledAtMs === null) continue;
    const ttd = core.timeToDisableMs === null ? '' : `, ${core.timeToDisableMs} ms after its first charge`;
    const now = core.state === 'disabled' ? '' : `; now ${core.state}`;
    lines.push(`core ${core.id} (CPU ${core.cpu}) disabled at ${core.disabledAtMs} ms, after ${core.disabledAfterTasks} tasks${ttd}${now}`);
  }
  for (const n of result.nondeterminism) {
    lines.push(`at ${n.atMs} ms "${n.taskName}" read as non-deterministic: its cores (${n.cores.join(', ')}) are out-voted alike, so none stands out`);
  }
  if (result.outcomes.sdc > 0) {
    const causes = Object.entries(result.sdcCauses ?? {})
      .filter(([, n]) => n > 0)
      .map(([cause, n]) => `${n} ${cause}`);
    lines.push(`sdc: ${result.outcomes.sdc} wrong answer(s) reached the caller (${causes.join(', ')})`);
  }
  if (result.unexplainedCorrected > 0)
    lines.push(`warning: ${result.unexplainedCorrected} task(s) with no injected fault had disagreeing replicas: is the task deterministic?`);
  if (result.coverage.unexplainedSdc > 0)
    lines.push(`warning: ${result.coverage.unexplainedSdc} wrong answer(s) with no active injection: is the task deterministic, is the golden answer right?`);
  return lines.join('\n');
}
