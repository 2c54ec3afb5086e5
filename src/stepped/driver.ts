/**
 * A stepped task as a chain of segments, each an ordinary voted task: the pool's voting, charges,
 * tie-breaks, re-executions on unused cores in distinct fault domains and crash/hang blame apply
 * unchanged to every segment. The voted value of a segment is the task's checkpoint: its outputs
 * are released then (output commit) and the next segment starts from its state, so a replica that
 * fails is replaced by one that resumes from the last checkpoint, never from `init`.
 */
import { serialize } from 'node:v8';
import { asError, messageOf, TriplexError } from '../errors.js';
import type { FaultHistory } from './interval.js';
import { IntervalPlanner } from './interval.js';
import { OutputCommit } from './outputs.js';
import { isSegmentValue } from './segment.js';
import type { SegmentHandle, SegmentResult, SteppedHost } from './host.js';
import type { ResolvedCheckpoint, SegmentOrder, SegmentValue, SteppedReport } from './types.js';
import { SegmentLedger } from './ledger.js';

export interface SteppedRunInit {
  /** The run's id in events (the id of its first segment). */
  id: number;
  name: string;
  rule: ResolvedCheckpoint;
  onOutput: ((output: unknown) => void) | undefined;
  /** An async iterator of the outputs was asked for (runStream). */
  streamed: boolean;
  detailed: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class SteppedRun {
  readonly commit: OutputCommit;
  private readonly planner: IntervalPlanner;
  private readonly ledger: SegmentLedger;
  private checkpoint: { step: number; state: unknown } | undefined;
  private current: SegmentHandle | undefined;
  /** Serial of the segment in flight: a callback of an older one is ignored. */
  private serial = 0;
  private segmentAt = 0;
  private segmentSteps = 0;
  /** The steps of the segment launched last (what a late fault in it lost at most). */
  private launched: { steps: number } | undefined;
  /** stop() was asked while a segment ran: the run ends at that segment's checkpoint. */
  private stopping: { reason: unknown } | undefined;
  finished = false;

  constructor(
    private readonly host: SteppedHost,
    private readonly init: SteppedRunInit,
  ) {
    this.commit = new OutputCommit(init.onOutput, init.streamed, (error) => host.report(error));
    this.planner = new IntervalPlanner(init.rule, host.k, (): FaultHistory => host.history());
    this.ledger = new SegmentLedger(host, init.id, init.name, init.detailed);
  }

  /** Runs the task from `init(input)`. Throws ERR_NOT_CLONEABLE when the input cannot be cloned. */
  start(input: unknown): void {
    this.segmentSteps = this.planner.first();
    const order: SegmentOrder = { from: 0, steps: this.segmentSteps, start: input };
    this.launch(encode(order, `The input of task "${this.init.name}"`));
  }

  /** Takes over a task whose first segment ran as a plain task (submitted before the pool knew its exports). */
  resume(result: SegmentResult, wallMs: number): void {
    this.segmentAt = this.host.now() - wallMs;
    this.segmentSteps = result.value.step - result.value.from;
    this.accept(result);
  }

  /** Aborts the run, between or during segments. */
  abort(reason: unknown): void {
    if (this.finished) return;
    const error = this.host.abortError(reason);
    const current = this.current;
    this.current = undefined;
    this.serial++;
    current?.abort(reason);
    this.fail(error);
  }

  /**
   * Ends the run at its next checkpoint: at once between segments; otherwise the running segment
   * is still voted, its outputs released, and no segment follows (close({ force }) waits for no more).
   */
  stop(reason: unknown): void {
    if (this.finished) return;
    if (this.current === undefined) return this.abort(reason);
    this.stopping = { reason };
  }

  /** True while a replica of the run's current segment may be running. */
  get running(): boolean {
    return this.current !== undefined;
  }

  private launch(bytes: Uint8Array | Error): void {
    if (bytes instanceof Error) return this.fail(bytes);
    const serial = ++this.serial;
    // The steps the segment runs: planned, then those it ran once voted (a last segment stops early).
    const segment = { steps: this.segmentSteps };
    this.launched = segment;
    this.segmentAt = this.host.now();
    this.ledger.beginSegment(readFrom(this.checkpoint));
    let handle: SegmentHandle;
    try {
      handle = this.host.submit(bytes, this.ledger.avoid, {
        dispatched: (core, index) => {
          if (serial === this.serial) this.ledger.dispatched(core, index, this.current);
        },
        settled: (result, error) => {
          if (serial === this.serial) this.settled(result, error);
        },
        // Any segment's, even an older one's: the core failed this task and its work must move.
        lateFault: (core, status, cores, ms, injectedStop) => {
          if (!this.finished) this.ledger.lateFault(core, status, cores, ms, injectedStop ? Math.floor(segment.steps / 2) : segment.steps);
        },
      });
    } catch (error) {
      return this.fail(asError(error));
    }
    if (serial === this.serial) this.current = handle;
  }

  private settled(result: SegmentResult | undefined, error: Error | undefined): void {
    this.current = undefined;
    this.serial++;
    if (this.finished) return;
    if (result === undefined) return this.fail(error ?? new Error('segment failed'));
    if (!isSegmentValue(result.value)) {
      return this.fail(
        new TriplexError('ERR_INTERNAL', `Task "${this.init.name}" (#${this.init.id}): a segment returned no stepped state`, { taskId: this.init.id }),
      );
    }
    this.accept(result);
  }

  /** A voted segment: its state is the checkpoint, its outputs are released, the next segment starts. */
  private accept(result: SegmentResult): void {
    const value = result.value;
    const wall = this.host.now() - this.segmentAt;
    const ran = value.step - value.from;
    if (this.launched !== undefined) this.launched.steps = ran;
    this.ledger.settled(result, ran);
    this.commit.commit(value.outputs);
    if (value.done) {
      this.ledger.checkpoint(result, wall, 0);
      return this.finish(value);
    }
    this.checkpoint = { step: value.step, state: value.state };
    if (this.stopping !== undefined) {
      this.ledger.checkpoint(result, wall, 0);
      return this.fail(this.host.abortError(this.stopping.reason, `was stopped at its checkpoint of step ${value.step}`));
    }
    const steps = this.planner.next(Math.max(1, value.step - value.from), wall);
    this.ledger.checkpoint(result, wall, steps);
    this.segmentSteps = steps;
    const order: SegmentOrder = { from: value.step, steps, start: value.state };
    this.launch(encode(order, `The state of stepped task "${this.init.name}" at step ${value.step}`));
  }

  private finish(value: SegmentValue): void {
    this.finished = true;
    const final = value.result === undefined ? value.state : value.result.value;
    const answer = this.init.detailed ? this.ledger.detailed(final, value.step) : final;
    void this.commit.end().then(() => this.init.resolve(answer));
  }

  private fail(error: Error): void {
    if (this.finished) return;
    this.finished = true;
    void this.commit.end(error).then(() => this.init.reject(error));
  }

  /** runDetailed's stepped report so far. */
  report(): SteppedReport {
    return this.ledger.report(this.checkpoint?.step ?? 0);
  }
}

function readFrom(checkpoint: { step: number } | undefined): number {
  return checkpoint?.step ?? 0;
}

/** A segment's order as the replicas get it; ERR_NOT_CLONEABLE (returned, not thrown) when it cannot be cloned. */
function encode(order: SegmentOrder, what: string): Uint8Array | Error {
  try {
    return serialize(order);
  } catch (error) {
    return new TriplexError('ERR_NOT_CLONEABLE', `${what} cannot be cloned to a worker: ${messageOf(error)}`, { step: order.from });
  }
}
