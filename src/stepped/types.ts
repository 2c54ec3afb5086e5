/**
 * Stepped tasks: the shapes a task module exports, the checkpoint option, and what travels
 * between the pool and a replica for one segment (the steps between two voted checkpoints).
 */

/** `emit(x)` inside `step`: queues an output, released to the caller once its checkpoint is voted. */
export type Emit = (output: unknown) => void;

/**
 * A stepped task, exported by a task module: `init` builds the state from the input, `step`
 * advances it by one step (it may return a promise), `done` says when to stop, `result` turns
 * the final state into the task's value (default: the final state itself).
 */
export interface SteppedTask<I = unknown, S = unknown, R = unknown> {
  init(input: I): S | Promise<S>;
  step(state: S, emit: Emit): S | Promise<S>;
  done(state: S): boolean;
  result?(state: S): R | Promise<R>;
}

/**
 * How often a stepped task's replicas vote on their state. `steps`: every that many steps;
 * `ms`: about every that many ms of step time (turned into a step count per segment from the
 * measured step rate, so that every replica of a segment runs the same steps); both: whichever
 * comes first. `'auto'`: the Young/Daly interval √(2 · MTBF · C) from the pool's own history.
 */
export type CheckpointOption = { steps?: number; ms?: number } | 'auto';

/** The resolved option: at most `steps` steps and about `ms` ms per segment; `auto` computes `ms`. */
export interface ResolvedCheckpoint {
  steps: number;
  ms: number;
  auto: boolean;
}

/** What one replica of a segment is asked to do (the request's input, v8-serialized). */
export interface SegmentOrder {
  /** The step the segment starts at: 0 runs `init(start)`, else `start` is the voted state. */
  from: number;
  /** Steps to run (fewer when `done` turns true). Identical on every replica of the segment. */
  steps: number;
  start: unknown;
  /**
   * Fault injection only: the replica crashes or hangs after this many of its steps (a fault in
   * the middle of a segment, as a real one would be). Set by the worker from its inject order.
   */
  faultAfter?: number;
}

/** What one replica of a segment returns: the whole value is voted (state, outputs and all). */
export interface SegmentValue {
  /** Marks a segment's value (a stepped task run through a plain request: the pool takes it over). */
  readonly __triplexSegment: 1;
  /** The step the replica started at (its resume point). */
  from: number;
  /** The step reached: `from` + steps run. */
  step: number;
  state: unknown;
  /** What `emit` received, in order. */
  outputs: unknown[];
  done: boolean;
  /** Present when done and the task has `result`: its value. */
  result?: { value: unknown };
}

/** `checkpoint` event: a segment's state was voted and is the task's checkpoint now. */
export interface CheckpointEvent {
  taskId: number;
  taskName: string;
  /** Step of the checkpoint (steps done so far). */
  step: number;
  /** Checkpoints of this task so far, this one included. */
  checkpoints: number;
  /** Cores of the majority that agreed on it. */
  cores: number[];
  /** Outputs this checkpoint released. */
  outputs: number;
  /** A replica was out-voted, crashed or hung in this segment (and its core charged). */
  corrected: boolean;
  /** Wall time of the segment, dispatch to vote, ms. */
  ms: number;
  /** Steps the next segment will run (0 when the task is done). */
  nextSteps: number;
}

/** `migrate` event: a faulty replica's work moves to another core, resuming from the last checkpoint. */
export interface MigrateEvent {
  taskId: number;
  taskName: string;
  /** The core that crashed, hung or was out-voted. */
  from: number;
  /** The core that takes its place. */
  to: number;
  /** Step of the checkpoint the new replica resumes from (0: no checkpoint yet). */
  step: number;
  reason: 'crash' | 'timeout' | 'wrong-result';
}

/** One segment as runDetailed reports it. */
export interface SegmentReport {
  from: number;
  to: number;
  /** Replicas of the segment: core, status, whether it agreed, and the step it started at. */
  replicas: { core: number; status: string; ok: boolean | null; from: number | undefined; ms: number }[];
  corrected: boolean;
}

/** runDetailed's report of a stepped task. */
export interface SteppedReport {
  /** Steps of the task (the final state's step). */
  steps: number;
  /** Voted checkpoints (segments), the final one included. */
  checkpoints: number;
  /** Replicas moved to another core after a fault. */
  migrations: number;
  /** Replicas that crashed, hung or were out-voted (at their segment's vote, or after it while the task ran); one lost with another's batch before it ran, or aborted, is none. */
  faults: number;
  /** Steps computed by replicas whose work was discarded (crashed, hung or out-voted), summed: an injected crash or hang stops its replica after half its segment's steps, so those are known; another crash's or hang's is estimated from its run time. */
  lostSteps: number;
  /** Run time of those replicas, ms (measured). */
  lostMs: number;
  segments: SegmentReport[];
}
