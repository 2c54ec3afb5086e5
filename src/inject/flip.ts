/**
 * Bit flips on a value's binary form, modelling a real upset rather than a replaced value:
 * a bit of a number's IEEE-754 representation, a bit of one UTF-16 code unit of a string,
 * a bit of a byte of a typed array / Buffer, a bit of a bigint, or a boolean inverted.
 * The leaf is chosen uniformly among the value's leaves.
 */
import type { Random } from '../util/random.js';
import { textOf } from '../errors.js';

export interface FlipRecord {
  /** Where the flip landed, e.g. `$.rows[3].total` or `$` for a scalar. */
  path: string;
  /** Bit index within the leaf (0 = least significant). */
  bit: number;
}

type Leaf = { path: string; get(): unknown; set(v: unknown): void };

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * Flips `bits` distinct bits (default 1) of `value` in place where possible; returns the new value
 * and what was flipped. Distinct, because a multi-bit upset that flipped one bit twice would
 * silently be no upset at all.
 */
export function flipBits(value: unknown, random: Random, bits = 1): { value: unknown; flips: FlipRecord[] } {
  const flips: FlipRecord[] = [];
  const taken = new Set<string>();
  let current = value;
  for (let n = 0; n < bits; n++) {
    const holder = { root: current };
    const leaves: Leaf[] = [];
    collectLeaves(holder, 'root', '$', leaves, new Set());
    if (leaves.length === 0) {
      // Nothing to flip (undefined, null, empty containers): the upset turns the value into a marker so it is still
      // visible, drawn at random so that two independent upsets do not agree (they would win a vote together).
      current = { __triplexCorrupted: Math.floor(random.next() * 2 ** 32) };
      flips.push({ path: '$', bit: -1 });
      continue;
    }
    let leaf = leaves[0]!;
    let bit = 0;
    // A few redraws find an untouched bit; a value with fewer bits than asked (a boolean) repeats one.
    for (let attempt = 0; attempt < 32; attempt++) {
      leaf = leaves[Math.floor(random.next() * leaves.length)]!;
      bit = chooseBit(leaf.get(), random);
      if (!taken.has(`${leaf.path}#${bit}`)) break;
    }
    taken.add(`${leaf.path}#${bit}`);
    flipBit(leaf, bit);
    flips.push({ path: leaf.path, bit });
    current = holder.root;
  }
  return { value: current, flips };
}

function collectLeaves(parent: Record<string | number, unknown>, key: string | number, path: string, out: Leaf[], seen: Set<object>): void {
  const value = parent[key];
  const leaf = (): Leaf => ({
    path,
    get: () => parent[key],
    set: (v) => {
      parent[key] = v;
    },
  });
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
  if (value instanceof Date) {
    // A bit of its integer time value (a flipped fraction of a ms would be clipped away); an invalid date has none.
    const time = value.getTime();
    if (!Number.isNaN(time)) out.push({ path: `${path}.time`, get: () => BigInt(time), set: (v) => value.setTime(Number(v)) });
    return;
  }
  if (value instanceof Map) {
    // Flip map values; keys stay (a flipped key models a different fault: a lost entry).
    const entries = [...value.entries()];
    collectEntries(
      entries.map(([, v]) => v),
      entries.map(([k]) => `${path}.get(${textOf(k)})`),
      (i, v) => value.set(entries[i]![0], v),
      out,
      seen,
    );
    return;
  }
  if (value instanceof Set) {
    // A flipped element replaces the original in place: the set is rebuilt in its order.
    const items = [...value];
    collectEntries(
      items,
      items.map((_, i) => `${path}.values()[${i}]`),
      (i, v) => {
        items[i] = v;
        value.clear();
        for (const item of items) value.add(item);
      },
      out,
      seen,
    );
    return;
  }
  if (value instanceof RegExp) return;
  const container = value as Record<string | number, unknown>;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) collectLeaves(container, i, `${path}[${i}]`, out, seen);
    return;
  }
  for (const k of Object.keys(container)) collectLeaves(container, k, `${path}.${k}`, out, seen);
}

/** The leaves inside `values`, whose changes `store(i, value)` writes back into the collection they came from. */
function collectEntries(values: unknown[], paths: string[], store: (index: number, value: unknown) => void, out: Leaf[], seen: Set<object>): void {
  const box: Record<number, unknown> = { ...values };
  values.forEach((_, i) => {
    const before = out.length;
    collectLeaves(box, i, paths[i]!, out, seen);
    for (let j = before; j < out.length; j++) {
      const inner = out[j]!;
      out[j] = {
        path: inner.path,
        get: inner.get,
        set: (nv) => {
          inner.set(nv);
          store(i, box[i]);
        },
      };
    }
  });
}

/** A uniformly chosen bit of a leaf: IEEE-754 bit of a number, code-unit bit of a string (index × 16 + bit), byte bit of a view. */
function chooseBit(value: unknown, random: Random): number {
  if (typeof value === 'number' || typeof value === 'bigint') return Math.floor(random.next() * 64);
  if (typeof value === 'string') return Math.floor(random.next() * value.length) * 16 + Math.floor(random.next() * 16);
  if (typeof value === 'boolean') return 0;
  return Math.floor(random.next() * (value as ArrayBufferView).byteLength * 8);
}

function flipBit(leaf: Leaf, bit: number): void {
  const value = leaf.get();
  if (typeof value === 'number') {
    f64[0] = value;
    u32[bit >> 5]! ^= 1 << (bit & 31);
    const flipped = f64[0]!;
    // A flip can turn a number into a NaN with a payload that v8 canonicalises; force a visible change.
    leaf.set(Number.isNaN(flipped) && Number.isNaN(value) ? 0 : flipped);
    return;
  }
  if (typeof value === 'string') {
    const index = bit >> 4;
    const code = value.charCodeAt(index) ^ (1 << (bit & 15));
    leaf.set(value.slice(0, index) + String.fromCharCode(code) + value.slice(index + 1));
    return;
  }
  if (typeof value === 'bigint') {
    leaf.set(value ^ (1n << BigInt(bit)));
    return;
  }
  if (typeof value === 'boolean') {
    leaf.set(!value);
    return;
  }
  const view = value as ArrayBufferView;
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  bytes[bit >> 3]! ^= 1 << (bit & 7);
}
