/**
 * A core's serving state is the health model's: these read it, never copy it. The pool's cores,
 * the simulator's cores and the binding policies see it through `ServingCore`.
 */
import type { HealthState } from './types.js';

/** States in which a core runs user tasks. */
export const SERVING_STATES: ReadonlySet<HealthState> = new Set<HealthState>(['healthy', 'suspect', 'probation']);

export function isServing(state: HealthState): boolean {
  return SERVING_STATES.has(state);
}

/** The part of the health model's record of one core that placement reads (live, not a copy). */
export interface ServingView {
  /** Not offline, and active or on probation. */
  readonly serving: boolean;
  /** Task kinds the core is excluded from (software core salvaging). */
  readonly excluded: ReadonlySet<string>;
  /** When the core was last charged, null if never. */
  readonly lastFaultAt: number | null;
}

/** A core whose `enabled`, `excludedKinds` and `lastFaultAt` are read from the health model. */
export class ServingCore {
  constructor(private readonly view: ServingView) {}

  get enabled(): boolean {
    return this.view.serving;
  }

  get excludedKinds(): ReadonlySet<string> {
    return this.view.excluded;
  }

  get lastFaultAt(): number {
    return this.view.lastFaultAt ?? Number.NEGATIVE_INFINITY;
  }
}

/**
 * How often disabled cores are checked for a due self-test: polling is cheap (a scan of the
 * disabled cores) and keeps the health machine free of timers.
 */
export function selfTestPollMs(after: number): number {
  return Math.max(20, Math.min(1_000, after / 4));
}
