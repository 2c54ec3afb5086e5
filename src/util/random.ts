/** Uniform random source in [0, 1). Injected so every random decision is seeded and reproducible. */
export interface Random {
  next(): number;
}

/**
 * Small, fast, seedable PRNG (SplitMix32-style mixing of a Weyl sequence).
 * Not cryptographic: it only has to make fault campaigns and simulations reproducible.
 */
export class SeededRandom implements Random {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 0x1_0000_0000;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** A new independent generator derived from this one (for per-core or per-model streams). */
  fork(): SeededRandom {
    return new SeededRandom(Math.floor(this.next() * 0x1_0000_0000));
  }
}
