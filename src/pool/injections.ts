/**
 * The fault injector's side of dispatching a replica: which replicas get an injected fault, and
 * what a replica's answer says about the injection (applied, and where bits were flipped).
 */
import type { FaultInjector, InjectionRecord } from '../inject/injector.js';
import type { RunReply, RunRequest } from '../transport/protocol.js';
import type { Stats } from './stats.js';
import type { ReplicaRecord, TaskRun } from './task.js';

/** The replica's request with the injector's order, if it decides one (a copy: the task's request is shared). */
export function withInjection(faults: FaultInjector, request: RunRequest, task: TaskRun, replica: ReplicaRecord, stats: Stats): RunRequest {
  const decision = faults.decide({ taskId: task.id, taskName: task.name, replica: task.replicaBase + replica.index, core: replica.core.id });
  if (decision === undefined) return request;
  replica.injections = decision.records;
  stats.injected += decision.records.length;
  return { ...request, inject: decision.order };
}

/** Where bits were flipped; a fault on a CPU the replica did not run on was not injected. */
export function noteInjections(records: InjectionRecord[], reply: RunReply, stats: Stats): void {
  for (const record of records) {
    record.answered = true;
    if (record.cpu !== undefined && record.cpu !== reply.cpu) {
      record.applied = false;
      stats.injected--;
    } else if (reply.flips !== undefined) {
      record.flips = reply.flips;
    }
  }
}

/** A replica that never ran (queued behind a crash, hang or abort that killed its batch): its injected faults never happened. */
export function notInjected(records: InjectionRecord[], stats: Stats): void {
  for (const record of records) {
    if (record.applied === false) continue;
    record.applied = false;
    stats.injected--;
  }
}
