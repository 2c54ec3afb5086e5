/** Typed events. Payloads are built only when someone listens (`has()`), so events cost nothing otherwise. */
import { EventEmitter, errorMonitor } from 'node:events';
import { asError, TriplexError } from '../errors.js';
import type { BindingChange } from '../binding/types.js';
import type { AttributionEvidence, FaultKind, HealthState } from '../health/types.js';
import type { DriftEvent } from '../ops/types.js';
import type { CheckpointEvent, MigrateEvent } from '../stepped/types.js';

export type { CheckpointEvent, MigrateEvent };

export type CoreState = HealthState | 'stranded';

export interface FaultEvent {
  core: number;
  cpu: number;
  kind: FaultKind;
  taskId: number;
  taskName: string;
  /** Digest the core produced (wrong-result), if any. */
  digest?: string;
  /** Digest of the majority that out-voted it. */
  majorityDigest?: string;
  /** False when the replica was not evidence (its kind is declared in health.nondeterministic). */
  charged: boolean;
  /** For a crash or timeout: why the worker died (exit code, uncaught error) or how long it ran. */
  detail?: string;
  /**
   * For a crash or timeout: ms from when it was observed (the worker's exit seen, the timeout
   * fired) to this event. The event itself comes when the vote can blame the core (a majority
   * agreed elsewhere), so it lags the observation by the re-execution; metrics date the fault here.
   */
  observedMsAgo?: number;
  /** What the core is judged on (run option `kind`, else the task name). */
  taskKind?: string;
  /** The evidence against the core on this kind after this replica: counts, rates, the test statistic. */
  attribution?: AttributionEvidence;
}

export interface DisagreementEvent {
  taskId: number;
  taskName: string;
  /** What cores are judged on: the run option `kind`, else the task name. */
  taskKind?: string;
  /** Every finished replica: its core and digest (undefined for a crash or hang). */
  replicas: { core: number; cpu: number; digest: string | undefined; status: string }[];
}

export interface RetryEvent {
  taskId: number;
  taskName: string;
  /** What cores are judged on: the run option `kind`, else the task name. */
  taskKind?: string;
  /** tie-break: DMR disagreement; re-execution: crash, hang or no majority yet. */
  reason: 'tie-break' | 're-execution';
  /** Cores the extra replicas were placed on (emitted when they are dispatched). */
  cores: number[];
  /** Static binding: the group they ran on. */
  group?: number;
  /** Replicas run so far beyond the first k, these included. */
  attempts: number;
}

/** `failed`: a majority agreed but the task could not be answered (the user's `equals` threw, the result could not be decoded, an internal error). */
export type TaskOutcome = 'value' | 'error' | 'no-majority' | 'not-enough-cores' | 'queue-full' | 'aborted' | 'destroyed' | 'failed';

/** Every task, once, when it settles: for metrics and audit logs. */
export interface TaskSettledEvent {
  taskId: number;
  taskName: string;
  /** What cores are judged on: the run option `kind`, else the task name. */
  taskKind?: string;
  outcome: TaskOutcome;
  /** Submit → first replica dispatched (or settle, if none was), ms. */
  queueMs: number;
  /** First replica dispatched → settle, ms (0 when none was dispatched). */
  runMs: number;
  /** Replicas dispatched so far. */
  replicas: number;
  /** A replica was out-voted (wrong, crashed or hung) before the answer. */
  corrected: boolean;
}

export interface PoolStartEvent {
  /** The fully resolved options (functions and injector omitted). */
  options: Record<string, unknown>;
}

export interface CoreStateEvent {
  core: number;
  from: CoreState;
  to: CoreState;
  reason: string;
  evidence?: unknown;
  /** The sequential test that moved the core (counts, rates, statistic and threshold). */
  attribution?: AttributionEvidence;
}

export interface TaskFailedEvent {
  taskId: number;
  taskName: string;
  error: Error;
}

export interface SelfTestEvent {
  core: number;
  task: string;
  passed: boolean;
}

export interface NondeterminismEvent {
  taskName: string;
  cores: number[];
  /** The kind's base rate of out-voted replicas across the fleet. */
  base?: number;
  /** True when the kind stopped reading as non-deterministic (its base rate fell). */
  ended?: boolean;
}

/** A host of a cluster (triplex/cluster) changed state: joined, lost, rejected, disabled. Never emitted by a local pool. */
export interface HostEvent {
  host: string;
  from: string;
  to: string;
  reason: string;
  /** Why a host was rejected (ERR_MODULE_MISMATCH, ...). */
  error?: Error;
}

/** Every event the pool emits, with its payload: the one list (listeners, ops and tests type against it). */
export interface TriplexEvents {
  fault: FaultEvent;
  disagreement: DisagreementEvent;
  retry: RetryEvent;
  'core-state': CoreStateEvent;
  'task-failed': TaskFailedEvent;
  spare: BindingChange;
  'self-test': SelfTestEvent;
  'nondeterminism-suspected': NondeterminismEvent;
  'task-settled': TaskSettledEvent;
  /** Emitted once all cores have started (after `ready`). */
  start: PoolStartEvent;
  /** Emitted when destroy() begins. */
  destroy: Record<string, never>;
  /** An internal error that is not a task's (e.g. a worker that failed to start for a probe). */
  error: Error;
  /** The periodic state scan (`scanInterval`) found a core whose actual state differs from the intended one. */
  drift: DriftEvent;
  /** Every task slot is taken: a task submitted now would wait (piscina's backpressure). */
  needsDrain: Record<string, never>;
  /** A task slot freed again after 'needsDrain'. */
  drain: Record<string, never>;
  /** close() or destroy() finished: every worker has stopped. */
  close: Record<string, never>;
  /** Cluster only: a host's state changed. */
  host: HostEvent;
  /** A stepped task's replicas agreed on its state: the task's checkpoint; its outputs are released. */
  checkpoint: CheckpointEvent;
  /** A stepped task's failed replica was replaced on another core, resuming from the last checkpoint. */
  migrate: MigrateEvent;
}

export type EventName = keyof TriplexEvents;

/** Every event name at run time (a Record, so a name added to TriplexEvents must be added here). */
const EMITTED: Record<EventName, true> = {
  fault: true,
  disagreement: true,
  retry: true,
  'core-state': true,
  'task-failed': true,
  spare: true,
  'self-test': true,
  'nondeterminism-suspected': true,
  'task-settled': true,
  start: true,
  destroy: true,
  error: true,
  drift: true,
  needsDrain: true,
  drain: true,
  close: true,
  host: true,
  checkpoint: true,
  migrate: true,
};

/** Events piscina emits that a voted pool cannot, and what to use instead. */
const NOT_EMITTED: Record<string, string> = {
  message: "a task's parentPort.postMessage would arrive once per replica, unvoted (piscina forwards it as 'message'); return the data from the task instead",
  workerCreate: "triplex owns one pinned worker per core: 'start' reports the cores started, 'core-state' every change of a core's state",
  workerDestroy: "triplex owns one pinned worker per core: 'core-state' reports a core disabled or stranded, 'close' the pool stopped",
};

/**
 * A listener for an event the pool never emits would wait forever in silence (a typo, or piscina's
 * 'message'): refused with ERR_UNKNOWN_EVENT. Node's own 'newListener' and 'removeListener', and
 * symbols (`EventEmitter.errorMonitor`), pass.
 */
function checkedName(name: string | symbol): string | symbol {
  if (typeof name === 'symbol' || Object.hasOwn(EMITTED, name) || name === 'newListener' || name === 'removeListener') return name;
  const why = Object.hasOwn(NOT_EMITTED, name) ? NOT_EMITTED[name]! : `the events are ${Object.keys(EMITTED).join(', ')}`;
  throw new TriplexError('ERR_UNKNOWN_EVENT', `The pool emits no ${JSON.stringify(name)} event: ${why}`, { event: name });
}

/**
 * The pool's emitter. Listeners are user code, so none of them can disturb the pool:
 * - while the pool handles a reply, an abort or a state change, events are held and delivered
 *   once its state is consistent and the tasks concerned are settled (`hold`);
 * - each listener is called on its own: one that throws does not stop the others, and its
 *   exception goes to the pool's 'error' listeners, or, with none, is raised as an uncaught
 *   exception on the next tick, as Node does for a throwing EventTarget listener.
 */
export class TypedEmitter extends EventEmitter {
  /** Events emitted while holding: name, event, name, event... (no pair allocated per event). */
  private readonly held: unknown[] = [];
  private holding = 0;

  /** True when a listener exists: build the payload only then. */
  has(name: EventName): boolean {
    return this.listenerCount(name) > 0;
  }

  /**
   * Runs `work`, delivering the events it emits only after it returned (or threw). `arg` is passed
   * to `work`: a hot caller hands over one function made once instead of a closure per call.
   */
  hold<T>(work: () => T): T;
  hold<A, T>(work: (arg: A) => T, arg: A): T;
  hold<A, T>(work: (arg?: A) => T, arg?: A): T {
    this.holding++;
    try {
      return work(arg);
    } finally {
      if (--this.holding === 0) this.release();
    }
  }

  override on<E extends EventName>(name: E, listener: (event: TriplexEvents[E]) => void): this {
    return super.on(checkedName(name), listener);
  }
  override once<E extends EventName>(name: E, listener: (event: TriplexEvents[E]) => void): this {
    return super.once(checkedName(name), listener);
  }
  override addListener<E extends EventName>(name: E, listener: (event: TriplexEvents[E]) => void): this {
    return super.addListener(checkedName(name), listener);
  }
  override prependListener<E extends EventName>(name: E, listener: (event: TriplexEvents[E]) => void): this {
    return super.prependListener(checkedName(name), listener);
  }
  override prependOnceListener<E extends EventName>(name: E, listener: (event: TriplexEvents[E]) => void): this {
    return super.prependOnceListener(checkedName(name), listener);
  }
  override off<E extends EventName>(name: E, listener: (event: TriplexEvents[E]) => void): this {
    return super.off(name, listener);
  }
  override emit<E extends EventName>(name: E, event: TriplexEvents[E]): boolean {
    if (this.holding > 0) {
      this.held.push(name, event);
      return this.has(name);
    }
    return this.deliver(name, event);
  }

  private release(): void {
    // Listeners may cause more events (e.g. by calling pool methods): they are delivered in order.
    this.holding++;
    try {
      for (let i = 0; i < this.held.length; i += 2) this.deliver(this.held[i] as EventName, this.held[i + 1]);
    } finally {
      if (this.held.length > 0) this.held.length = 0;
      this.holding--;
    }
  }

  private deliver(name: EventName, event: unknown): boolean {
    if (name === 'error') this.monitor(event);
    const listeners = this.rawListeners(name) as ((event: unknown) => void)[];
    for (const listener of listeners) {
      try {
        listener.call(this, event);
      } catch (error) {
        this.listenerThrew(name, error);
      }
    }
    return listeners.length > 0;
  }

  private listenerThrew(name: EventName, error: unknown): void {
    if (name !== 'error' && this.has('error')) {
      this.deliver('error', asError(error));
      return;
    }
    this.monitor(asError(error));
    process.nextTick(() => {
      throw error;
    });
  }

  /**
   * `errorMonitor` listeners (Node's way to observe errors without handling them: the audit log)
   * see every error the pool reports, on 'error' or raised as uncaught, and are no 'error' listener.
   */
  private monitor(error: unknown): void {
    if (this.listenerCount(errorMonitor) === 0) return;
    for (const listener of this.rawListeners(errorMonitor) as ((error: unknown) => void)[]) {
      try {
        listener.call(this, error);
      } catch {
        // An observer that throws must not turn an error into another: it is only watching.
      }
    }
  }
}
