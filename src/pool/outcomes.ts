/** Pure helpers that turn replica records into what callers see: reports, rebuilt errors, outcomes. */
import { deserialize } from 'node:v8';
import { TriplexError } from '../errors.js';
import type { ErrorPayload } from '../worker/protocol.js';
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
      digest: reply?.digest,
      ms: reply?.ms ?? performance.now() - replica.startedAt,
      ok: replica.status === 'running' ? null : winner !== undefined && finishedAt >= 0 && winner.members.includes(finishedAt),
      status: replica.status,
    };
    if (reply !== undefined && !reply.ok) entry.error = (deserialize(reply.payload) as ErrorPayload).message;
    return entry;
  });
}

export function outcomeOf(error: Error): TaskOutcome {
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_ABORTED') return 'aborted';
  if (code === 'ERR_DESTROYED') return 'destroyed';
  if (code === 'ERR_QUEUE_FULL') return 'queue-full';
  if (code === 'ERR_NOT_ENOUGH_CORES') return 'not-enough-cores';
  return 'no-majority';
}

const OWN_CODES = new Set(['ERR_TASK_NOT_FOUND', 'ERR_NOT_CLONEABLE']);

/** Rebuilds a task's thrown error on the main thread: same name, message and code. */
export function rebuildError(payload: ErrorPayload): Error {
  if (typeof payload.code === 'string' && OWN_CODES.has(payload.code)) {
    return new TriplexError(payload.code as 'ERR_TASK_NOT_FOUND', payload.message);
  }
  const error = new Error(payload.message);
  error.name = payload.name;
  if (payload.code !== undefined) (error as Error & { code?: unknown }).code = payload.code;
  if (payload.stack !== undefined) error.stack = payload.stack;
  return error;
}
