/**
 * piscina's movable values: `move(buffer)` wraps a buffer with two registered symbols, so a value
 * moved with piscina's move() or triplex's is recognized by both, on either side of a worker.
 */

/** The same symbols as piscina's move(). */
export const TRANSFERABLE = Symbol.for('Piscina.transferable');
export const VALUE = Symbol.for('Piscina.valueOf');

/** A value whose buffer moves to the other side (see Triplex.move). */
export interface Movable<T = unknown> {
  readonly [TRANSFERABLE]: ArrayBuffer;
  readonly [VALUE]: T;
}

/** Whether a value was wrapped by move() (ours or piscina's: its getters live on a prototype, hence `in`). */
export function isMovable(value: unknown): value is Movable {
  return typeof value === 'object' && value !== null && TRANSFERABLE in value && VALUE in value;
}

/** The value a movable wraps; any other value as it is. */
export function movedValue(value: unknown): unknown {
  return isMovable(value) ? value[VALUE] : value;
}
