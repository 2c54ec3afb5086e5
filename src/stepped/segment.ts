/**
 * One segment of a stepped task, as a replica runs it: `init` (at step 0), then up to `steps`
 * calls of `step`, stopping early once `done`; the outputs `emit` received travel with the state,
 * and the pool votes on all of it. Runs inside the worker (worker/entry.ts); free of I/O.
 */
import type { Emit, SegmentOrder, SegmentValue, SteppedTask } from './types.js';

/** A request for a segment names its task with this prefix (it cannot begin an export's name in practice). */
export const SEGMENT_PREFIX = '\u0001segment:';

/** True for an export shaped as a stepped task. */
export function isSteppedTask(value: unknown): value is SteppedTask {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Record<string, unknown>;
  return (
    typeof t.init === 'function' && typeof t.step === 'function' && typeof t.done === 'function' && (t.result === undefined || typeof t.result === 'function')
  );
}

/** True for a segment's value (a stepped task that ran through a plain request returns one too). */
export function isSegmentValue(value: unknown): value is SegmentValue {
  return typeof value === 'object' && value !== null && (value as { __triplexSegment?: unknown }).__triplexSegment === 1;
}

/** The order of a plain request for a stepped task: its first step only (the pool takes over from there). */
export function firstOrder(input: unknown): SegmentOrder {
  return { from: 0, steps: 1, start: input };
}

/** What a replica does at `faultAfter` steps (fault injection): its worker dies, or it never answers. */
export type SegmentFault = () => never;

/** Runs one segment. Awaits only what `init`, `step` or `result` return as a promise. */
export async function runSegment(task: SteppedTask, order: SegmentOrder, fault?: SegmentFault): Promise<SegmentValue> {
  let state = order.from === 0 ? await task.init(order.start) : order.start;
  const outputs: unknown[] = [];
  const emit: Emit = (output) => {
    outputs.push(output);
  };
  let step = order.from;
  let done = task.done(state);
  for (let i = 0; i < order.steps && !done; i++) {
    if (fault !== undefined && i === order.faultAfter) fault();
    const next = task.step(state, emit);
    state = isThenable(next) ? await next : next;
    step++;
    done = task.done(state);
  }
  const value: SegmentValue = { __triplexSegment: 1, from: order.from, step, state, outputs, done };
  if (done && task.result !== undefined) value.result = { value: await task.result(state) };
  return value;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
