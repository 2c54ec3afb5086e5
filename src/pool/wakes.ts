/**
 * Whose answers wake the main thread. With DMR both cores answer the same tasks, and the one that
 * was ahead woke the main thread for nothing about every other time: none of its tasks could settle
 * before the other core answered. A core whose oldest batch can settle no task rests (its replies
 * wait in the ring, without a wake) when none of those tasks could reach a majority without an
 * answer from a core that wakes the main thread; that answer then makes the resting replies count,
 * and the next choice wakes for them at once. A core whose oldest batch could settle a task (or
 * holds late replicas to judge) always wakes it, as does one whose wake is already armed. While no
 * other core wakes it, the core least far into its oldest batch (it will answer last) does.
 */
import type { ExecutingCore as Core } from '../cores/types.js';
import type { ReplicaRecord } from './task.js';
import { majorityOf } from '../replication/voter.js';

interface InflightBatch {
  readonly replicas: readonly ReplicaRecord[];
  readonly done: number;
}

/** What the choice reads and writes of a core's lane. */
export interface WakeLane {
  readonly core: Core;
  /** Batches in flight, oldest first; the first `done` replicas of a batch were answered already. */
  readonly inflight: readonly InflightBatch[];
  /** Replicas accounted for on the main thread: the worker's started count beyond it is its progress. */
  readonly accounted: number;
  /** Its answers should wake the main thread: its oldest batch can settle a task, or it answers last. */
  wakes: boolean;
  /** A wake of the main thread is armed for its answers. */
  armed: boolean;
  /** The watchdog found its latest replica past taskTimeout: it wakes the main thread until its next answer. */
  readonly wakeOwed: boolean;
}

/** Sets each lane's `wakes` and `armed`, and tells each core whether the main thread wants its replies. */
export function chooseWakes(lanes: ReadonlyMap<Core, WakeLane>): void {
  if (lanes.size < 2) return;
  let waking = false;
  let laggard: WakeLane | undefined;
  for (const lane of lanes.values()) {
    const core = lane.core;
    lane.wakes = lane.wakeOwed || core.wantReplies === undefined || lane.inflight.length === 0 || canSettle(lane.inflight[0]!);
    // An armed wake cannot be taken back: that core wakes the main thread once more whatever is chosen.
    lane.armed = core.awaited?.() === true;
    if (lane.inflight.length === 0) continue;
    if (lane.wakes || lane.armed) waking = true;
    else if (laggard === undefined || progress(lane) < progress(laggard)) laggard = lane;
  }
  // No batch can settle anything yet: the core least far into its oldest batch will answer last.
  if (!waking && laggard !== undefined) laggard.wakes = true;
  // The cores whose answers do not wake the main thread: a scan of these few beats a map lookup per replica.
  const quiet: Core[] = [];
  for (const lane of lanes.values()) if (!(lane.wakes || lane.armed)) quiet.push(lane.core);
  for (const lane of lanes.values()) lane.core.wantReplies?.(lane.wakes || !waitForWakers(quiet, lane.inflight[0]!));
}

/** How far a lane's worker is into its oldest batch: replicas started over the batch's size. */
function progress(lane: WakeLane): number {
  const oldest = lane.inflight[0]!;
  return (oldest.done + lane.core.startedCount() - lane.accounted) / oldest.replicas.length;
}

/** Whether answering the batch's replicas not answered yet could settle a task (complete a majority) or judge a late replica. */
function canSettle(batch: InflightBatch): boolean {
  for (let i = batch.done; i < batch.replicas.length; i++) {
    const task = batch.replicas[i]!.task;
    if (task.settled || task.finished.length + 1 >= majorityOf(task.k)) return true;
  }
  return false;
}

/** Whether no task of these replicas can reach a majority on the answers of cores that do not wake the main thread. */
function waitForWakers(quiet: readonly Core[], batch: InflightBatch): boolean {
  for (let i = batch.done; i < batch.replicas.length; i++) {
    const task = batch.replicas[i]!.task;
    let possible = task.finished.length;
    for (const other of task.replicas) if (other.status === 'running' && quiet.includes(other.core)) possible++;
    if (possible >= majorityOf(task.k)) return false;
  }
  return true;
}
