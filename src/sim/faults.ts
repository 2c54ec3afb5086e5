/**
 * What each replica produces, decided at dispatch: a correct value, a wrong one (a digest of its
 * own per core, or the common-mode wrong value), a crash, or a hang. Permanent failures have an
 * onset time per core (0 for cores failed from the start, a sampled lifetime otherwise);
 * intermittent cores alternate good periods and bursts, drawn lazily from a stream per core so
 * the windows do not depend on when the core is asked.
 */
import { SeededRandom } from '../util/random.js';
import type { FaultsConfig } from './config.js';
import { exponential, lifetime, pick } from './dist.js';

export const OK = 0;
export const WRONG = 1;
export const COMMON = 2;
export const CRASH = 3;
export const HANG = 4;

export type DisableCause = 'permanent' | 'intermittent' | 'transient';

export class FaultModel {
  /** Time each core turns permanently faulty (Infinity: never). */
  readonly onset: Float64Array;
  /** First bad outcome (wrong, crash, hang) each core produced, NaN before. */
  readonly firstBad: Float64Array;
  readonly bad: Float64Array;
  private readonly permanent: number;
  private readonly transient: Float64Array;
  private readonly crash: Float64Array;
  private readonly hang: Float64Array;
  /** Any per-replica draw needed on this core at all (skips the random source on clean cores). */
  private readonly noisy: Uint8Array;
  private readonly burstRandom: (SeededRandom | undefined)[];
  private readonly burstStart: Float64Array;
  private readonly burstEnd: Float64Array;
  private readonly flakyRandom: SeededRandom;

  constructor(
    private readonly f: FaultsConfig,
    n: number,
    private readonly random: SeededRandom,
  ) {
    const setup = random.fork();
    this.onset = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    this.firstBad = new Float64Array(n).fill(Number.NaN);
    this.bad = new Float64Array(n);
    this.permanent = f.failureMode === 'wrong' ? WRONG : f.failureMode === 'crash' ? CRASH : HANG;
    const failed = typeof f.failed === 'number' ? pick(setup, n, f.failed) : f.failed;
    for (const core of failed) this.onset[core] = 0;
    if (f.lifetimes !== false) {
      const lives = setup.fork();
      for (let i = 0; i < n; i++) {
        // Draw both numbers for every core so that changing `fraction` keeps the other draws.
        const susceptible = lives.next() < f.lifetimes.fraction;
        const t = lifetime(f.lifetimes, lives);
        if (susceptible && t < this.onset[i]!) this.onset[i] = t;
      }
    }
    this.transient = new Float64Array(n).fill(f.transient.rate);
    for (const { core, rate } of f.transient.perCore) this.transient[core] = rate;
    this.crash = perCore(n, f.crash);
    this.hang = perCore(n, f.hang);
    this.burstRandom = new Array<SeededRandom | undefined>(n).fill(undefined);
    this.burstStart = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    this.burstEnd = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    const im = f.intermittent;
    if (im !== false) {
      const ids = typeof im.cores === 'number' ? pick(setup.fork(), n, im.cores) : im.cores;
      for (const core of ids) {
        const r = setup.fork();
        this.burstRandom[core] = r;
        this.burstStart[core] = exponential(r, im.every);
        this.burstEnd[core] = this.burstStart[core]! + exponential(r, im.length);
      }
    }
    this.flakyRandom = new SeededRandom((random.seed ^ 0x2f1a_c0de) >>> 0);
    this.noisy = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      this.noisy[i] = this.transient[i]! > 0 || this.crash[i]! > 0 || this.hang[i]! > 0 || this.burstRandom[i] !== undefined ? 1 : 0;
    }
  }

  /** Cores failed (onset reached) by `now`. */
  failedBy(now: number): number {
    let count = 0;
    for (let i = 0; i < this.onset.length; i++) if (this.onset[i]! <= now) count++;
    return count;
  }

  isIntermittent(core: number): boolean {
    return this.burstRandom[core] !== undefined;
  }

  /** Outcome of a replica dispatched on `core` at `now`; `flaky`: of the kind that diverges by itself. */
  outcome(core: number, now: number, flaky = false): number {
    let out = OK;
    if (this.onset[core]! <= now) out = this.permanent;
    else if (this.noisy[core] === 1) out = this.draw(core, now);
    // The task's own non-determinism, not the core's fault: not counted in `bad`.
    if (out === OK && flaky && this.flakyRandom.next() < this.f.flaky.rate) return WRONG;
    if (out === OK) return OK;
    if (out === WRONG && this.f.commonMode > 0 && this.random.next() < this.f.commonMode) out = COMMON;
    this.bad[core]!++;
    if (Number.isNaN(this.firstBad[core]!)) this.firstBad[core] = now;
    return out;
  }

  /** A known-answer probe on `core` at `now`: passes unless the core is bad right then. */
  probePasses(core: number, now: number): boolean {
    if (this.onset[core]! <= now) return false;
    if (this.inBurst(core, now) && this.random.next() < (this.f.intermittent === false ? 0 : this.f.intermittent.rate)) return false;
    const t = this.transient[core]!;
    return !(t > 0 && this.random.next() < t);
  }

  /** Why a core was disabled at `now`, for time-to-disable statistics. */
  cause(core: number, now: number): DisableCause {
    if (this.onset[core]! <= now) return 'permanent';
    return this.isIntermittent(core) ? 'intermittent' : 'transient';
  }

  private draw(core: number, now: number): number {
    const r = this.random;
    if (this.crash[core]! > 0 && r.next() < this.crash[core]!) return CRASH;
    if (this.hang[core]! > 0 && r.next() < this.hang[core]!) return HANG;
    if (this.inBurst(core, now) && r.next() < (this.f.intermittent === false ? 0 : this.f.intermittent.rate)) return WRONG;
    if (this.transient[core]! > 0 && r.next() < this.transient[core]!) return WRONG;
    return OK;
  }

  private inBurst(core: number, now: number): boolean {
    const r = this.burstRandom[core];
    if (r === undefined || this.f.intermittent === false) return false;
    const { every, length } = this.f.intermittent;
    while (now >= this.burstEnd[core]!) {
      this.burstStart[core] = this.burstEnd[core]! + exponential(r, every);
      this.burstEnd[core] = this.burstStart[core]! + exponential(r, length);
    }
    return now >= this.burstStart[core]!;
  }
}

function perCore(n: number, spec: { rate: number; cores: number[] | 'all' }): Float64Array {
  const out = new Float64Array(n);
  if (spec.cores === 'all') out.fill(spec.rate);
  else for (const core of spec.cores) out[core] = spec.rate;
  return out;
}
