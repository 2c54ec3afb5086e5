/**
 * The one validation kit for options: the pool's resolver, the health options, the simulator's
 * scenario fields, campaigns, the fault injector and the CLI all check values with these, so a
 * wrong value reads the same everywhere. Every failure is ERR_INVALID_OPTION from invalidOption:
 * a TypeError for a value of the wrong type, a RangeError for a value out of range, and the
 * message names the option and shows the value received.
 */
import { invalidOption } from '../errors.js';

/** A plain options object: not null, not an array. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as an options object, else a TypeError naming `name`. */
export function objectOption(name: string, value: unknown, expected = 'an object'): Record<string, unknown> {
  if (!isObject(value)) throw invalidOption(name, expected, value, 'type');
  return value;
}

/** The longest delay setTimeout honours: a longer one fires at once (Node warns TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface NumberRule {
  /** Integers only. */
  integer?: boolean;
  /** Infinity is accepted (it reads "no limit"). */
  infinity?: boolean;
  /** Inclusive upper bound. */
  max?: number;
  /** The minimum itself is refused (`> min` instead of `>= min`). */
  exclusive?: boolean;
}

function describeRule(min: number, rule: NumberRule): string {
  const kind = rule.integer === true ? 'an integer' : 'a finite number';
  const max = rule.max !== undefined ? ` and <= ${rule.max}` : '';
  return `${kind} ${rule.exclusive === true ? '>' : '>='} ${min}${max}${rule.infinity === true ? ' (or Infinity)' : ''}`;
}

/** A required number with a minimum; returns it, or throws naming the option and the rule. */
export function checkNumber(name: string, value: unknown, min: number, rule: NumberRule = {}): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalidOption(name, 'a number', value, 'type');
  if (value === Number.POSITIVE_INFINITY && rule.infinity === true) return value;
  const low = rule.exclusive === true ? value <= min : value < min;
  if (!Number.isFinite(value) || low || (rule.integer === true && !Number.isInteger(value)) || (rule.max !== undefined && value > rule.max)) {
    throw invalidOption(name, describeRule(min, rule), value, 'range');
  }
  return value;
}

/** An optional number option: `fallback` (its default) when undefined, else checked as checkNumber does. */
export function numberOption(name: string, value: unknown, fallback: number, min: number, rule: NumberRule = {}): number {
  return value === undefined ? fallback : checkNumber(name, value, min, rule);
}

/** One of a fixed set of strings; `fallback` (its default) when undefined. */
export function enumOption<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  const expected = `one of ${allowed.map((a) => `'${a}'`).join(', ')}`;
  if (typeof value !== 'string') throw invalidOption(name, expected, value, 'type');
  if (!(allowed as readonly string[]).includes(value)) throw invalidOption(name, expected, value, 'range');
  return value as T;
}

/** A boolean option; `fallback` (its default) when undefined. */
export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidOption(name, 'a boolean', value, 'type');
  return value;
}

/** A string option, non-empty unless `allowEmpty`; `fallback` when undefined. */
export function stringOption(name: string, value: unknown, fallback: string, allowEmpty = false): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw invalidOption(name, 'a string', value, 'type');
  if (!allowEmpty && value.length === 0) throw invalidOption(name, 'a non-empty string', value, 'range');
  return value;
}

/** An array of strings (task kinds, names). */
export function stringListOption(name: string, value: unknown, expected = 'an array of strings'): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalidOption(name, expected, value, 'type');
  return value as string[];
}

/** Rejects keys outside `known`, so a typo never silently falls back to a default. */
export function rejectUnknown(prefix: string, value: Record<string, unknown>, known: readonly string[], what = 'a known option'): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw invalidOption(prefix === '' ? key : `${prefix}.${key}`, `${what} (${known.join(', ')})`, value[key], 'range');
  }
}
