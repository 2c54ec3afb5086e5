/**
 * Bounded, adaptive polling of a ring before its consumer sleeps on the futex. A sleeping
 * consumer costs its producer an `Atomics.notify` (a futex wake: a syscall, and on a VM an
 * inter-processor interrupt) for the next record; a consumer that polls a little longer when the
 * next record came soon the last few times is found awake, and the producer only publishes.
 *
 * The poll is bounded (MAX_US) so a consumer never holds its CPU for long from a thread that
 * shares it (on a small machine: the main thread that would write the next record), and it
 * shrinks fast when records stop coming, so an idle pool burns at most MIN_US per idle period.
 */
import type { ByteRing } from './ring.js';

/** Longest poll, µs: about one round trip of the main thread under load, far below a scheduler slice. */
const MAX_US = 50;
/** Shortest poll, µs, once polling stopped paying off. */
const MIN_US = 2;

export class Spinner {
  /** Current poll budget, µs: doubles after a poll that found a record, halves after one that did not. */
  private budget = MIN_US;

  /** Polls `ring` for a record for up to the current budget; true when one arrived. */
  poll(ring: ByteRing): boolean {
    const start = performance.now();
    const until = start + this.budget / 1000;
    for (let now = start; now < until; now = performance.now()) {
      if (ring.pending) {
        this.budget = Math.min(MAX_US, this.budget * 2);
        return true;
      }
    }
    this.budget = Math.max(MIN_US, this.budget / 2);
    return ring.pending;
  }
}
