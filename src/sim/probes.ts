/**
 * Self-tests on virtual time (health-bridge.probeDueCores and probe): a poll at the bridge's
 * period finds disabled cores due for known-answer tests; each probe is CPU work on the core,
 * passes unless the core is bad at that moment, and its result goes to CoreHealth.
 */
import type { CoreHealth } from '../health/core-health.js';
import type { HealthEffects } from '../health/types.js';
import { selfTestPollMs } from '../health/serving.js';
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

export class SelfTests {
  private readonly probing: Uint8Array;
  private readonly round: Int32Array;
  private readonly notEnabled = new Set<number>();
  private scheduled = false;

  constructor(
    private readonly st: SelfTestConfig,
    private readonly cores: readonly SimCore[],
    private readonly health: CoreHealth,
    private readonly faults: FaultModel,
    private readonly stats: Counters,
    private readonly host: ProbeHost,
  ) {
    this.probing = new Uint8Array(cores.length);
    this.round = new Int32Array(cores.length);
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
    for (const id of this.health.dueForSelfTest()) {
      if (this.cores[id]!.busy || this.probing[id] === 1) continue;
      this.probing[id] = 1;
      this.round[id] = 0;
      this.host.start(id, this.st.probeMs);
    }
    // Keep polling only while some core can still come back (retired ones never do).
    for (const id of this.notEnabled) {
      if (this.probing[id] === 1 || this.health.state(id) === 'disabled') {
        this.schedule();
        return;
      }
    }
  }

  probeDone(id: number): void {
    const passed = this.faults.probePasses(id, this.host.now());
    this.stats.selfTests++;
    this.host.apply(this.health.selfTestResult(id, passed));
    const round = ++this.round[id]!;
    if (passed && round < this.st.passes && this.health.state(id) === 'disabled' && !this.cores[id]!.busy) this.host.start(id, this.st.probeMs);
    else this.probing[id] = 0;
  }
}
