/**
 * Built-in known-answer tasks (KATs) that a worker runs without a user module, to probe a
 * disabled core before it is trusted again. Each one exercises a different part of the core
 * (integer ALU and multiplier, floating point, string/memory handling, hashing) with a fixed
 * input, and its true answer is hard-coded in defaults.ts: computing the expected value at
 * load time would let a faulty core vouch for itself.
 *
 * Every kernel uses only operations whose results JavaScript pins down bit for bit
 * (integer ops, IEEE-754 + - * / % and Math.sqrt, which are correctly rounded). No Math.sin,
 * Math.exp...: their last bit is implementation-defined and could change with Node, which
 * would make every core fail its self-test.
 */
import { createHash } from 'node:crypto';

export const KAT_INT = '__triplex_kat_int';
export const KAT_FLOAT = '__triplex_kat_float';
export const KAT_STRING = '__triplex_kat_string';
export const KAT_HASH = '__triplex_kat_hash';

export interface KatIntInput {
  seed: number;
  rounds: number;
}
export interface KatFloatInput {
  x0: number;
  rounds: number;
}
export interface KatStringInput {
  text: string;
  rounds: number;
}
export interface KatHashInput {
  text: string;
  times: number;
}

/** xorshift32 stream folded with FNV-style Math.imul mixing, division and rotations. Returns a uint32. */
export function katInt(input: KatIntInput): number {
  let x = input.seed >>> 0 || 0x9e3779b9;
  let acc = 0x811c9dc5;
  for (let i = 0; i < input.rounds; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    acc = Math.imul(acc ^ x, 0x01000193) >>> 0;
    acc = (acc + Math.imul(x >>> 3, (i << 1) | 1)) >>> 0;
    acc ^= (x % 65521) << (i & 15);
    acc = ((acc << 7) | (acc >>> 25)) >>> 0;
    acc = (acc - Math.floor(x / ((i & 0xff) + 3))) >>> 0;
  }
  return acc >>> 0;
}

// Taylor coefficients of sin(x)/x in x², evaluated by Horner's rule (deterministic, unlike Math.sin).
const SIN_COEFFS = [1, -1 / 6, 1 / 120, -1 / 5040, 1 / 362880, -1 / 39916800, 1 / 6227020800] as const;

function polySin(x: number): number {
  const x2 = x * x;
  let p = 0;
  for (let i = SIN_COEFFS.length - 1; i >= 0; i--) p = p * x2 + SIN_COEFFS[i]!;
  return x * p;
}

/** A Horner polynomial sine, sqrt, division and fmod kernel iterated over a bounded orbit. */
export function katFloat(input: KatFloatInput): number {
  let x = input.x0;
  let acc = 0;
  for (let i = 0; i < input.rounds; i++) {
    const s = polySin(x);
    const r = Math.sqrt(x * x + 1 + s * s);
    acc += r / (1 + Math.abs(s)) - s * 0.25;
    x = (x * 1.000173 + 0.6180339887498949) % 3;
  }
  return acc;
}

// 64 symbols without quotes or backslashes, so the expected answer reads plainly in source.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Build, reverse, remap, split and join a string; returns a bounded (<= 96 chars) result. */
export function katString(input: KatStringInput): string {
  let s = input.text;
  for (let r = 0; r < input.rounds; r++) {
    const reversed = [...s].reverse();
    const mapped = reversed.map((ch, i) => ALPHABET[(ch.charCodeAt(0) * 31 + i * 7 + r) % 64]!).join('');
    const parts = (mapped + s).split(ALPHABET[r % 64]!);
    s = parts.join(parts.length % 2 === 0 ? '~' : '').slice(0, 96);
    if (r % 5 === 4) s = s.toUpperCase().replaceAll('A', 'z');
  }
  return s;
}

/** SHA-256 (hex) of a string repeated `times` times. */
export function katHash(input: KatHashInput): string {
  return createHash('sha256').update(input.text.repeat(input.times)).digest('hex');
}

/** Built-in KATs by task name, for the worker to run when it receives a `__triplex_kat_*` name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const katTasks: Record<string, (input: any) => unknown> = {
  [KAT_INT]: katInt,
  [KAT_FLOAT]: katFloat,
  [KAT_STRING]: katString,
  [KAT_HASH]: katHash,
};
