/** Pure helpers that turn replica records into what callers see: reports, rebuilt errors, outcomes. */
import { textOf, TriplexError } from '../errors.js';
import { rebuildThrown, thrownRecord } from '../codec/error-codec.js';
import { NOT_STEPPED } from '../transport/protocol.js';
import { digestOf } from '../replication/byte-keys.js';
import type { TaskOutcome } from './events.js';
import type { ReplicaReport, TaskRun } from './task.js';

/** Every replica of a task as runDetailed and ERR_NO_MAJORITY report it. */
export function reportReplicas(task: TaskRun): ReplicaReport[] {
  const winner = task.winner;
  return task.replicas.map((replica) => {
    const finishedAt = task.finished.indexOf(replica);
    const reply = replica.reply;
    const entry: ReplicaReport = {
      core: replica.core.id,
      cpu: reply?.cpu ?? -1,
      digest: reply === undefined ? undefined : digestOf(reply),
      ms: reply?.ms ?? (replica.endedAt ?? performance.now()) - replica.startedAt,
      ok: replica.status === 'running' ? null : winner !== undefined && finishedAt >= 0 && winner.members.includes(finishedAt),
      status: replica.status,
    };
    if (reply !== undefined && !reply.ok) entry.error = thrownMessage(reply.payload);
    else if (replica.failure !== undefined) entry.error = replica.failure;
    return entry;
  });
}

export function outcomeOf(error: Error): TaskOutcome {
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_ABORTED') return 'aborted';
  if (code === 'ERR_DESTROYED') return 'destroyed';
  if (code === 'ERR_QUEUE_FULL') return 'queue-full';
  if (code === 'ERR_NOT_ENOUGH_CORES') return 'not-enough-cores';
  if (code === 'ERR_NO_MAJORITY') return 'no-majority';
  return 'failed';
}

function thrownMessage(payload: Uint8Array): string {
  const record = thrownRecord(payload);
  return record.kind === 'value' ? textOf(record.value) : record.message;
}

const OWN_CODES = new Set(['ERR_TASK_NOT_FOUND', 'ERR_NOT_CLONEABLE']);

/**
 * Rebuilds a task's thrown error on the main thread: the same built-in class, name, message,
 * cause, own properties and stack (codec/error-codec.ts). Errors triplex raised inside the
 * worker on the task's behalf come back as TriplexErrors.
 */
export function rebuildError(payload: Uint8Array): unknown {
  const thrown = rebuildThrown(payload);
  const code = (thrown as { code?: unknown } | null)?.code;
  if (thrown instanceof Error && typeof code === 'string' && OWN_CODES.has(code)) {
    return new TriplexError(code as 'ERR_TASK_NOT_FOUND', thrown.message);
  }
  // Stepped runs turn it into the option error admission gives once the exports are known (stepped-runs.ts).
  if (thrown instanceof Error && code === NOT_STEPPED) return new TriplexError('ERR_TASK_NOT_FOUND', thrown.message, { notStepped: true });
  return thrown;
}

/** ERR_ABORTED for a task: an AbortError by name, carrying the signal's reason as its cause (Node's convention). */
export function abortError(task: { id: number; name: string }, reason: unknown, when = 'was aborted'): TriplexError {
  const error = new TriplexError('ERR_ABORTED', `Task "${task.name}" (#${task.id}) ${when}`, { taskId: task.id, reason: textOf(reason) }, { cause: reason });
  error.name = 'AbortError';
  return error;
}
