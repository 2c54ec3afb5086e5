/** Per-core bookkeeping of the health model and how its visible state is read. */
import type { CoreKindEvidence } from './evidence.js';
import { ArrivalOrder } from './order.js';
import type { FaultEvidence, HealthEffects, HealthState } from './types.js';

export type Mode = 'active' | 'disabled' | 'probation' | 'retired';
/** Why a core is disabled (kept for diagnostics and restore). */
export type DisableCause = 'evidence' | 'kinds' | 'self-test' | 'restored';

/** A judgment waiting for its turn: a success on a task kind, or a charge. */
export type Judgment = string | FaultEvidence;

export interface CoreRec {
  readonly id: number;
  mode: Mode;
  offline: boolean;
  /** Cached for canServe: !offline && (active || probation). */
  serving: boolean;
  /** The core's evidence per kind (shared with the kind's fleet evidence). */
  readonly kinds: Map<string, CoreKindEvidence>;
  /** Largest test statistic over its kinds and streams, after the last replica judged. */
  peak: number;
  readonly excluded: Set<string>;
  faults: number;
  lastFaultAt: number | null;
  probations: number;
  probationOk: number;
  cause: DisableCause | null;
  /** Disabled: when the next self-test probe is due. */
  dueAt: number;
  /** Clean self-tests in a row. */
  streak: number;
  probeSeq: number;
  /** Last visible state reported in a transition. */
  reported: HealthState;
  /** Replicas are judged in the order the core returned them. */
  readonly order: ArrivalOrder<Judgment>;
}

export function newRec(id: number): CoreRec {
  return {
    id,
    mode: 'active',
    offline: false,
    serving: true,
    kinds: new Map(),
    peak: 0,
    excluded: new Set(),
    faults: 0,
    lastFaultAt: null,
    probations: 0,
    probationOk: 0,
    cause: null,
    dueAt: 0,
    streak: 0,
    probeSeq: 0,
    reported: 'healthy',
    order: new ArrivalOrder(),
  };
}

const EMPTY: readonly never[] = Object.freeze([]);
/** Shared result for hot-path no-ops (success on a healthy core): no allocation. */
export const NO_EFFECTS: HealthEffects = Object.freeze({
  transitions: EMPTY as never[],
  exclusions: EMPTY as never[],
  suspicions: EMPTY as never[],
  charged: false,
});

export function effects(charged: boolean): HealthEffects {
  return { transitions: [], exclusions: [], suspicions: [], charged };
}

/** The state ignoring the offline flag (what setOnline returns to). */
export function modeState(rec: CoreRec, suspectAt: number): Exclude<HealthState, 'offline'> {
  if (rec.mode !== 'active') return rec.mode;
  return rec.peak >= suspectAt ? 'suspect' : 'healthy';
}

export function visibleState(rec: CoreRec, suspectAt: number): HealthState {
  return rec.offline ? 'offline' : modeState(rec, suspectAt);
}
