/**
 * Bit flips on a value's binary form, modelling a real upset rather than a replaced value:
 * a bit of a number's IEEE-754 representation, a bit of one UTF-16 code unit of a string,
 * a bit of a byte of a typed array / Buffer, a bit of a bigint, or a boolean inverted.
 * The leaf is chosen uniformly among the value's leaves.
 */
import type { Random } from '../util/random.js';

export interface FlipRecord {
  /** Where the flip landed, e.g. `$.rows[3].total` or `$` for a scalar. */
  path: string;
  /** Bit index within the leaf (0 = least significant). */
  bit: number;
}

type Leaf = { path: string; get(): unknown; set(v: unknown): void };

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Flips `bits` bits (default 1) of `value` in place where possible; returns the new value and what was flipped. */
export function flipBits(value: unknown, random: Random, bits = 1): { value: unknown; flips: FlipRecord[] } {
  const flips: FlipRecord[] = [];
  let current = value;
  for (let n = 0; n < bits; n++) {
    const holder = { root: current };
    const leaves: Leaf[] = [];
    collectLeaves(holder, 'root', '$', leaves, new Set());
    if (leaves.length === 0) {
      // Nothing to flip (undefined, null, empty containers): the upset turns the value into a distinct marker so it is still visible.
      current = { __triplexCorrupted: n };
      flips.push({ path: '$', bit: -1 });
      continue;
    }
    const leaf = leaves[Math.floor(random.next() * leaves.length)]!;
    const bit = flipLeaf(leaf, random);
    flips.push({ path: leaf.path, bit });
    current = holder.root;
  }
  return { value: current, flips };
}

function collectLeaves(parent: Record<string | number, unknown>, key: string | number, path: string, out: Leaf[], seen: Set<object>): void {
  const value = parent[key];
  const leaf = (): Leaf => ({ path, get: () => parent[key], set: (v) => { parent[key] = v; } });
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'bigint' || typeof value === 'boolean') {
    if (typeof value === 'string' && value.length === 0) return;
    out.push(leaf());
    return;
  }
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  if (ArrayBuffer.isView(value)) {
    if (value.byteLength > 0) out.push(leaf());
    return;
  }
  if (value instanceof Map) {
    // Flip map values; keys stay (a flipped key models a different fault: a lost entry).
    const entries = [...value.entries()];
    const box: Record<number, unknown> = {};
    entries.forEach(([k, v], i) => {
      box[i] = v;
      const before = out.length;
      collectLeaves(box, i, `${path}.get(${String(k)})`, out, seen);
      for (let j = before; j < out.length; j++) {
        const inner = out[j]!;
        const set = inner.set;
        out[j] = { path: inner.path, get: inner.get, set: (nv) => { set(nv); value.set(k, box[i]); } };
      }
    });
    return;
  }
  if (value instanceof Set || value instanceof Date || value instanceof RegExp) return;
  const container = value as Record<string | number, unknown>;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) collectLeaves(container, i, `${path}[${i}]`, out, seen);
    return;
  }
  for (const k of Object.keys(container)) collectLeaves(container, k, `${path}.${k}`, out, seen);
}

function flipLeaf(leaf: Leaf, random: Random): number {
  const value = leaf.get();
  if (typeof value === 'number') {
    const bit = Math.floor(random.next() * 64);
    f64[0] = value;
    u32[bit >> 5]! ^= 1 << (bit & 31);
    const flipped = f64[0]!;
    // A flip can turn a number into a NaN with a payload that v8 canonicalises; force a visible change.
    leaf.set(Number.isNaN(flipped) && Number.isNaN(value) ? 0 : flipped);
    return bit;
  }
  if (typeof value === 'string') {
    const index = Math.floor(random.next() * value.length);
    const bit = Math.floor(random.next() * 16);
    const code = value.charCodeAt(index) ^ (1 << bit);
    leaf.set(value.slice(0, index) + String.fromCharCode(code) + value.slice(index + 1));
    return index * 16 + bit;
  }
  if (typeof value === 'bigint') {
    const bit = Math.floor(random.next() * 64);
    leaf.set(value ^ (1n << BigInt(bit)));
    return bit;
  }
  if (typeof value === 'boolean') {
    leaf.set(!value);
    return 0;
  }
  const view = value as ArrayBufferView;
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const bit = Math.floor(random.next() * bytes.length * 8);
  bytes[bit >> 3]! ^= 1 << (bit & 7);
  return bit;
}
