/**
 * What a stepped run needs of the pool: submit one segment as an ordinary voted task, abort it,
 * emit events, read the fault history. The pool implements it (pool/stepped-host.ts); the stepped
 * layer never reaches into the pool, so it can be driven by in-memory cores too.
 */
import type { FaultHistory } from './interval.js';
import type { CheckpointEvent, MigrateEvent, SegmentValue } from './types.js';

/** One replica of a settled segment, as runDetailed reports replicas. */
export interface SegmentReplica {
  core: number;
  status: string;
  /** Agreed with the majority (true), did not or produced nothing (false), still running (null). */
  ok: boolean | null;
  ms: number;
  cpu?: number;
  digest?: string | undefined;
  error?: string;
  /** An injected crash or hang stopped it half-way through its segment (after floor(steps / 2) steps): its lost work is known, not estimated. */
  injectedStop?: true;
}

/** A settled segment: its voted value and every replica. */
export interface SegmentResult {
  value: SegmentValue;
  replicas: SegmentReplica[];
  attempts: number;
  corrected: boolean;
}

/** A replica of a running segment that crashed or hung (the ones a re-execution replaces). */
export interface FailedReplica {
  core: number;
  status: 'crash' | 'timeout';
}

export interface SegmentCallbacks {
  /** A replica of the segment was placed on `core`; `index` is its place among the segment's replicas. */
  dispatched(core: number, index: number): void;
  /** The segment settled: its result, or the error it rejected with. Called exactly once. */
  settled(result: SegmentResult | undefined, error: Error | undefined): void;
  /** A replica of the segment that finished after the vote crashed, hung or was out-voted (its core was charged). */
  lateFault(core: number, status: string, cores: number[], ms: number, injectedStop: boolean): void;
}

export interface SegmentHandle {
  /** Replicas of the segment that crashed or hung so far, in order. */
  failed(): FailedReplica[];
  /** Aborts the segment (its running replicas are terminated; no core is charged). */
  abort(reason: unknown): void;
}

export interface SteppedHost {
  /** Replicas per segment. */
  readonly k: number;
  /** Submits a segment (its order, v8-serialized) avoiding the cores in `avoid` where the pool can. Throws when the pool cannot take it. */
  submit(order: Uint8Array, avoid: readonly number[], callbacks: SegmentCallbacks): SegmentHandle;
  emit(name: 'checkpoint', event: CheckpointEvent): void;
  emit(name: 'migrate', event: MigrateEvent): void;
  has(name: 'checkpoint' | 'migrate'): boolean;
  /** An error no task can carry (a throwing onOutput). */
  report(error: Error): void;
  history(): FaultHistory;
  /** The typed error of an abort. */
  abortError(reason: unknown, when?: string): Error;
  now(): number;
}
