/**
 * Values for the equality property tests: arbitraries covering what a structured clone can hold
 * (and the corners the digest once got wrong), one-step mutations that make near-equal pairs,
 * and re-representation (same value, other V8 field/element representation).
 */
import { types } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { fc } from '@fast-check/vitest';

/** Defines an own enumerable property: plain assignment of `__proto__` would set the prototype instead. */
export function put(target: object, key: string, v: unknown): void {
  Object.defineProperty(target, key, { value: v, enumerable: true, writable: true, configurable: true });
}

function withExtras<T extends object>(target: T, extra: Record<string, unknown>): T {
  for (const [k, v] of Object.entries(extra)) if (k !== 'length') put(target, k, v);
  return target;
}

export const clone = <T>(value: T): T => deserialize(serialize(value)) as T;

/** The decoded clone of `value`, or undefined when v8 cannot serialize it. */
export function decoded(value: unknown): { value: unknown } | undefined {
  try {
    return { value: clone(value) };
  } catch {
    return undefined;
  }
}

const ERRORS = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError] as const;
type ViewClass = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;
/** [bytes per element, class]; DataView counts one byte per element. */
const VIEWS: [number, ViewClass][] = [
  [1, Uint8Array],
  [1, Int8Array],
  [1, Uint8ClampedArray],
  [2, Uint16Array],
  [2, Int16Array],
  [4, Float32Array],
  [8, Float64Array],
  [1, DataView],
];

/** UTF-16 units, lone surrogates included (fast-check's 'binary' unit never makes half a pair). */
const unit = fc.oneof(
  fc.constantFrom('a', 'b', '0', ' ', 'é', '\u0000', '\ufffd'),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const text = fc.string({ unit, maxLength: 6 });
const key = fc.oneof(fc.constantFrom('a', 'b', 'c', 'index', 'input', '1e3', '01', '__proto__'), text);
const number = fc.oneof(
  fc.constantFrom(0, -0, Number.NaN, 1, -1, 0.5, 2 ** 31, -(2 ** 31), 2 ** 31 - 1, Infinity, -Infinity, Number.MIN_VALUE),
  fc.integer({ min: -1000, max: 1000 }),
  fc.double(),
);
const bytes = fc.uint8Array({ maxLength: 8 });

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  number,
  text,
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.constantFrom(true, false, undefined, null),
  fc.oneof(
    number.map((n) => new Number(n)),
    text.map((s) => new String(s)),
    fc.boolean().map((b) => new Boolean(b)),
    fc.bigInt().map((b) => Object(b) as object),
  ),
  fc.oneof(fc.constant(Number.NaN), fc.integer({ min: -1e12, max: 1e12 })).map((t) => new Date(t)),
  fc
    .tuple(fc.constantFrom('a', 'a(b)?', '\\d+', '[x-z]', '', '\\u{1F600}'), fc.subarray(['g', 'i', 'm', 's', 'u', 'y']))
    .map(([source, flags]) => new RegExp(source, flags.join(''))),
  fc.tuple(fc.constantFrom('xab', 'ab', 'zzab', 'b', 'abab'), fc.constantFrom(/a(b)?/, /(?<n>b)/, /a/g)).map(([s, r]) => s.match(r)),
  bytes.map((u) => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength)),
  fc.tuple(bytes, fc.nat(3), fc.constantFrom(...VIEWS)).map(([u, shift, [size, View]]) => {
    // A view at an (aligned) offset into a larger buffer, as decoded values are.
    const count = Math.floor(u.byteLength / size);
    const buffer = new ArrayBuffer((shift + count) * size);
    new Uint8Array(buffer, shift * size).set(u.subarray(0, count * size));
    return new View(buffer, shift * size, count);
  }),
  bytes.map((u) => Buffer.from(u)),
  fc.anything({
    maxDepth: 2,
    withTypedArray: true,
    withMap: true,
    withSet: true,
    withDate: true,
    withBoxedValues: true,
    withSparseArray: true,
    withNullPrototype: true,
    withBigInt: true,
    withObjectString: false,
  }),
);

function makeError(kind: number, message: string | undefined, cause: { value: unknown } | null, extra: Record<string, unknown>): Error {
  const options = cause === null ? undefined : { cause: cause.value };
  const error = kind === ERRORS.length ? new AggregateError([], message, options) : new ERRORS[kind % ERRORS.length]!(message, options);
  return withExtras(error, extra);
}

/** Values up to a few levels deep, mixing every kind of container. */
export const value: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'value', depthSize: 'small' },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    fc.sparseArray(tie('value'), { maxLength: 6, maxNumElements: 3 }),
    fc.tuple(fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(key, tie('value'), { maxKeys: 2 })).map(([items, extra]) => withExtras(items, extra)),
    fc
      .tuple(
        fc.nat(ERRORS.length), // the last one is AggregateError
        fc.option(text, { nil: undefined }),
        fc.option(tie('value').map((v) => ({ value: v }))),
        fc.dictionary(key, tie('value'), { maxKeys: 2 }),
      )
      .map(([kind, message, cause, extra]) => makeError(kind, message, cause, extra)),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => new Set(items)),
  ),
})).value;

// Walking a value graph: every place that holds a value.

interface Slot {
  get(): unknown;
  set(v: unknown): void;
}

interface Site {
  slot: Slot;
  value: unknown;
  /** False for the second and later slots that hold an object already met. */
  first: boolean;
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === Object.prototype || proto === null || Array.isArray(v);
}

const keySlot = (target: Record<string, unknown>, k: string): Slot => ({ get: () => target[k], set: (v) => put(target, k, v) });

/** Every slot reachable from `holder.root`, in first-visit order (cycles visited once). */
export function sites(holder: { root: unknown }): Site[] {
  const out: Site[] = [];
  const met = new Set<object>();
  const visit = (slot: Slot): void => {
    const v = slot.get();
    const first = typeof v !== 'object' || v === null || !met.has(v);
    out.push({ slot, value: v, first });
    if (!first || typeof v !== 'object' || v === null) return;
    met.add(v);
    if (isPlain(v)) for (const k of Object.keys(v)) visit(keySlot(v as Record<string, unknown>, k));
    else if (types.isMap(v)) for (const k of [...v.keys()]) visit({ get: () => v.get(k), set: (x) => void v.set(k, x) });
    else if (types.isSet(v)) for (const x of [...v]) visit({ get: () => x, set: () => undefined });
    else if (types.isNativeError(v) && Object.hasOwn(v, 'cause')) visit(keySlot(v as unknown as Record<string, unknown>, 'cause'));
  };
  visit(keySlot(holder as unknown as Record<string, unknown>, 'root'));
  return out;
}

// One small mutation.

function flipLastBit(n: number): number {
  const f = new Float64Array([n]);
  new Uint8Array(f.buffer)[0]! ^= 1;
  return f[0]!;
}

function loneSurrogate(s: string, how: number): string {
  const u = String.fromCharCode(0xd800 + (how % 0x800));
  if (s.length === 0) return u;
  const at = how % s.length;
  return s.slice(0, at) + u + s.slice(at + 1);
}

function mutatePrimitive(v: unknown, how: number): unknown {
  switch (typeof v) {
    case 'number':
      return [flipLastBit(v), Object.is(v, 0) ? -0 : Object.is(v, -0) ? 0 : -v, Number.isNaN(v) ? 0 : Number.NaN, v + 1][how % 4];
    case 'string':
      return how % 3 === 0 ? v + 'x' : loneSurrogate(v, how);
    case 'bigint':
      return v + 1n;
    case 'boolean':
      return !v;
    default:
      return v === undefined ? null : undefined;
  }
}

function mutateKeys(target: Record<string, unknown>, how: number): void {
  const keys = Object.keys(target);
  const k = keys[how % Math.max(1, keys.length)];
  if (k === undefined || how % 3 === 0) put(target, `k${how % 5}`, how);
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- values with keys removed and reordered are the point
  else if (how % 3 === 1) delete target[k];
  else {
    // Reorder: the key moves to the end (for an array index this is a no-op: indices stay in order).
    const v = target[k];
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- reordering a key
    delete target[k];
    put(target, k, v);
  }
}

function mutateArray(array: unknown[], how: number): void {
  // Object.keys lists present indices first, in order: the first index missing from it is the first hole.
  const keys = Object.keys(array);
  let firstHole: number | undefined = keys.findIndex((k, i) => k !== String(i));
  if (firstHole === -1) firstHole = keys.length < array.length ? keys.length : undefined;
  const variant = how % 4;
  if (variant === 0 && firstHole !== undefined) array[firstHole] = undefined;
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a hole in an array
  else if (variant === 1 && array.length > 0) delete array[how % array.length];
  else if (variant === 2) array.length += 1;
  else mutateKeys(array as unknown as Record<string, unknown>, how);
}

function mutateError(error: Error, how: number): Error {
  const variant = how % 4;
  const current = ERRORS.findIndex((c) => c.prototype === Object.getPrototypeOf(error));
  if (variant === 0) Object.setPrototypeOf(error, ERRORS[(current + 1 + (how % 6)) % ERRORS.length]!.prototype);
  else if (variant === 1 && Object.hasOwn(error, 'cause')) delete error.cause;
  else if (variant === 1) Object.defineProperty(error, 'cause', { value: how, writable: true, configurable: true });
  else if (variant === 2) error.message = Object.hasOwn(error, 'message') ? `${error.message}.` : '';
  else Object.defineProperty(error, 'cause', { value: Object.hasOwn(error, 'cause') ? mutatePrimitive(error.cause, how) : undefined, configurable: true });
  return error;
}

function mutateView(view: ArrayBufferView, how: number): unknown {
  const raw = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (how % 3 !== 0 && raw.length > 0) {
    raw[how % raw.length]! ^= 1 << (how % 8);
    return view;
  }
  const copy = raw.slice();
  if (Buffer.isBuffer(view)) return new Uint8Array(copy);
  if (view instanceof Uint8Array) return how % 2 === 0 ? Buffer.from(copy) : new Int8Array(copy.buffer);
  return view instanceof DataView ? new Uint8Array(copy) : new DataView(copy.buffer);
}

function mutateObject(v: object, how: number): unknown {
  if (Array.isArray(v)) mutateArray(v, how);
  else if (types.isNativeError(v)) return mutateError(v, how);
  else if (types.isNumberObject(v)) return how % 2 === 0 ? new Number(flipLastBit(v.valueOf())) : new String(String(v.valueOf()));
  else if (types.isStringObject(v)) return how % 2 === 0 ? new String(loneSurrogate(v.valueOf(), how)) : v.valueOf();
  else if (types.isBooleanObject(v)) return how % 2 === 0 ? new Boolean(!v.valueOf()) : new Number(Number(v.valueOf()));
  else if (types.isBigIntObject(v)) return Object(BigInt.prototype.valueOf.call(v) + 1n) as object;
  else if (types.isDate(v)) v.setTime(Number.isNaN(v.getTime()) ? 0 : v.getTime() + 1);
  else if (types.isRegExp(v)) return new RegExp(v.source, v.flags.includes('g') ? v.flags.replace('g', '') : `${v.flags}g`);
  else if (ArrayBuffer.isView(v)) return mutateView(v, how);
  else if (types.isArrayBuffer(v) && v.byteLength === 0) return new ArrayBuffer(1);
  else if (types.isArrayBuffer(v)) new Uint8Array(v)[how % v.byteLength]! ^= 1;
  else if (types.isMap(v) || types.isSet(v)) mutateCollection(v, how);
  else mutateKeys(v as Record<string, unknown>, how);
  return v;
}

function mutateCollection(v: Map<unknown, unknown> | Set<unknown>, how: number): void {
  const entries = [...v.entries()];
  const first = entries[0];
  if (first === undefined || how % 3 === 0) {
    if (types.isMap(v)) v.set(`k${how}`, how);
    else v.add(`m${how}`);
  } else if (how % 3 === 1) {
    v.delete(first[0]);
  } else {
    // Reorder: the first entry moves to the end.
    v.delete(first[0]);
    if (types.isMap(v)) v.set(first[0], first[1]);
    else v.add(first[0]);
  }
}

/** Breaks an alias (a later slot gets a copy) or adds one (a slot gets another slot's object). */
function realias(all: Site[], how: number): boolean {
  const later = all.filter((s) => !s.first);
  if (how % 2 === 0 && later.length > 0) {
    const site = later[how % later.length]!;
    site.slot.set(clone(site.value));
    return true;
  }
  const objects = all.filter((s) => s.first && typeof s.value === 'object' && s.value !== null);
  if (objects.length < 2) return false;
  const from = objects[how % objects.length]!;
  const to = objects[(how >> 3) % objects.length]!;
  to.slot.set(from.value);
  return true;
}

/** `holder.root` with one small change at the site picked by `pick`, of the kind picked by `how`. */
export function mutate(holder: { root: unknown }, pick: number, how: number): void {
  const all = sites(holder);
  if (how % 7 === 6 && realias(all, how >> 3)) return;
  const site = all[pick % all.length]!;
  const v = site.value;
  site.slot.set(typeof v === 'object' && v !== null ? mutateObject(v, how) : mutatePrimitive(v, how));
}

/**
 * The same value in another V8 representation: every integer field first holds a double (the
 * field becomes a double field), every array of small integers gets a double written and removed
 * (its elements become doubles).
 */
export function rerepresent(root: unknown): void {
  const met = new Set<object>();
  const visit = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || met.has(v) || !isPlain(v)) return;
    met.add(v);
    const target = v as Record<string, unknown>;
    for (const k of Object.keys(target)) {
      const field = target[k];
      if (typeof field === 'number' && Number.isInteger(field) && !Array.isArray(v)) {
        target[k] = 0.5; // an own data property: assignment keeps it own, even for `__proto__`
        target[k] = field;
      }
      visit(field);
    }
    if (Array.isArray(v) && v.length > 0 && Object.keys(v).length === v.length) {
      v[v.length] = 0.5;
      v.length -= 1;
    }
  };
  visit(root);
}

/** Adds aliases and cycles: for each link, one container gets a key (or element) holding another container, maybe its ancestor. */
export function entangle(root: unknown, links: [number, number][]): unknown {
  const holder = { root: root as unknown };
  const containers = sites(holder)
    .filter((s) => s.first && typeof s.value === 'object' && s.value !== null && isPlain(s.value))
    .map((s) => s.value as Record<string, unknown>);
  if (containers.length === 0) return root;
  links.forEach(([from, to], i) => {
    const host = containers[from % containers.length]!;
    const target = containers[to % containers.length]!;
    if (Array.isArray(host) && host.length < 100)
      Array.prototype.push.call(host, target); // host may have an own `push`
    else put(host, `ref${i}`, target);
  });
  return holder.root;
}

/** Node 20's isDeepStrictEqual finds two invalid Dates unequal (NaN !== NaN); the definition compares time values by Object.is. */
export function hasInvalidDate(value: unknown, met = new Set<unknown>()): boolean {
  if (typeof value !== 'object' || value === null || met.has(value)) return false;
  met.add(value);
  if (types.isDate(value)) return Number.isNaN(value.getTime());
  const children = types.isMap(value) ? [...value].flat() : types.isSet(value) ? [...value] : Object.values(value);
  return children.some((child) => hasInvalidDate(child, met)) || (types.isNativeError(value) && hasInvalidDate(value.cause, met));
}
