/** The `determinism` option and the per-task order it produces on the main thread. */
import { invalidOption } from '../errors.js';
import { SeededRandom } from '../util/random.js';
import type { DeterminismOrder } from '../transport/protocol.js';
import { DEFAULT_DETERMINISM } from '../options/defaults.js';
import { isObject } from '../options/validate.js';

export interface DeterminismOptions {
  /** Seed `Math.random` per task (the same stream on every replica of a task). @default true */
  random?: boolean;
  /** `Date.now()`, `new Date()`, `Date()` and `performance.now()` read the time journaled at submission. @default true */
  clock?: boolean;
}

export interface ResolvedDeterminism {
  random: boolean;
  clock: boolean;
}

export function resolveDeterminism(value: unknown): ResolvedDeterminism {
  if (value === undefined || value === true) return { ...DEFAULT_DETERMINISM };
  if (value === false) return { random: false, clock: false };
  if (!isObject(value)) throw invalidOption('determinism', 'a boolean or { random?, clock? }', value, 'type');
  for (const key of Object.keys(value)) {
    if (key !== 'random' && key !== 'clock') throw invalidOption(`determinism.${key}`, 'a known part (random, clock)', value[key], 'range');
  }
  const part = (key: 'random' | 'clock'): boolean => {
    const v = value[key];
    if (v !== undefined && typeof v !== 'boolean') throw invalidOption(`determinism.${key}`, 'a boolean', v, 'type');
    return v !== false;
  };
  return { random: part('random'), clock: part('clock') };
}

/**
 * Journals what every replica of one task will see: a seed from the pool's own seeded stream
 * (one draw per task, so tasks differ and a pool's seed reproduces them) and the clock now.
 */
export class DeterminismJournal {
  private readonly seeds: SeededRandom;

  constructor(
    private readonly options: ResolvedDeterminism,
    poolSeed: number,
  ) {
    this.seeds = new SeededRandom((poolSeed ^ 0x5eed_d37) >>> 0);
  }

  /** The order for a task submitted now; undefined when determinism is off. */
  /** The task's random seed, drawn at submission (undefined when Math.random is not seeded). */
  seed(): number | undefined {
    return this.options.random ? Math.floor(this.seeds.next() * 0x1_0000_0000) : undefined;
  }

  /**
   * What every replica of a task runs under: its seed and the clock as it read when the task was
   * submitted (`submittedAt`, a performance.now() reading). Built when the task is first placed, so
   * a queued task holds only two numbers.
   */
  order(seed: number | undefined, submittedAt: number): DeterminismOrder | undefined {
    const o = this.options;
    if (!o.random && !o.clock) return undefined;
    const order: DeterminismOrder = {};
    if (seed !== undefined) order.seed = seed;
    if (o.clock) {
      order.now = performance.timeOrigin + submittedAt;
      order.perf = submittedAt;
    }
    return order;
  }
}
