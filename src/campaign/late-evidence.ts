/**
 * The end of a campaign: injected replicas that answer after their task's vote still carry the
 * evidence that classifies the task (a flip, a crash, a hang), so the campaign waits for them,
 * within bounds, before it tallies.
 */
import { wasInjected, type FaultInjector, type InjectionRecord, type Triplex } from '../api/index.js';
import type { TaskEvidence, TaskObservation } from './classify.js';

/**
 * Waits for injected replicas that answer after their task's vote (TMR's third), so that their
 * evidence is counted: a flipped replica is in when its flips are logged, a crash or hang when
 * the pool charged it, a slow one when it answered or was charged for outlasting taskTimeout
 * (however close to the end of the campaign it ran). Other late replicas cannot change a
 * classification, so they are not awaited.
 */
export async function awaitLateEvidence(
  pool: Triplex,
  faults: FaultInjector,
  observations: TaskObservation[],
  evidence: Map<number, TaskEvidence>,
  slowestMs: number | undefined,
): Promise<void> {
  const specs = faults.models;
  const pending: { taskId: number; replica: number; modelIndex: number; core: number; byFlips: boolean; slow: boolean }[] = [];
  observations.forEach((obs, taskId) => {
    if (obs.kind !== 'value' || obs.replicas === undefined) return;
    for (const record of faults.recordsOf(taskId)) {
      if (record.replica < 0 || !wasInjected(record) || obs.replicas[record.replica]?.status !== 'running') continue;
      const spec = specs[record.modelIndex];
      if (spec === undefined || 'value' in spec) continue;
      const slow = spec.model === 'slow';
      const byFlips = !slow && spec.model !== 'crash' && spec.model !== 'hang';
      pending.push({ taskId, replica: record.replica, modelIndex: record.modelIndex, core: record.core, byFlips, slow });
    }
  });
  // A hang, or a slow replica too slow, shows at taskTimeout; a flipped replica answers within a task's time, unless the pool
  // dropped it (a replica it no longer needed): bound that wait by the golden run's time.
  const timeout = pool.resolvedOptions.taskTimeout;
  const start = performance.now();
  const hangDeadline = start + Math.min(Number.isFinite(timeout) ? timeout : 60_000, 60_000) + 1_000;
  const flipDeadline = Math.min(hangDeadline, start + Math.max(1_000, (slowestMs ?? 250) * 20));
  // The log hands out copies: read the record again to see what the pool learnt since.
  const recordOf = (p: (typeof pending)[number]): InjectionRecord | undefined =>
    faults.recordsOf(p.taskId).find((r) => r.replica === p.replica && r.modelIndex === p.modelIndex);
  const done = (p: (typeof pending)[number], now: number): boolean => {
    if (evidence.get(p.taskId)?.charges.has(p.core) === true || now > (p.byFlips ? flipDeadline : hangDeadline)) return true;
    const record = recordOf(p);
    // A replica that never ran (queued behind a crash, hang or abort that killed its batch) has nothing to tell.
    return record === undefined || !wasInjected(record) || (p.byFlips ? record.flips !== undefined : p.slow && record.answered === true);
  };
  let left = pending;
  while ((left = left.filter((p) => !done(p, performance.now()))).length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
}
