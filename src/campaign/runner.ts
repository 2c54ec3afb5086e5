/**
 * campaign(): runs a workload on a real pool with a fault injector, checks every answer against
 * a fault-free golden one and classifies each task. The campaign is the pool's only submitter,
 * so pool task ids are campaign task numbers and the injector's decisions replay with the seed.
 */
import { isTriplexError } from '../errors.js';
import { wasInjected, resolveOptions, Triplex, type FaultInjector, type TriplexOptions, type DetailedResult, type ReplicaReport } from '../api/index.js';
import { Tally, type TaskEvidence, type TaskObservation } from './classify.js';
import { goldenAnswers, loadTask, matchesError, matchesValue, type GoldenAnswer } from './golden.js';
import { summarize } from './result.js';
import { TimelineRecorder } from './timeline.js';
import type { CampaignOptions, CampaignResult } from './types.js';
import { validateCampaign, type CampaignPlan } from './validate.js';

const SERVING = new Set(['healthy', 'suspect', 'probation']);
/** Codes that end a task without a verdict on the computation (load shedding, abort): not counted. */
const SKIPPED = new Set(['ERR_ABORTED', 'ERR_DESTROYED', 'ERR_QUEUE_FULL']);
/** Codes that mean the campaign itself is misconfigured: it stops and throws. */
const FATAL = new Set(['ERR_TASK_NOT_FOUND', 'ERR_INVALID_OPTION', 'ERR_PINNING']);

function serving(pool: Triplex): number {
  return pool.cores.filter((core) => SERVING.has(core.state)).length;
}

/**
 * A hang is only noticed at taskTimeout: 30 s would make a campaign crawl, so campaigns that can
 * hang a replica (hang faults, or input flips that may turn a loop bound huge) default to a bound
 * derived from the golden run.
 */
function campaignTimeout(options: CampaignOptions, slowestMs: number | undefined): number | undefined {
  if (options.pool.taskTimeout !== undefined) return undefined;
  if (!options.faults.models.some((m) => m.model === 'hang' || m.target === 'input')) return undefined;
  return slowestMs === undefined ? 5_000 : Math.max(1_000, Math.ceil(slowestMs * 20));
}

export async function campaign(options: CampaignOptions): Promise<CampaignResult> {
  const plan = validateCampaign(options);
  const faults = options.faults;
  const resolved = resolveOptions({ ...options.pool, faults });
  faults.validateFor(resolved.cores);
  // Only the inputs the campaign will use (fewer tasks than inputs leaves some out).
  const used = plan.inputs.slice(0, Math.min(plan.inputs.length, plan.tasks));
  const golden =
    options.golden === undefined
      ? await goldenAnswers(used, { fn: await loadTask(resolved.moduleUrl, plan.name) })
      : await goldenAnswers(used, { supplied: options.golden });
  const timeout = campaignTimeout(options, golden.slowestMs);
  const poolOptions: TriplexOptions = timeout === undefined ? { ...options.pool, faults } : { ...options.pool, faults, taskTimeout: timeout };
  faults.clearLog();
  const pool = new Triplex(poolOptions);
  try {
    await pool.ready;
    return await execute(pool, options, plan, golden.answers, golden.slowestMs);
  } finally {
    await pool.destroy();
  }
}

async function execute(pool: Triplex, options: CampaignOptions, plan: CampaignPlan, golden: GoldenAnswer[], slowestMs: number | undefined): Promise<CampaignResult> {
  const faults = options.faults;
  const o = pool.resolvedOptions;
  const startedAt = new Date().toISOString();
  const concurrency = plan.concurrency ?? o.cores * 2;
  const timeline = new TimelineRecorder(o.cores, serving(pool));
  const evidence = new Map<number, TaskEvidence>();
  const firstCharge = new Map<number, number>();
  const disabled = new Map<number, { atMs: number; afterTasks: number }>();
  const evidenceOf = (taskId: number): TaskEvidence => {
    let e = evidence.get(taskId);
    if (e === undefined) evidence.set(taskId, (e = { disagreed: false, charges: new Map() }));
    return e;
  };
  pool.on('fault', (event) => {
    evidenceOf(event.taskId).charges.set(event.core, { kind: event.kind, digest: event.digest });
    timeline.fault(event.core);
    if (!firstCharge.has(event.core)) firstCharge.set(event.core, timeline.now());
  });
  pool.on('disagreement', (event) => {
    evidenceOf(event.taskId).disagreed = true;
  });
  const nondeterminism: CampaignResult['nondeterminism'] = [];
  pool.on('nondeterminism-suspected', (event) => {
    if (event.ended !== true) nondeterminism.push({ taskName: event.taskName, cores: [...event.cores], atMs: Math.round(timeline.now()) });
  });
  pool.on('core-state', (event) => {
    timeline.capacity(serving(pool));
    if ((event.to === 'disabled' || event.to === 'retired') && !disabled.has(event.core)) disabled.set(event.core, { atMs: timeline.now(), afterTasks: settled });
  });

  const observations: TaskObservation[] = [];
  const live = new Tally([], 0);
  let submitted = 0;
  let settled = 0;
  let inFlight = 0;
  let injectedSettled = 0;
  let fatal: Error | undefined;
  let exhausted = false;
  const canRecover = o.health.selfTest !== false || faults.models.some((m) => m.model === 'online');
  let lastSettleMs = 0;
  const interrupted = (): boolean => options.signal?.aborted === true;
  const enough = (): boolean => submitted >= plan.tasks || (plan.required !== null && injectedSettled >= plan.required);

  const observe = (id: number, inputIndex: number, outcome: PromiseSettledResult<DetailedResult>): void => {
    const answer = golden[inputIndex]!;
    if (outcome.status === 'fulfilled') {
      const r = outcome.value;
      observations[id] = { inputIndex, kind: 'value', matches: matchesValue(r.value, answer, o.equals), corrected: r.corrected, replicas: r.replicas };
      return;
    }
    const error = outcome.reason as unknown;
    if (!isTriplexError(error) || error.code === 'ERR_NOT_CLONEABLE') {
      // The task's own error, agreed by a majority: right if the golden run threw it too.
      observations[id] = { inputIndex, kind: 'error', matches: matchesError(error, answer), corrected: false, replicas: undefined };
      return;
    }
    if (FATAL.has(error.code)) fatal ??= error;
    // Out of cores for good (nothing can bring one back): further tasks would only be refused at once.
    if (error.code === 'ERR_NOT_ENOUGH_CORES' && !canRecover) exhausted = true;
    const outcomes = error.data?.outcomes as ReplicaReport[] | undefined;
    observations[id] = { inputIndex, kind: SKIPPED.has(error.code) || FATAL.has(error.code) ? 'skipped' : 'detected', matches: false, corrected: false, replicas: outcomes };
  };

  await new Promise<void>((done) => {
    const stop = (): boolean => fatal !== undefined || exhausted || interrupted() || enough();
    const pump = (): void => {
      scheduled = false;
      // Late replicas of the tasks in flight can still change core states (forgiven charges): look again once they are in.
      if (exhausted && inFlight === 0 && serving(pool) >= o.k) exhausted = false;
      while (!stop() && inFlight < concurrency) submit();
      if (inFlight === 0 && stop()) done();
    };
    // Refusals settle at once: dispatching from their callbacks would chain microtasks forever and
    // starve timers and signals (Ctrl-C). One pump per turn of the event loop keeps them running.
    let scheduled = false;
    const schedule = (): void => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(pump);
    };
    const submit = (): void => {
      const id = submitted++;
      const inputIndex = id % plan.inputs.length;
      inFlight++;
      void pool
        .runDetailed(plan.inputs[inputIndex], { name: plan.name })
        .then(
          (value) => observe(id, inputIndex, { status: 'fulfilled', value }),
          (reason: unknown) => observe(id, inputIndex, { status: 'rejected', reason }),
        )
        .then(() => {
          inFlight--;
          settled++;
          timeline.settled();
          lastSettleMs = timeline.now();
          const obs = observations[id]!;
          const records = faults.recordsOf(id).filter((r) => r.replica >= 0 && wasInjected(r));
          if (records.length > 0 && obs.kind !== 'skipped') injectedSettled++;
          // Live tally for progress only; the final one is built after late replicas have answered.
          live.add(id, obs, records, evidence.get(id) ?? { disagreed: false, charges: new Map() }, undefined);
          try {
            options.onProgress?.({ done: settled, total: plan.tasks, submitted, injected: injectedSettled, required: plan.required, outcomes: { ...live.outcomes }, elapsedMs: lastSettleMs });
          } catch (error) {
            fatal ??= error as Error;
          }
          schedule();
        });
    };
    options.signal?.addEventListener('abort', pump, { once: true });
    pump();
  });
  if (fatal !== undefined) throw fatal;
  await drain(pool, faults, observations, evidence, slowestMs);
  return summarize({ pool, options, plan, golden, observations, evidence, timeline, firstCharge, disabled, nondeterminism, startedAt, concurrency, elapsedMs: lastSettleMs, submitted, settled, exhausted });
}

/**
 * Waits for injected replicas that answer after their task's vote (TMR's third), so that their
 * evidence is counted: a flipped replica is in when its flips are logged, a crash or hang when
 * the pool charged it. Other late replicas cannot change a classification, so they are not awaited.
 */
async function drain(pool: Triplex, faults: FaultInjector, observations: TaskObservation[], evidence: Map<number, TaskEvidence>, slowestMs: number | undefined): Promise<void> {
  const specs = faults.models;
  const pending: { taskId: number; replica: number; core: number; byFlips: boolean }[] = [];
  observations.forEach((obs, taskId) => {
    if (obs.kind !== 'value' || obs.replicas === undefined) return;
    for (const record of faults.recordsOf(taskId)) {
      if (record.replica < 0 || !wasInjected(record) || obs.replicas[record.replica]?.status !== 'running') continue;
      const spec = specs[record.modelIndex];
      if (spec === undefined || spec.model === 'slow' || 'value' in spec) continue;
      pending.push({ taskId, replica: record.replica, core: record.core, byFlips: spec.model !== 'crash' && spec.model !== 'hang' });
    }
  });
  // A hang shows at taskTimeout; a flipped replica answers within a task's time, unless the pool
  // dropped it (a replica it no longer needed): bound that wait by the golden run's time.
  const timeout = pool.resolvedOptions.taskTimeout;
  const start = performance.now();
  const hangDeadline = start + Math.min(Number.isFinite(timeout) ? timeout : 60_000, 60_000) + 1_000;
  const flipDeadline = Math.min(hangDeadline, start + Math.max(1_000, (slowestMs ?? 250) * 20));
  const done = (p: (typeof pending)[number], now: number): boolean =>
    evidence.get(p.taskId)?.charges.has(p.core) === true ||
    now > (p.byFlips ? flipDeadline : hangDeadline) ||
    (p.byFlips && faults.recordsOf(p.taskId).some((r) => r.replica === p.replica && r.flips !== undefined));
  let left = pending;
  while ((left = left.filter((p) => !done(p, performance.now()))).length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
}
