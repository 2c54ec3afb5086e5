/** Small typed checks for scenario JSON: every error names the field path and the value. */
import { invalidOption } from '../errors.js';
import { isObject } from '../options/validate.js';

export type Obj = Record<string, unknown>;

/** The kit's plain-object test (scenario JSON never holds anything else). */
export const isObj: (v: unknown) => v is Obj = isObject;

export function obj(path: string, v: unknown): Obj {
  if (!isObj(v)) throw invalidOption(path, 'an object', v, 'type');
  return v;
}

/** Rejects fields the simulator does not know, so a typo never silently falls back to a default. */
export function known(path: string, o: Obj, keys: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (!keys.includes(key)) throw invalidOption(join(path, key), `a known field (${keys.join(', ')})`, o[key], 'type');
  }
}

export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export interface NumRule {
  min?: number;
  /** min is exclusive. */
  above?: boolean;
  max?: number;
  integer?: boolean;
}

export function num(path: string, v: unknown, rule: NumRule = {}): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw invalidOption(path, 'a number', v, 'type');
  const low = rule.min !== undefined && (rule.above === true ? v <= rule.min : v < rule.min);
  const high = rule.max !== undefined && v > rule.max;
  if (!Number.isFinite(v) || low || high || (rule.integer === true && !Number.isInteger(v))) {
    const parts: string[] = [rule.integer === true ? 'an integer' : 'a finite number'];
    if (rule.min !== undefined) parts.push(`${rule.above === true ? '>' : '>='} ${rule.min}`);
    if (rule.max !== undefined) parts.push(`${rule.min !== undefined ? 'and ' : ''}<= ${rule.max}`);
    throw invalidOption(path, parts.join(' '), v, 'range');
  }
  return v;
}

export function optNum(path: string, v: unknown, fallback: number, rule: NumRule = {}): number {
  return v === undefined ? fallback : num(path, v, rule);
}

export function oneOf<T extends string>(path: string, v: unknown, options: readonly T[], fallback?: T): T {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string') throw invalidOption(path, options.map((o) => `'${o}'`).join(' or '), v, 'type');
  if (!(options as readonly string[]).includes(v)) throw invalidOption(path, options.map((o) => `'${o}'`).join(' or '), v, 'range');
  return v as T;
}

/** A list of distinct core ids below n. */
export function coreIds(path: string, v: unknown, n: number): number[] {
  if (!Array.isArray(v)) throw invalidOption(path, 'an array of core ids', v, 'type');
  const seen = new Set<number>();
  v.forEach((id: unknown, i) => {
    num(`${path}[${i}]`, id, { min: 0, max: n - 1, integer: true });
    if (seen.has(id as number)) throw invalidOption(`${path}[${i}]`, 'a core id not listed twice', id, 'range');
    seen.add(id as number);
  });
  return v as number[];
}

/** Cores given as a count (picked with the seed later) or as explicit ids. */
export function countOrIds(path: string, v: unknown, n: number): number | number[] {
  if (Array.isArray(v)) return coreIds(path, v, n);
  return num(path, v, { min: 0, max: n, integer: true });
}

export function getPath(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const key of path.split('.')) {
    if (Array.isArray(cur) && /^\d+$/.test(key)) cur = cur[Number(key)];
    else if (isObj(cur)) cur = cur[key];
    else return undefined;
  }
  return cur;
}

/** Sets a dotted path (numeric segments index arrays), copying what it changes; returns a new root. */
export function setPath(o: Obj | unknown[], path: string, value: unknown): Obj {
  const [head, ...rest] = path.split('.');
  if (head === undefined) return o as Obj;
  const copy: Record<string, unknown> = Array.isArray(o) ? ([...o] as unknown as Record<string, unknown>) : { ...o };
  const next = copy[head];
  copy[head] = rest.length === 0 ? value : setPath(isObj(next) || Array.isArray(next) ? next : {}, rest.join('.'), value);
  return copy;
}

/** Deep merge of plain objects; arrays and scalars in `over` replace. */
export function merge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isObj(prev) && isObj(value) ? merge(prev, value) : value;
  }
  return out;
}

/** Re-throws a field error under another name (a variant's or a sweep value's), keeping its kind. */
export function relabel(error: unknown, option: string, received: unknown): never {
  const data = (error as { data?: { expected?: unknown } }).data;
  if (data === undefined || typeof data.expected !== 'string') throw error;
  throw invalidOption(option, data.expected, received, error instanceof RangeError ? 'range' : 'type');
}
