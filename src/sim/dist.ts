/** Seeded samplers for service times, lifetimes and speed spreads. */
import type { Random } from '../util/random.js';
import type { LifetimeDist, ServiceDist } from './config.js';

/** Standard normal variates by Box–Muller, keeping the second one of each pair. */
export class Normal {
  private spare = 0;
  private hasSpare = false;
  constructor(private readonly random: Random) {}
  next(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const u = 1 - this.random.next(); // (0, 1]: log(0) never happens
    const v = this.random.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    this.hasSpare = true;
    return r * Math.cos(2 * Math.PI * v);
  }
}

/** Exponential variate with the given mean. */
export function exponential(random: Random, mean: number): number {
  return -mean * Math.log(1 - random.next());
}

/** Service times: one draw per task (every replica of a task does the same work). */
export class ServiceSampler {
  private readonly normal: Normal;
  private readonly mu: number;
  private readonly sigma: number;
  constructor(
    private readonly d: ServiceDist,
    private readonly random: Random,
  ) {
    this.normal = new Normal(random);
    // Lognormal parameterised by its mean and coefficient of variation.
    const cv = d.dist === 'lognormal' ? d.cv : 0;
    this.sigma = Math.sqrt(Math.log(1 + cv * cv));
    this.mu = Math.log(d.mean) - (this.sigma * this.sigma) / 2;
  }
  next(): number {
    switch (this.d.dist) {
      case 'constant':
        return this.d.mean;
      case 'exponential':
        return exponential(this.random, this.d.mean);
      default:
        return Math.exp(this.mu + this.sigma * this.normal.next());
    }
  }
}

/** Time until a core turns permanently faulty. */
export function lifetime(d: LifetimeDist, random: Random): number {
  if (d.dist === 'exponential') return exponential(random, d.mean);
  return d.scale * Math.pow(-Math.log(1 - random.next()), 1 / d.shape);
}

/** k distinct integers from [0, n), by a partial Fisher–Yates shuffle. */
export function pick(random: Random, n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random.next() * (n - i));
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.slice(0, k).sort((a, b) => a - b);
}
