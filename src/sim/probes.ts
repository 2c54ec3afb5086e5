/**
 * Self-tests on virtual time: the shared reintegration loop (health/reintegration.ts), polled at
 * the pool's period, with probes that are CPU work on the core.
 */
import type { CoreHealth } from '../health/core-health.js';
import type { HealthEffects } from '../health/types.js';
import { selfTestPollMs } from '../health/serving.js';
import { Reintegration } from '../health/reintegration.js';
import type { Counters } from './bridge.js';
import type { SelfTestConfig } from './config.js';
import type { FaultModel } from './faults.js';
import type { SimCore } from './task.js';

export interface ProbeHost {
  now(): number;
  /** Schedules a poll event at virtual time `at`. */
  poll(at: number): void;
  /** Runs `ms` of probe work on a core; probeDone(id) is called when it finishes. */
  start(id: number, ms: number): void;
  apply(fx: HealthEffects): void;
}

/** The simulator's probe runner: each probe is CPU work on the core, passing unless the core is bad then. */
export class SelfTests {
  private readonly notEnabled = new Set<number>();
  private scheduled = false;
  private readonly loop: Reintegration;

  constructor(
    private readonly st: SelfTestConfig,
    private readonly cores: readonly SimCore[],
    private readonly health: CoreHealth,
    private readonly faults: FaultModel,
    private readonly stats: Counters,
    private readonly host: ProbeHost,
  ) {
    this.loop = new Reintegration(health, st.passes, {
      busy: (id) => this.cores[id]!.busy,
      start: (id) => this.host.start(id, this.st.probeMs),
      apply: (fx) => this.host.apply(fx),
    });
  }

  enabledChanged(id: number, on: boolean): void {
    if (on) this.notEnabled.delete(id);
    else {
      this.notEnabled.add(id);
      this.schedule();
    }
  }

  /** Same period as the pool's health bridge. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.host.poll(this.host.now() + selfTestPollMs(this.st.after));
  }

  poll(): void {
    this.scheduled = false;
    this.loop.poll();
    // Keep polling only while some core can still come back (retired ones never do).
    for (const id of this.notEnabled) {
      if (this.loop.isProbing(id) || this.health.state(id) === 'disabled') {
        this.schedule();
        return;
      }
    }
  }

  probeDone(id: number): void {
    this.stats.selfTests++;
    this.loop.done(id, this.faults.probePasses(id, this.host.now()));
  }
}
