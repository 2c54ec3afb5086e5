/**
 * Reintegration: known-answer probes on disabled cores, one round after another while they pass,
 * until the health model lets the core back on probation (or a probe fails). The pool runs the
 * probes on real workers and the simulator on virtual time; both drive this one loop through
 * a ProbeRunner.
 */
import type { CoreHealth } from './core-health.js';
import type { HealthEffects } from './types.js';

export interface ProbeRunner {
  /** The core runs user replicas now: a probe waits until it is idle. */
  busy(core: number): boolean;
  /** Starts probe number `round` on the core; the runner answers with `Reintegration.done`. */
  start(core: number, round: number): void;
  /** Carries out a probe result's effects (back on probation, retired, events). */
  apply(effects: HealthEffects): void;
  /** The core's probing is over, whatever the outcome. */
  ended?(core: number): void;
}

export class Reintegration {
  /** Cores being probed, and the round each is in. */
  private readonly rounds = new Map<number, number>();

  constructor(
    private readonly health: CoreHealth,
    /** Clean probes needed in a row (selfTest.passes). */
    private readonly passes: number,
    private readonly runner: ProbeRunner,
  ) {}

  isProbing(core: number): boolean {
    return this.rounds.has(core);
  }

  /** Starts probing every idle disabled core whose probe is due. */
  poll(): void {
    for (const core of this.health.dueForSelfTest()) {
      if (this.rounds.has(core) || this.runner.busy(core)) continue;
      this.rounds.set(core, 0);
      this.runner.start(core, 0);
    }
  }

  /** A probe ended: its result goes to the health model; a pass on a still-disabled core earns another round. */
  done(core: number, passed: boolean, detail?: string): void {
    const round = this.rounds.get(core);
    if (round === undefined) return;
    this.runner.apply(this.health.selfTestResult(core, passed, detail));
    const next = round + 1;
    if (passed && next < this.passes && this.health.state(core) === 'disabled' && !this.runner.busy(core)) {
      this.rounds.set(core, next);
      this.runner.start(core, next);
      return;
    }
    this.end(core);
  }

  /** Stops probing a core (its probe could not run, or the pool is closing). */
  end(core: number): void {
    if (this.rounds.delete(core)) this.runner.ended?.(core);
  }
}
