/** Pool counters. `pool.stats` returns a copy. */
export class Stats {
  submitted = 0;
  completed = 0;
  failed = 0;
  /** Tasks whose replicas did not all agree. */
  disagreements = 0;
  /** Tasks answered (a value or the task's own error) after out-voting a wrong, crashed or hung replica: task-settled's `corrected`. */
  corrected = 0;
  /** Faults found by the vote (wrong result, crash, hang): one per fault event, charged or not (a declared non-deterministic kind). */
  faults = 0;
  /** Replicas run beyond the first k (tie-breaks and re-executions placed on a core). */
  retries = 0;
  replicas = 0;
  /** Batches sent to cores (replicas / messages = mean batch size; one ring wake-up each). */
  messages = 0;
  crashes = 0;
  timeouts = 0;
  aborted = 0;
  noMajority = 0;
  /** Replicas killed with another replica's batch and re-run (never charged). */
  lost = 0;
  injected = 0;
  selfTests = 0;

  snapshot(): StatsSnapshot {
    return { ...this };
  }
}

export type StatsSnapshot = { [K in keyof Stats as Stats[K] extends number ? K : never]: number };
