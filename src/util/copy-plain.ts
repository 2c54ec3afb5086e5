/**
 * A deep copy of plain objects and arrays, for snapshots handed to callers: what they change in it
 * never reaches the original. Anything else (functions, class instances such as a FaultInjector)
 * and the values in `shared` (the user's own data) are handed over as they are.
 */
export function copyPlain<T>(value: T, shared: ReadonlySet<unknown> = new Set()): T {
  if (shared.has(value)) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => copyPlain(item, shared)) as T;
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = copyPlain(item, shared);
  return copy as T;
}
