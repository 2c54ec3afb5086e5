/**
 * Blame concentration, per task kind. A real hardware fault concentrates: a mercurial core is
 * charged on every task of the kind it runs, and gets disabled after a few. A non-deterministic
 * task (or a burst of transients) spreads its disagreements over whichever cores happened to be
 * the odd one out. So: keep the cores of the last `window` charges of each kind, and when they
 * span >= minCores distinct cores with no core holding more than maxShare of them, suspect the
 * kind rather than the cores.
 *
 * Entries also expire after `horizon` ms (two half-lives): charges spaced that far apart cannot
 * push any core to disableAt, and without expiry rare transients collected over days would
 * eventually look "spread out" and silence a healthy kind forever.
 */
export interface BlameOptions {
  window: number;
  minCores: number;
  maxShare: number;
}

export class BlameWindow {
  private readonly cores: number[] = [];
  private readonly times: number[] = [];

  constructor(
    private readonly options: BlameOptions,
    private readonly horizon: number,
  ) {}

  /** Records a charge; returns the distinct cores when the window now reads as non-deterministic. */
  observe(core: number, now: number): number[] | undefined {
    this.cores.push(core);
    this.times.push(now);
    // Small arrays (window is ~20): shift() is cheaper than any ring-buffer bookkeeping here.
    while (this.cores.length > this.options.window || (this.times.length > 0 && now - this.times[0]! > this.horizon)) {
      this.cores.shift();
      this.times.shift();
    }
    return this.spread();
  }

  private spread(): number[] | undefined {
    const total = this.cores.length;
    if (total < this.options.minCores) return undefined;
    const counts = new Map<number, number>();
    let max = 0;
    for (const core of this.cores) {
      const n = (counts.get(core) ?? 0) + 1;
      counts.set(core, n);
      if (n > max) max = n;
    }
    if (counts.size < this.options.minCores) return undefined;
    // Tiny tolerance so that e.g. 2 of 5 with maxShare 0.4 counts as "not more than".
    if (max > this.options.maxShare * total + 1e-9) return undefined;
    return [...counts.keys()].sort((a, b) => a - b);
  }
}
