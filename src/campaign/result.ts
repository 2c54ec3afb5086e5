/** Builds a campaign's result from what it observed: classification, coverage, sampling, cores, timeline. */
import { describeValue } from '../errors.js';
import { wasInjected, type FaultInjector, type Triplex } from '../api/index.js';
import { emptyCounts, Tally, type TaskEvidence, type TaskObservation } from './classify.js';
import type { GoldenAnswer } from './golden.js';
import { achievedMargin, wilson } from './statistics.js';
import type { TimelineRecorder } from './timeline.js';
import type { CampaignOptions, CampaignResult, CoreSummary, SteppedSummary } from './types.js';
import type { CampaignPlan } from './validate.js';

export interface Collected {
  pool: Triplex;
  options: CampaignOptions;
  plan: CampaignPlan;
  golden: GoldenAnswer[];
  observations: TaskObservation[];
  evidence: Map<number, TaskEvidence>;
  timeline: TimelineRecorder;
  firstCharge: Map<number, number>;
  disabled: Map<number, { atMs: number; afterTasks: number }>;
  nondeterminism: CampaignResult['nondeterminism'];
  startedAt: string;
  concurrency: number;
  elapsedMs: number;
  submitted: number;
  settled: number;
  outOfCores: CampaignResult['outOfCores'];
  stepped: SteppedSummary | undefined;
}

export function summarize(c: Collected): CampaignResult {
  const { pool, options, plan } = c;
  const faults: FaultInjector = options.faults;
  const o = pool.resolvedOptions;
  const lines = faults.describe();
  const tally = new Tally(
    faults.models.map((spec, i) => ({ model: spec.model, description: lines[i]! })),
    o.cores,
  );
  const skipped = classifyTasks(c, tally);
  const maintenance = faults.log.filter((r) => r.replica < 0);
  for (const record of maintenance) tally.addMaintenance(record);
  const coverage = wilson(tally.activatedTasks - tally.sdcActivated, tally.activatedTasks, plan.confidence);
  const cores = coreSummaries(c, tally);
  const answered = c.settled - skipped - tally.outcomes.detected;
  return {
    version: 1,
    label: options.label ?? `${o.redundancy.toUpperCase()} ${o.binding}`,
    interrupted: options.signal?.aborted === true && c.submitted < plan.tasks,
    exhausted: c.outOfCores.refused + c.outOfCores.unrun > 0,
    outOfCores: c.outOfCores,
    startedAt: c.startedAt,
    config: campaignConfig(c, lines),
    tasks: { planned: plan.tasks, submitted: c.submitted, settled: c.settled, skipped },
    outcomes: { ...emptyCounts(), ...tally.outcomes },
    uninjected: { ...tally.uninjected },
    injectedTasks: tally.injectedTasks,
    activatedTasks: tally.activatedTasks,
    models: tally.models,
    coverage: { ...coverage, activated: tally.activatedTasks, sdc: tally.outcomes.sdc, unexplainedSdc: tally.unexplainedSdc },
    sdcCauses: { ...tally.sdcCauses },
    sampling: sampling(plan, tally),
    cores,
    coresDisabled: c.disabled.size,
    throughput: { elapsedMs: Math.round(c.elapsedMs), tasksPerSecond: c.elapsedMs > 0 ? Math.round((answered / c.elapsedMs) * 1000 * 10) / 10 : 0 },
    timeline: c.timeline.build(c.elapsedMs, plan.buckets),
    stats: pool.stats,
    unexplainedCorrected: tally.unexplainedCorrected,
    goldenErrors: goldenErrors(c.golden),
    nondeterminism: c.nondeterminism,
    maintenance: maintenance.map((r) => ({ core: r.core, model: r.model, taskId: r.taskId, atMs: r.atMs ?? null, applied: r.applied !== false })),
    sdcExamples: tally.sdcExamples,
    ...(c.stepped === undefined ? {} : { stepped: c.stepped }),
  };
}

/** Classifies every observed task into the tally; returns how many were skipped (no verdict on the computation). */
function classifyTasks(c: Collected, tally: Tally): number {
  const faults = c.options.faults;
  const o = c.pool.resolvedOptions;
  const empty: TaskEvidence = { disagreed: false, charges: new Map() };
  let skipped = 0;
  c.observations.forEach((obs, id) => {
    const answer = c.golden[obs.inputIndex]!;
    // The right digest as the workers computed it when they agreed on the golden value; else the main thread's.
    const reference =
      o.equals !== undefined ? undefined : obs.kind === 'value' && obs.matches ? (obs.replicas?.find((r) => r.ok)?.digest ?? answer.digest) : answer.digest;
    if (tally.add(id, obs, faults.recordsOf(id).filter(wasInjected), c.evidence.get(id) ?? empty, reference) === undefined) skipped++;
  });
  return skipped;
}

function coreSummaries(c: Collected, tally: Tally): CoreSummary[] {
  return c.pool.cores.map((core) => {
    const off = c.disabled.get(core.id);
    const first = c.firstCharge.get(core.id);
    return {
      id: core.id,
      cpu: core.cpu,
      state: core.state,
      faults: core.faults,
      tasks: core.tasks,
      injected: tally.coreInjections[core.id] ?? 0,
      disabledAtMs: off === undefined ? null : Math.round(off.atMs),
      disabledAfterTasks: off === undefined ? null : off.afterTasks,
      timeToDisableMs: off === undefined || first === undefined ? null : Math.round(off.atMs - first),
    };
  });
}

function campaignConfig(c: Collected, faultLines: string[]): CampaignResult['config'] {
  const o = c.pool.resolvedOptions;
  const faults = c.options.faults;
  return {
    filename: o.moduleUrl,
    task: c.plan.name,
    inputs: c.plan.inputs.length,
    redundancy: o.redundancy,
    binding: o.binding,
    cores: o.cores,
    spares: o.spares,
    cpus: [...o.cpus],
    faultDomain: o.faultDomain,
    taskTimeout: o.taskTimeout,
    concurrency: c.concurrency,
    seed: faults.seed,
    faults: faults.models.map((spec) => ('value' in spec ? { ...spec, value: describeValue(spec.value) } : { ...spec })),
    faultLines,
    golden: c.options.golden === undefined ? 'computed' : 'supplied',
  };
}

/** The statistical sampling plan and what the campaign achieved of it. */
function sampling(plan: CampaignPlan, tally: Tally): CampaignResult['sampling'] {
  const { confidence, population } = plan;
  return {
    margin: plan.margin,
    confidence,
    population: population === null || population === Number.POSITIVE_INFINITY ? null : population,
    required: plan.required,
    injected: tally.injectedTasks,
    achievedMargin: achievedMargin(tally.injectedTasks, { confidence, population: population ?? Number.POSITIVE_INFINITY }),
    met: plan.required === null ? null : tally.injectedTasks >= plan.required,
  };
}

function goldenErrors(golden: readonly GoldenAnswer[]): CampaignResult['goldenErrors'] {
  const failed = golden.filter((g) => !g.ok);
  const first = failed[0];
  return { inputs: failed.length, of: golden.length, first: first === undefined || first.ok ? null : `${first.error.name}: ${first.error.message}` };
}
