/**
 * A core's relative slowness, as placement reads it (CoreView.speed): each replica's time over
 * its task's fastest replica, smoothed per core. The pool and the simulator both update it here.
 */

/** Replicas shorter than this (ms) are too short to time reliably: they leave the estimate alone. */
export const MIN_TIMED_MS = 0.02;
/** Weight of the newest ratio in the moving average. */
export const SPEED_WEIGHT = 0.1;

export function smoothedSpeed(previous: number, ms: number, fastestMs: number): number {
  if (fastestMs < MIN_TIMED_MS) return previous;
  return previous * (1 - SPEED_WEIGHT) + (ms / fastestMs) * SPEED_WEIGHT;
}
