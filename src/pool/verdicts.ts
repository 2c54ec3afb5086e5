/**
 * Verdicts: what the scheduler does with each finished replica — vote, answer the caller as
 * soon as a majority agrees, ask for a tie-break or re-execution when it is short, charge only
 * the replicas a majority out-voted (late ones too), or give up with ERR_NO_MAJORITY.
 */
import { deserialize } from 'node:v8';
import { TriplexError } from '../errors.js';
import type { FaultEvidence } from '../health/types.js';
import { afterShortVote, agreesWith, decide, majorityOf, type Ballot, type VoteGroup } from '../vote/voter.js';
import { handOut, voteKeyOf } from '../vote/byte-keys.js';
import { decodePayload } from '../worker/payload.js';
import type { ErrorPayload, RunReply } from '../worker/protocol.js';
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
}

export class Verdicts {
  private readonly needed: number;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly stats: Stats,
    private readonly events: TypedEmitter,
    private readonly healthBridge: HealthBridge,
    private readonly host: VerdictHost,
  ) {
    this.needed = majorityOf(options.k);
  }

  ballotOf(replica: ReplicaRecord): Ballot {
    const reply = replica.reply;
    if (reply === undefined) return { key: undefined };
    const key = voteKeyOf(reply);
    if (!reply.ok) return { key, isError: true };
    return this.options.equals === undefined ? { key } : { key, value: decodePayload(reply.payload, reply.raw) };
  }

  evaluate(task: TaskRun): void {
    const verdict = decide(task.ballots, task.inFlight, this.needed, this.options.equals);
    if (verdict.kind === 'agreed') {
      this.agreed(task, verdict.group, verdict.groups.length > 1);
      return;
    }
    if (verdict.groups.length > 1) this.markDisagreement(task);
    if (verdict.kind === 'waiting') return;
    const beyond = task.replicas.length - task.lost + task.wanted - task.k;
    const next = afterShortVote(verdict.missing, task.wanted, beyond, this.options.maxAttempts);
    if (next.kind === 'wait') return;
    if (next.kind === 'give-up') {
      this.noMajority(task, `no majority after ${Math.max(0, beyond)} extra replica(s) (maxAttempts = ${this.options.maxAttempts})`);
      return;
    }
    task.extra += next.more;
    task.wanted += next.more;
    this.stats.retries += next.more;
    task.retryReason = task.finished.every((r) => r.status === 'value' || r.status === 'error') ? 'tie-break' : 're-execution';
    this.host.requestMore(task);
  }

  markDisagreement(task: TaskRun): void {
    if (task.disagreed) return;
    task.disagreed = true;
    this.stats.disagreements++;
    if (this.events.has('disagreement')) {
      this.events.emit('disagreement', {
        taskId: task.id,
        taskName: task.name,
        replicas: task.finished.map((r) => ({ core: r.core.id, cpu: r.reply?.cpu ?? -1, digest: r.reply?.digest, status: r.status })),
      });
    }
  }

  private agreed(task: TaskRun, winner: VoteGroup, split: boolean): void {
    task.winner = winner;
    if (split) this.markDisagreement(task);
    const minority = task.finished.filter((_, i) => !winner.members.includes(i));
    const corrected = minority.length > 0;
    for (const [i, replica] of task.finished.entries()) {
      if (winner.members.includes(i)) this.healthBridge.success(replica.core, task.kind);
      else this.chargeReplica(task, replica, winner);
    }
    const first = task.finished[winner.members[0]!]!.reply!;
    if (winner.isError) {
      const error = rebuildError(deserialize(first.payload) as ErrorPayload);
      this.host.settle(task, 'error', corrected);
      this.stats.failed++;
      this.host.emitFailed(task, error);
      task.reject(error);
      return;
    }
    const value = this.valueFor(task, winner, first);
    this.host.settle(task, 'value', corrected);
    this.stats.completed++;
    if (corrected) this.stats.corrected++;
    if (task.detailed) {
      const result: DetailedResult = { value, replicas: reportReplicas(task), attempts: Math.max(0, task.replicas.length - task.lost - task.k), corrected };
      task.resolve(result);
    } else {
      task.resolve(value);
    }
  }

  /**
   * The winner's value for the caller, sharing memory with its payload. A payload voted on its
   * bytes may still be compared with a late replica, so a group-mate stands in for it from now on;
   * with a custom `equals` the members may differ, and the caller gets a copy instead.
   */
  private valueFor(task: TaskRun, winner: VoteGroup, first: RunReply): unknown {
    if (first.voteKey === undefined) return decodePayload(first.payload, first.raw);
    const mate = task.finished[winner.members[1]!]?.reply;
    if (this.options.equals !== undefined || mate === undefined) return decodePayload(first.payload, first.raw, true);
    handOut(first, mate);
    return decodePayload(first.payload, first.raw);
  }

  /** A replica that answered after the verdict: charge it if it disagrees (TMR's third replica). */
  judgeLate(task: TaskRun, replica: ReplicaRecord, ballot: Ballot): void {
    const winner = task.winner;
    if (winner === undefined) return; // the task failed without a majority: nobody can be blamed
    const winners = task.finished.filter((_, i) => winner.members.includes(i));
    if (agreesWith(task.ballots, winner, ballot, this.options.equals)) {
      winner.members.push(task.finished.length - 1);
      this.healthBridge.success(replica.core, task.kind);
      return;
    }
    if (!task.disagreed) this.markDisagreement(task);
    if (winners.length > 0) this.chargeReplica(task, replica, winner);
  }

  private chargeReplica(task: TaskRun, replica: ReplicaRecord, winner: VoteGroup): void {
    const kind = replica.status === 'crash' ? 'crash' : replica.status === 'timeout' ? 'timeout' : 'wrong-result';
    // The group's key may be a byte-vote token (vote/byte-keys.ts): evidence carries the digest.
    const majorityDigest = task.finished[winner.members[0]!]?.reply?.digest ?? winner.key;
    const evidence: FaultEvidence = { kind, taskName: task.name, taskKind: task.kind, taskId: task.id, majorityDigest };
    if (replica.reply !== undefined) evidence.digest = replica.reply.digest;
    this.stats.faults++;
    this.healthBridge.charge(replica.core, evidence);
  }

  noMajority(task: TaskRun, why: string): void {
    if (task.settled) return;
    this.markDisagreement(task);
    const replicas = reportReplicas(task);
    this.stats.failed++;
    this.stats.noMajority++;
    const error = new TriplexError('ERR_NO_MAJORITY', `Task "${task.name}" (#${task.id}): ${why}; outcomes: ${replicas.map((r) => `core ${r.core} ${r.status}${r.digest ? ` ${r.digest.slice(0, 8)}` : ''}`).join(', ')}`, {
      taskId: task.id,
      taskName: task.name,
      outcomes: replicas,
    });
    this.host.settle(task, 'no-majority');
    this.host.emitFailed(task, error);
    task.reject(error);
  }
}
