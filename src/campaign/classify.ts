/**
 * Outcome classification, a pure function of what one task showed: its voted answer against
 * the golden one, its replicas, the injections into it and the pool's late evidence (charges
 * and disagreements from replicas that answered after the vote).
 */
import type { FaultKind, InjectionRecord, ReplicaReport } from '../api/index.js';
import { OUTCOMES, type ModelSummary, type Outcome, type OutcomeCounts, type SdcExample } from './types.js';

export interface TaskObservation {
  inputIndex: number;
  /** value: resolved; error: rejected with the task's own error; detected: a typed pool rejection; skipped: aborted or destroyed (not counted). */
  kind: 'value' | 'error' | 'detected' | 'skipped';
  /** The answer (value or own error) is the golden one. */
  matches: boolean;
  /** The pool reported that it out-voted a replica. */
  corrected: boolean;
  /** Replicas as reported when the task settled (runDetailed, or ERR_NO_MAJORITY's outcomes). */
  replicas: ReplicaReport[] | undefined;
}

/** What the pool's events said about a task, up to the end of the campaign. */
export interface TaskEvidence {
  disagreed: boolean;
  /** Charges against cores for this task: kind and the digest the core produced. */
  charges: Map<number, { kind: FaultKind; digest: string | undefined }>;
}

export const NO_EVIDENCE: TaskEvidence = Object.freeze({ disagreed: false, charges: new Map() }) as TaskEvidence;

export function emptyCounts(): OutcomeCounts {
  return { correct: 0, masked: 0, corrected: 0, detected: 0, sdc: 0 };
}

export function outcomeOf(obs: TaskObservation, injected: boolean, evidence: TaskEvidence): Outcome | undefined {
  if (obs.kind === 'skipped') return undefined;
  if (obs.kind === 'detected') return 'detected';
  if (!obs.matches) return 'sdc';
  if (obs.corrected || evidence.disagreed) return 'corrected';
  return injected ? 'masked' : 'correct';
}

/**
 * Whether an injection changed what its replica produced. `reference` is the digest of the
 * right answer (undefined under inexact voting, where digests do not decide equality).
 */
export function isActivated(record: InjectionRecord, obs: TaskObservation, outcome: Outcome, evidence: TaskEvidence, reference: string | undefined): boolean {
  const sdc = outcome === 'sdc';
  const replica = obs.replicas?.[record.replica];
  // A slow, crashing or hanging replica is judged by what it did, not by a value another model on it may have flipped.
  if (record.target === 'timing' || record.target === 'worker') {
    const kinds = record.target === 'timing' ? ['timeout'] : ['crash', 'timeout'];
    if (replica !== undefined && replica.status !== 'running') return kinds.includes(replica.status);
    const charge = evidence.charges.get(record.core);
    return charge !== undefined && kinds.includes(charge.kind);
  }
  if (replica !== undefined && replica.status !== 'running') {
    if (replica.status === 'crash' || replica.status === 'timeout') return true;
    // Aborted (or killed with another replica's batch): it produced nothing of its own.
    if (replica.status !== 'value' && replica.status !== 'error') return false;
    if (reference !== undefined && replica.digest !== undefined) return replica.digest !== reference;
    if (outcome === 'detected') return true;
    // Inexact voting: a replica in the winning group is right unless the winner is wrong.
    return replica.ok === sdc;
  }
  // Answered after the vote (or not reported): a charge means it disagreed with the winner.
  const charge = evidence.charges.get(record.core);
  if (charge !== undefined) {
    if (charge.kind !== 'wrong-result') return true;
    if (reference !== undefined && charge.digest !== undefined) return charge.digest !== reference;
    return !sdc;
  }
  return sdc;
}

/** Running totals over classified tasks. */
export class Tally {
  readonly outcomes = emptyCounts();
  injectedTasks = 0;
  activatedTasks = 0;
  /** SDC tasks where no injection was seen to act: a non-deterministic task or a wrong golden answer. */
  unexplainedSdc = 0;
  sdcActivated = 0;
  /** Disagreements in tasks with no injection: a non-deterministic task, or digests that differ for equal values. */
  unexplainedCorrected = 0;
  readonly models: ModelSummary[];
  readonly coreInjections: number[];
  readonly sdcExamples: SdcExample[] = [];
  readonly sdcCauses: Record<SdcExample['cause'], number> = { 'common-mode': 0, 'identical flips': 0, other: 0, 'no fault injected': 0 };
  /** Outcomes of the tasks with no injection (correct, or e.g. refusals counted as detected). */
  readonly uninjected = emptyCounts();

  constructor(models: { model: ModelSummary['model']; description: string }[], cores: number) {
    this.models = models.map((m, index) => ({ index, model: m.model, description: m.description, injected: 0, activated: 0, outcomes: emptyCounts() }));
    this.coreInjections = new Array<number>(cores).fill(0);
  }

  add(taskId: number, obs: TaskObservation, records: InjectionRecord[], evidence: TaskEvidence, reference: string | undefined): Outcome | undefined {
    const replicaRecords = records.filter((r) => r.replica >= 0);
    const outcome = outcomeOf(obs, replicaRecords.length > 0, evidence);
    if (outcome === undefined) return undefined;
    this.outcomes[outcome]++;
    if (replicaRecords.length === 0) {
      this.uninjected[outcome]++;
      if (outcome === 'sdc') {
        this.unexplainedSdc++;
        this.noteSdc(taskId, obs, replicaRecords, 'no fault injected');
      }
      if (outcome === 'corrected') this.unexplainedCorrected++;
      return outcome;
    }
    this.injectedTasks++;
    let activated = false;
    const touched = new Set<number>();
    for (const record of replicaRecords) {
      const model = this.models[record.modelIndex];
      const acted = isActivated(record, obs, outcome, evidence, reference);
      activated ||= acted;
      if (record.core < this.coreInjections.length) this.coreInjections[record.core]!++;
      if (model === undefined) continue;
      model.injected++;
      if (acted) model.activated++;
      if (!touched.has(record.modelIndex)) {
        touched.add(record.modelIndex);
        model.outcomes[outcome]++;
      }
    }
    if (activated) this.activatedTasks++;
    if (outcome === 'sdc') {
      if (activated) this.sdcActivated++;
      else this.unexplainedSdc++;
      this.noteSdc(taskId, obs, replicaRecords, sdcCause(replicaRecords));
    }
    return outcome;
  }

  private noteSdc(taskId: number, obs: TaskObservation, records: InjectionRecord[], cause: SdcExample['cause']): void {
    this.sdcCauses[cause]++;
    if (this.sdcExamples.length >= 20) return;
    this.sdcExamples.push({
      taskId,
      inputIndex: obs.inputIndex,
      models: [...new Set(records.map((r) => r.model))],
      cores: [...new Set(records.map((r) => r.core))],
      cause,
    });
  }

  /** Maintenance events count as injected, and as activated when the pool applied them. */
  addMaintenance(record: InjectionRecord): void {
    const model = this.models[record.modelIndex];
    if (model === undefined) return;
    model.injected++;
    if (record.applied !== false) model.activated++;
  }
}

/**
 * Why a wrong value could win a vote: a common-mode fault, or independent faults that flipped the
 * same bits of the same field on two replicas (identical wrong values out-vote the right one).
 */
export function sdcCause(records: InjectionRecord[]): Exclude<SdcExample['cause'], 'no fault injected'> {
  if (records.some((r) => r.model === 'common-mode')) return 'common-mode';
  const seen = new Map<string, number>();
  for (const r of records) {
    if (r.flips === undefined || r.flips.length === 0) continue;
    const key = JSON.stringify([...r.flips].sort((a, b) => a.path.localeCompare(b.path) || a.bit - b.bit));
    const other = seen.get(key);
    if (other !== undefined && other !== r.replica) return 'identical flips';
    seen.set(key, r.replica);
  }
  return 'other';
}

export { OUTCOMES };
