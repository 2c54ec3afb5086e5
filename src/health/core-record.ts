/** Per-core bookkeeping of the health model and the lazy exponential decay it reads through. */
import { HEALTHY_EPSILON, REACH_SLACK } from './defaults.js';
import type { HealthEffects, HealthState, ResolvedHealthOptions } from './types.js';

export type Mode = 'active' | 'disabled' | 'probation' | 'retired';
/** Why a core is disabled; only 'score'/'kinds' disablings can be undone by forgiveness. */
export type DisableCause = 'score' | 'kinds' | 'self-test' | 'restored';

export interface KindScore {
  value: number;
  at: number;
  /** Clean replicas of this kind since its first charge: evidence the core is not stuck on it. */
  ok: number;
}

export interface CoreRec {
  readonly id: number;
  mode: Mode;
  offline: boolean;
  /** Cached for canServe: !offline && (active || probation). */
  serving: boolean;
  /** Core score as (value at time `at`); excludes kinds the core is excluded from. */
  value: number;
  at: number;
  readonly kinds: Map<string, KindScore>;
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
}

export function newRec(id: number): CoreRec {
  return {
    id, mode: 'active', offline: false, serving: true, value: 0, at: 0, kinds: new Map(), excluded: new Set(),
    faults: 0, lastFaultAt: null, probations: 0, probationOk: 0, cause: null, dueAt: 0, streak: 0, probeSeq: 0, reported: 'healthy',
  };
}

const EMPTY: readonly never[] = Object.freeze([]);
/** Shared result for hot-path no-ops (success on a healthy core): no allocation. */
export const NO_EFFECTS: HealthEffects = Object.freeze({ transitions: EMPTY as never[], exclusions: EMPTY as never[], suspicions: EMPTY as never[], charged: false });

export function effects(charged: boolean): HealthEffects {
  return { transitions: [], exclusions: [], suspicions: [], charged };
}

/** Score arithmetic: value · 2^(-(now - at) / halfLife), read lazily, no timers. */
export class Scorer {
  /** ln 2 / halfLife; 0 when scores never decay (halfLife Infinity). */
  readonly rate: number;
  /** disableAt less a little slack: disableAt charges in quick succession must disable. */
  readonly threshold: number;

  constructor(options: ResolvedHealthOptions) {
    this.rate = Number.isFinite(options.halfLife) ? Math.LN2 / options.halfLife : 0;
    this.threshold = options.disableAt - Math.min(REACH_SLACK, options.disableAt * REACH_SLACK);
  }

  decay(value: number, at: number, now: number): number {
    if (value === 0 || this.rate === 0) return value;
    return value * Math.exp(-this.rate * Math.max(0, now - at));
  }

  score(rec: CoreRec, now: number): number {
    return this.decay(rec.value, rec.at, now);
  }

  /** The state ignoring the offline flag (what setOnline returns to). */
  modeState(rec: CoreRec, now: number): Exclude<HealthState, 'offline'> {
    if (rec.mode !== 'active') return rec.mode;
    return this.score(rec, now) < HEALTHY_EPSILON ? 'healthy' : 'suspect';
  }

  visible(rec: CoreRec, now: number): HealthState {
    return rec.offline ? 'offline' : this.modeState(rec, now);
  }
}
