/**
 * campaign(): runs a workload on a real pool with a fault injector, checks every answer against
 * a fault-free golden one and classifies each task. The campaign is the pool's only submitter,
 * so pool task ids are campaign task numbers and the injector's decisions replay with the seed.
 */
import { invalidOption, isTriplexError } from '../errors.js';
import {
  isServing,
  wasInjected,
  resolveOptions,
  Triplex,
  type FaultInjector,
  type TriplexOptions,
  type DetailedResult,
  type ReplicaReport,
} from '../api/index.js';
import { Tally, type TaskEvidence, type TaskObservation } from './classify.js';
import { matchesError, matchesValue, suppliedAnswers, type GoldenAnswer } from './golden.js';
import { computedAnswers } from './golden-thread.js';
import { summarize } from './result.js';
import { TimelineRecorder } from './timeline.js';
import { awaitLateEvidence } from './late-evidence.js';
import type { CampaignOptions, CampaignResult, SteppedSummary } from './types.js';
import { validateCampaign, type CampaignPlan } from './validate.js';

/** Codes that end a task without a verdict on the computation (load shedding, abort): not counted. */
const SKIPPED = new Set(['ERR_ABORTED', 'ERR_DESTROYED', 'ERR_QUEUE_FULL']);
/** Codes that mean the campaign itself is misconfigured: it stops and throws. */
const FATAL = new Set(['ERR_TASK_NOT_FOUND', 'ERR_INVALID_OPTION', 'ERR_PINNING']);

function serving(pool: Triplex): number {
  // A stranded core (its static group left service) is healthy but serves nothing.
  return pool.cores.filter((core) => core.state !== 'stranded' && isServing(core.state)).length;
}

/** Whether a fault model can hang a replica: hang faults, or input flips that may turn a loop bound huge. */
function canHang(faults: FaultInjector): boolean {
  return faults.models.some((m) => m.model === 'hang' || m.target === 'input');
}

/**
 * A hang is only noticed at taskTimeout: 30 s would make a campaign crawl, so campaigns that can
 * hang a replica default to a bound derived from the golden run.
 */
function campaignTimeout(options: CampaignOptions, slowestMs: number | undefined): number | undefined {
  if (options.pool.taskTimeout !== undefined || !canHang(options.faults)) return undefined;
  return slowestMs === undefined ? 5_000 : Math.max(1_000, Math.ceil(slowestMs * 20));
}

/** A replica hung with no taskTimeout is never ended: such a campaign could never finish. */
function checkHangBound(options: CampaignOptions, taskTimeout: number): void {
  if (Number.isFinite(taskTimeout) || !canHang(options.faults)) return;
  throw invalidOption(
    'pool.taskTimeout',
    'a finite number of ms when a fault model can hang a replica (hang, or input flips): a hung replica is only ended at taskTimeout',
    taskTimeout,
    'range',
  );
}

export async function campaign(options: CampaignOptions): Promise<CampaignResult> {
  const plan = validateCampaign(options);
  const faults = options.faults;
  const resolved = resolveOptions({ ...options.pool, faults });
  faults.validateFor(resolved.cores);
  checkHangBound(options, resolved.taskTimeout);
  // Only the inputs the campaign will use (fewer tasks than inputs leaves some out).
  const used = plan.inputs.slice(0, Math.min(plan.inputs.length, plan.tasks));
  const golden =
    options.golden === undefined
      ? await computedAnswers(used, resolved, plan.name)
      : { answers: await suppliedAnswers(used, options.golden), slowestMs: undefined };
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

async function execute(
  pool: Triplex,
  options: CampaignOptions,
  plan: CampaignPlan,
  golden: GoldenAnswer[],
  slowestMs: number | undefined,
): Promise<CampaignResult> {
  const run = new CampaignRun(pool, options, plan, golden);
  await run.submitAll();
  if (run.fatal !== undefined) throw run.fatal;
  await awaitLateEvidence(pool, options.faults, run.observations, run.evidence, slowestMs);
  return run.result();
}

/**
 * One campaign's traffic on its pool: keeps `concurrency` tasks in flight until the plan is met,
 * the cores are exhausted for good, the signal aborts or a fatal error occurs; records what the
 * pool's events and answers show about each task.
 */
class CampaignRun {
  readonly observations: TaskObservation[] = [];
  readonly evidence = new Map<number, TaskEvidence>();
  fatal: Error | undefined;
  private readonly o: Triplex['resolvedOptions'];
  private readonly startedAt = new Date().toISOString();
  private readonly concurrency: number;
  private readonly timeline: TimelineRecorder;
  private readonly firstCharge = new Map<number, number>();
  private readonly disabled = new Map<number, { atMs: number; afterTasks: number }>();
  private readonly nondeterminism: CampaignResult['nondeterminism'] = [];
  /** Live tally for progress only; the final one is built after late replicas have answered. */
  private readonly live = new Tally([], 0);
  private readonly canRecover: boolean;
  private submitted = 0;
  private settled = 0;
  /** Sums over the answered runs of a stepped task (undefined for a plain one). */
  private stepped: SteppedSummary | undefined;
  private inFlight = 0;
  private injectedSettled = 0;
  private exhausted = false;
  /** Tasks refused with ERR_NOT_ENOUGH_CORES once nothing could bring a core back. */
  private refusedForCores = 0;
  private lastSettleMs = 0;
  private scheduled = false;
  private finished: () => void = () => {};

  constructor(
    private readonly pool: Triplex,
    private readonly options: CampaignOptions,
    private readonly plan: CampaignPlan,
    private readonly golden: GoldenAnswer[],
  ) {
    const o = pool.resolvedOptions;
    this.o = o;
    this.concurrency = plan.concurrency ?? o.cores * 2;
    this.timeline = new TimelineRecorder(o.cores, serving(pool));
    this.listen();
    this.canRecover = o.health.selfTest !== false || options.faults.models.some((m) => m.model === 'online');
  }

  /** Submits tasks until the campaign stops; resolves once none is in flight. */
  submitAll(): Promise<void> {
    return new Promise<void>((done) => {
      this.finished = done;
      this.options.signal?.addEventListener('abort', this.pump, { once: true });
      this.pump();
    });
  }

  result(): CampaignResult {
    const { pool, options, plan, golden, observations, evidence, timeline, firstCharge, disabled, nondeterminism, startedAt, concurrency } = this;
    const { submitted, settled } = this;
    const outOfCores = { refused: this.refusedForCores, unrun: this.unrunForCores() };
    const stepped = this.stepped === undefined ? undefined : perFault(this.stepped);
    return summarize({
      pool,
      options,
      plan,
      golden,
      observations,
      evidence,
      timeline,
      firstCharge,
      disabled,
      nondeterminism,
      startedAt,
      concurrency,
      elapsedMs: this.lastSettleMs,
      submitted,
      settled,
      outOfCores,
      stepped,
    });
  }

  private listen(): void {
    const { pool, timeline } = this;
    pool.on('fault', (event) => {
      this.evidenceOf(event.taskId).charges.set(event.core, { kind: event.kind, digest: event.digest });
      timeline.fault(event.core);
      if (!this.firstCharge.has(event.core)) this.firstCharge.set(event.core, timeline.now());
    });
    pool.on('disagreement', (event) => {
      this.evidenceOf(event.taskId).disagreed = true;
    });
    pool.on('nondeterminism-suspected', (event) => {
      if (event.ended !== true) this.nondeterminism.push({ taskName: event.taskName, cores: [...event.cores], atMs: Math.round(timeline.now()) });
    });
    pool.on('core-state', (event) => {
      timeline.capacity(serving(pool));
      if ((event.to === 'disabled' || event.to === 'retired') && !this.disabled.has(event.core))
        this.disabled.set(event.core, { atMs: timeline.now(), afterTasks: this.settled });
    });
  }

  private evidenceOf(taskId: number): TaskEvidence {
    let e = this.evidence.get(taskId);
    if (e === undefined) this.evidence.set(taskId, (e = { disagreed: false, charges: new Map() }));
    return e;
  }

  private stop(): boolean {
    const { plan } = this;
    const enough = this.submitted >= plan.tasks || (plan.required !== null && this.injectedSettled >= plan.required);
    return this.fatal !== undefined || this.exhausted || this.options.signal?.aborted === true || enough;
  }

  /** Planned tasks never submitted because the campaign stopped out of cores (not for an abort, or a margin met). */
  private unrunForCores(): number {
    const { plan } = this;
    const marginMet = plan.required !== null && this.injectedSettled >= plan.required;
    if (!this.exhausted || this.options.signal?.aborted === true || marginMet) return 0;
    return plan.tasks - this.submitted;
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    // Late replicas of the tasks in flight can still change core states (forgiven charges): look again once they are in.
    if (this.exhausted && this.inFlight === 0 && serving(this.pool) >= this.o.k) this.exhausted = false;
    while (!this.stop() && this.inFlight < this.concurrency) this.submit();
    if (this.inFlight === 0 && this.stop()) this.finished();
  };

  /**
   * Refusals settle at once: dispatching from their callbacks would chain microtasks forever and
   * starve timers and signals (Ctrl-C). One pump per turn of the event loop keeps them running.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.pump);
  }

  private submit(): void {
    const id = this.submitted++;
    const inputIndex = id % this.plan.inputs.length;
    this.inFlight++;
    void this.pool
      .runDetailed(this.plan.inputs[inputIndex], { name: this.plan.name })
      .then(
        (value) => this.observe(id, inputIndex, { status: 'fulfilled', value }),
        (reason: unknown) => this.observe(id, inputIndex, { status: 'rejected', reason }),
      )
      .then(() => this.settle(id));
  }

  /** A stepped run's report joins the campaign's sums (work lost per fault). */
  private noteStepped(r: DetailedResult): void {
    const s = (this.stepped ??= { tasks: 0, checkpoints: 0, migrations: 0, faults: 0, lostSteps: 0, lostMs: 0, lostStepsPerFault: null, lostMsPerFault: null });
    const report = r.stepped!;
    s.tasks++;
    s.checkpoints += report.checkpoints;
    s.migrations += report.migrations;
    s.faults += report.faults;
    s.lostSteps += report.lostSteps;
    s.lostMs += report.lostMs;
  }

  private settle(id: number): void {
    const { timeline, options, plan } = this;
    this.inFlight--;
    this.settled++;
    timeline.settled();
    this.lastSettleMs = timeline.now();
    const obs = this.observations[id]!;
    const records = options.faults.recordsOf(id).filter((r) => r.replica >= 0 && wasInjected(r));
    if (records.length > 0 && obs.kind !== 'skipped') this.injectedSettled++;
    this.live.add(id, obs, records, this.evidence.get(id) ?? { disagreed: false, charges: new Map() }, undefined);
    try {
      const progress = {
        done: this.settled,
        total: plan.tasks,
        submitted: this.submitted,
        injected: this.injectedSettled,
        required: plan.required,
        outcomes: { ...this.live.outcomes },
        elapsedMs: this.lastSettleMs,
      };
      options.onProgress?.(progress);
    } catch (error) {
      this.fatal ??= error as Error;
    }
    this.schedule();
  }

  private observe(id: number, inputIndex: number, outcome: PromiseSettledResult<DetailedResult>): void {
    const answer = this.golden[inputIndex]!;
    if (outcome.status === 'fulfilled') {
      const r = outcome.value;
      if (r.stepped !== undefined) this.noteStepped(r);
      this.observations[id] = {
        inputIndex,
        kind: 'value',
        matches: matchesValue(r.value, answer, this.o.equals),
        corrected: r.corrected,
        replicas: r.replicas,
      };
      return;
    }
    const error = outcome.reason as unknown;
    if (!isTriplexError(error) || error.code === 'ERR_NOT_CLONEABLE') {
      // The task's own error, agreed by a majority: right if the golden run threw it too.
      this.observations[id] = { inputIndex, kind: 'error', matches: matchesError(error, answer), corrected: false, replicas: undefined };
      return;
    }
    if (FATAL.has(error.code)) this.fatal ??= error;
    // Out of cores for good (nothing can bring one back): further tasks would only be refused at once.
    if (error.code === 'ERR_NOT_ENOUGH_CORES' && !this.canRecover) {
      this.exhausted = true;
      this.refusedForCores++;
    }
    const outcomes = error.data?.outcomes as ReplicaReport[] | undefined;
    this.observations[id] = {
      inputIndex,
      kind: SKIPPED.has(error.code) || FATAL.has(error.code) ? 'skipped' : 'detected',
      matches: false,
      corrected: false,
      replicas: outcomes,
    };
  }
}

function perFault(s: SteppedSummary): SteppedSummary {
  const round = (x: number): number => Math.round(x * 100) / 100;
  return {
    ...s,
    lostMs: round(s.lostMs),
    lostStepsPerFault: s.faults > 0 ? round(s.lostSteps / s.faults) : null,
    lostMsPerFault: s.faults > 0 ? round(s.lostMs / s.faults) : null,
  };
}
