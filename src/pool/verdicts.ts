/**
 * Verdicts: what the scheduler does with each finished replica — vote, answer the caller as
 * soon as a majority agrees, ask for a tie-break or re-execution when it is short, charge only
 * the replicas a majority out-voted (late ones too), or give up with ERR_NO_MAJORITY.
 */
import { asError, messageOf, TriplexError } from '../errors.js';
import type { FaultEvidence } from '../health/types.js';
import { majorityOf, type Equals, type VoteGroup } from '../replication/voter.js';
import { castBallot, noteDisagreement, type Step, type VoteRules } from '../replication/step.js';
import { digestOf, handOut, isUndecodable, voteKeyOf } from '../replication/byte-keys.js';
import { decodePayload } from '../codec/payload.js';
import type { RunReply } from '../transport/protocol.js';
import { isSlabView, ownCopy } from '../util/slab.js';
import type { TaskOutcome, TypedEmitter } from './events.js';
import type { HealthBridge } from './health-bridge.js';
import type { ResolvedOptions } from './options.js';
import { rebuildError, reportReplicas } from './outcomes.js';
import type { Stats } from './stats.js';
import type { DetailedResult, ReplicaRecord, TaskRun } from './task.js';

export interface VerdictHost {
  /** The task wants `task.wanted` more replicas placed. */
  requestMore(task: TaskRun): void;
  settle(task: TaskRun, outcome: TaskOutcome, corrected?: boolean): void;
  emitFailed(task: TaskRun, error: Error): void;
  /** Rejects a task with a typed error (no core is charged). */
  fail(task: TaskRun, error: Error): void;
  /** Reports an error that no task can carry any more (e.g. `equals` threw on a late replica). */
  report(error: Error): void;
}

/** A ballot value that could not be decoded: equal only by its bytes' key, never by `equals`. */
const UNDECODABLE = Symbol('undecodable');

/** What the user's `equals` threw (or a non-boolean it returned), carried out of the voter. */
class EqualsFailure extends Error {
  constructor(readonly thrown: unknown) {
    super('equals failed');
  }
}

export class Verdicts {
  /** The user's `equals`, guarded: untrusted code may throw or return anything but a boolean. */
  private readonly equals: Equals | undefined;
  private readonly rules: VoteRules;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly stats: Stats,
    private readonly events: TypedEmitter,
    private readonly healthBridge: HealthBridge,
    private readonly host: VerdictHost,
  ) {
    const user = options.equals;
    this.equals = user === undefined ? undefined : (a, b) => guardedEquals(user, a, b);
    this.rules = { needed: majorityOf(options.k), maxAttempts: options.maxAttempts, equals: this.equals };
  }

  /** Makes a finished replica its own ballot: its vote key, whether it threw, and its value when voting with `equals`. */
  markBallot(replica: ReplicaRecord): void {
    const reply = replica.reply;
    if (reply === undefined) return; // crashed or hung: no key, in no group
    replica.key = voteKeyOf(reply);
    replica.isError = !reply.ok;
    if (!reply.ok || this.equals === undefined) return;
    // A copy: `equals` is user code and must not be able to change the bytes the caller will get.
    try {
      replica.value = decodePayload(reply.payload, reply.raw, true);
    } catch {
      replica.value = UNDECODABLE;
    }
  }

  /**
   * A finished replica (marked: markBallot) joins its task's ballots, which are its finished
   * replicas (the replication step); its action is carried out here.
   */
  cast(task: TaskRun, replica: ReplicaRecord): void {
    const settled = task.settled;
    const step = this.step(task, replica);
    // `equals` is user code: it may have settled the task meanwhile (destroy(), close({ force })).
    if (task.settled && !settled) return;
    this.execute(task, step);
  }

  /** Runs the step; a failing user `equals` fails the task (or, once it was answered, is reported). */
  private step(task: TaskRun, replica: ReplicaRecord): Step | undefined {
    try {
      return castBallot(task, replica, this.rules);
    } catch (error) {
      if (!(error instanceof EqualsFailure)) throw error;
      // After the answer nobody is charged on a comparison that could not be made.
      if (task.settled) this.host.report(equalsError(task, error.thrown));
      else this.host.fail(task, equalsError(task, error.thrown));
      return undefined;
    }
  }

  private execute(task: TaskRun, step: Step | undefined): void {
    if (step === undefined) return;
    if (step.disagreed) this.emitDisagreement(task);
    switch (step.kind) {
      case 'answer':
        this.agreed(task, step.winner, step.corrected);
        return;
      case 'ask':
        task.retryReason = step.reason;
        this.host.requestMore(task);
        return;
      case 'give-up':
        this.noMajority(task, `no majority after ${step.beyond} extra replica(s) (maxAttempts = ${this.options.maxAttempts})`);
        return;
      case 'late':
        this.judgeLate(task, task.finished[step.index]!, step.agrees);
        return;
      case 'wait':
      case 'ignore':
        return;
    }
  }

  private emitDisagreement(task: TaskRun): void {
    this.stats.disagreements++;
    if (this.events.has('disagreement')) {
      this.events.emit('disagreement', {
        taskId: task.id,
        taskName: task.name,
        taskKind: task.kind,
        replicas: task.finished.map((r) => ({
          core: r.core.id,
          cpu: r.reply?.cpu ?? -1,
          digest: r.reply === undefined ? undefined : digestOf(r.reply),
          status: r.status,
        })),
      });
    }
  }

  /**
   * A majority agreed: judge every finished replica, then answer the caller. Events are held
   * until the task is settled (TypedEmitter.hold), so they still follow the answer; placing no
   * more replicas first keeps a capacity change caused by a charge from touching this task.
   */
  private agreed(task: TaskRun, winner: VoteGroup, corrected: boolean): void {
    for (let i = 0; i < task.finished.length; i++) {
      const replica = task.finished[i]!;
      if (winner.members.includes(i)) this.healthBridge.success(replica, task.kind);
      else this.chargeReplica(task, replica, winner);
    }
    const first = task.finished[winner.members[0]!]!.reply!;
    if (winner.isError) this.answerError(task, first, corrected);
    else this.answerValue(task, winner, first, corrected);
  }

  private answerError(task: TaskRun, first: RunReply, corrected: boolean): void {
    const thrown = rebuildError(ownCopy(first.payload)); // own bytes: values inside may view them
    this.host.settle(task, 'error', corrected);
    this.stats.failed++;
    this.host.emitFailed(task, asError(thrown));
    task.reject(thrown as Error);
  }

  private answerValue(task: TaskRun, winner: VoteGroup, first: RunReply, corrected: boolean): void {
    let value: unknown;
    try {
      value = this.valueFor(task, winner, first);
    } catch (error) {
      // Agreed bytes the main thread cannot decode (e.g. nested deeper than its stack allows).
      const message = `Task "${task.name}" (#${task.id}) returned a value the main thread cannot decode: ${messageOf(error)}`;
      this.host.fail(task, new TriplexError('ERR_NOT_CLONEABLE', message, { taskId: task.id, taskName: task.name }, { cause: error }));
      return;
    }
    this.host.settle(task, 'value', corrected);
    this.stats.completed++;
    if (task.detailed) {
      const result: DetailedResult = { value, replicas: reportReplicas(task), attempts: Math.max(0, task.replicas.length - task.lost - task.k), corrected };
      task.resolve(result);
    } else {
      task.resolve(value);
    }
  }

  /**
   * The winner's value for the caller. A large payload's memory goes to the caller without a copy;
   * as it may still be compared with a late replica, a group-mate stands in for it from now on.
   * With a custom `equals` (the members may differ) or a small payload, the caller gets a copy.
   */
  private valueFor(task: TaskRun, winner: VoteGroup, first: RunReply): unknown {
    const mate = task.finished[winner.members[1]!]?.reply;
    // A small payload views a shared slab (util/slab.ts): the caller gets a copy of its bytes.
    if (this.equals !== undefined || mate === undefined || isSlabView(first.payload)) return decodePayload(first.payload, first.raw, true);
    const value = decodePayload(first.payload, first.raw);
    handOut(first, mate);
    return value;
  }

  /** A replica that answered after the verdict (TMR's third): credited, or charged when it disagrees. */
  private judgeLate(task: TaskRun, replica: ReplicaRecord, agrees: boolean): void {
    if (agrees) this.healthBridge.success(replica, task.kind);
    else {
      this.chargeReplica(task, replica, task.winner!);
      task.segment?.lateFault(replica);
    }
  }

  private chargeReplica(task: TaskRun, replica: ReplicaRecord, winner: VoteGroup): void {
    const kind = replica.status === 'crash' ? 'crash' : replica.status === 'timeout' ? 'timeout' : 'wrong-result';
    // The group's key may be a byte-vote token (replication/byte-keys.ts): evidence carries the digest.
    const majorityReply = task.finished[winner.members[0]!]?.reply;
    const majorityDigest = majorityReply === undefined ? winner.key : digestOf(majorityReply);
    const evidence: FaultEvidence = { kind, taskName: task.name, taskKind: task.kind, taskId: task.id, majorityDigest };
    if (replica.reply !== undefined) evidence.digest = digestOf(replica.reply);
    if (replica.failure !== undefined) evidence.detail = replica.failure;
    // Values the main thread cannot decode are compared by their bytes only: different bytes there
    // (an error value's stack, say) are no evidence that one of them is wrong.
    if (kind === 'wrong-result' && (isUndecodable(evidence.digest) || isUndecodable(majorityDigest))) return;
    this.stats.faults++;
    this.healthBridge.charge(replica, evidence);
  }

  noMajority(task: TaskRun, why: string): void {
    if (task.settled) return;
    if (noteDisagreement(task)) this.emitDisagreement(task);
    const replicas = reportReplicas(task);
    this.stats.failed++;
    this.stats.noMajority++;
    const error = new TriplexError(
      'ERR_NO_MAJORITY',
      `Task "${task.name}" (#${task.id}): ${why}; outcomes: ${replicas.map((r) => `core ${r.core} ${r.status}${r.digest ? ` ${isUndecodable(r.digest) ? 'undecodable' : r.digest.slice(0, 8)}` : ''}`).join(', ')}`,
      {
        taskId: task.id,
        taskName: task.name,
        outcomes: replicas,
      },
    );
    this.host.settle(task, 'no-majority');
    this.host.emitFailed(task, error);
    task.reject(error);
  }
}

/** Calls the user's `equals`; anything but a boolean result is a failure of the comparison. */
function guardedEquals(equals: Equals, a: unknown, b: unknown): boolean {
  if (a === UNDECODABLE || b === UNDECODABLE) return false;
  let result: unknown;
  try {
    result = equals(a, b);
  } catch (error) {
    throw new EqualsFailure(error);
  }
  if (typeof result !== 'boolean')
    throw new EqualsFailure(
      new TypeError(`equals must return a boolean; it returned ${typeof result === 'object' ? Object.prototype.toString.call(result) : typeof result}`),
    );
  return result;
}

function equalsError(task: TaskRun, thrown: unknown): TriplexError {
  const why = messageOf(thrown);
  return new TriplexError(
    'ERR_EQUALS',
    `The "equals" option failed while comparing replicas of task "${task.name}" (#${task.id}): ${why}`,
    { taskId: task.id, taskName: task.name },
    { cause: thrown },
  );
}
