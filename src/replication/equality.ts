/**
 * The equality of a vote. Two outcomes are equal when their structured clones are
 * indistinguishable:
 *
 * - Primitives: the same type; numbers by `Object.is` (-0 differs from 0, every NaN equals every
 *   NaN); strings by UTF-16 code units (a lone surrogate is itself, never U+FFFD); bigints by
 *   value; booleans, undefined and null by identity.
 * - Boxed primitives (Number, String, Boolean, BigInt objects): the same class and the same
 *   primitive (`Object.is` for Number). Their other properties are not cloned.
 * - Date: the time value by `Object.is`. RegExp: `source` and `flags` (`lastIndex` is not cloned).
 * - ArrayBuffer: the bytes (and, when resizable, `maxByteLength`). Typed arrays, DataView and
 *   Buffer: the same class (the nearest built-in constructor) and the same bytes of the view; the
 *   buffer behind the view is not compared.
 * - Arrays: the same length; a hole differs from `undefined`; elements in order; then the own
 *   enumerable non-index string keys in order, with equal values (a RegExp match's `index`,
 *   `input`, `groups`).
 * - Plain objects: the same own enumerable string keys in the same order, with equal values. The
 *   prototype is not compared: a decoded clone is always a plain object.
 * - Map and Set: the same entries in the same iteration order, keys and values equal.
 * - Errors: the same class (the nearest built-in constructor: Error, EvalError, RangeError,
 *   ReferenceError, SyntaxError, TypeError, URIError, AggregateError), the same `name`, the same
 *   presence (as an own property) and value of `message` and of `cause`, and the same own
 *   enumerable properties in order. The `stack` is not compared: it differs by call path, not by
 *   value.
 * - Shared references and cycles: the shape of the reference graph is part of the value, as a
 *   clone preserves aliasing: `{a: x, b: x}` differs from `{a: x, b: copy of x}`. Objects of the
 *   two values are paired one to one as they are met; an object met again must meet its partner.
 * - Functions and symbols cannot be cloned, so they never reach a vote; they compare by identity.
 *
 * This is stricter than `util.isDeepStrictEqual` in key order, Map and Set order and aliasing
 * (all observable on a clone), and it also checks the classes of errors and boxed primitives.
 * (One place where it is looser: Node 20's isDeepStrictEqual finds two invalid Dates unequal.)
 * Healthy replicas of deterministic code build their values in the same order with the same
 * aliasing, so the extra strictness never splits an honest vote.
 *
 * `sameClone` is the readable reference; the digest (src/codec/canonical.ts) is an independent
 * encoding of the same definition, property-tested against it. This one recurses: it is meant
 * for tests and small values, not for values thousands of levels deep.
 */
import { ERROR_CLASSES, VIEW_CLASSES, type BuiltinClass } from '../codec/builtins.js';
import { types } from 'node:util';

type Kind =
  | 'array'
  | 'object'
  | 'Number'
  | 'String'
  | 'Boolean'
  | 'BigInt'
  | 'Symbol'
  | 'Date'
  | 'RegExp'
  | 'Error'
  | 'Map'
  | 'Set'
  | 'ArrayBuffer'
  | 'SharedArrayBuffer'
  | 'view';

/** What a clone of `value` would be, by its internal slots (the prototype can lie; a clone ignores it). */
function kindOf(value: object): Kind {
  if (Array.isArray(value)) return 'array';
  if (types.isNumberObject(value)) return 'Number';
  if (types.isStringObject(value)) return 'String';
  if (types.isBooleanObject(value)) return 'Boolean';
  if (types.isBigIntObject(value)) return 'BigInt';
  if (types.isSymbolObject(value)) return 'Symbol';
  if (types.isDate(value)) return 'Date';
  if (types.isRegExp(value)) return 'RegExp';
  if (types.isNativeError(value)) return 'Error';
  if (types.isMap(value)) return 'Map';
  if (types.isSet(value)) return 'Set';
  if (types.isArrayBuffer(value)) return 'ArrayBuffer';
  if (types.isSharedArrayBuffer(value)) return 'SharedArrayBuffer';
  if (ArrayBuffer.isView(value)) return 'view';
  return 'object';
}

/** The nearest of `classes` on the prototype chain (a subclass counts as its built-in base). */
function nearestClass(value: object, classes: readonly BuiltinClass[]): BuiltinClass | undefined {
  for (let proto = Object.getPrototypeOf(value) as object | null; proto !== null; proto = Object.getPrototypeOf(proto) as object | null) {
    const found = classes.find((c) => c.prototype === proto);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The primitive inside a boxed value, through the built-in `valueOf` (an own `valueOf` is not cloned). */
function primitiveOf(kind: 'Number' | 'String' | 'Boolean' | 'BigInt' | 'Symbol', value: object): unknown {
  const unbox: Record<typeof kind, (this: object) => unknown> = {
    Number: Number.prototype.valueOf,
    String: String.prototype.valueOf,
    Boolean: Boolean.prototype.valueOf,
    BigInt: BigInt.prototype.valueOf,
    Symbol: Symbol.prototype.valueOf,
  };
  return unbox[kind].call(value);
}

function bytesOf(value: ArrayBufferView | ArrayBufferLike): Buffer {
  return ArrayBuffer.isView(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : Buffer.from(value);
}

function sameBuffer(a: ArrayBuffer | SharedArrayBuffer, b: ArrayBuffer | SharedArrayBuffer): boolean {
  const shape = (x: ArrayBuffer | SharedArrayBuffer): string => {
    const growable = x as { resizable?: boolean; growable?: boolean; maxByteLength?: number };
    return growable.resizable || growable.growable ? `max ${growable.maxByteLength}` : 'fixed';
  };
  return shape(a) === shape(b) && bytesOf(a).equals(bytesOf(b));
}

/** True when the structured clones of `a` and `b` are indistinguishable (see the module comment). */
export function sameClone(a: unknown, b: unknown): boolean {
  return new Pairing().same(a, b);
}

class Pairing {
  private readonly aToB = new Map<object, object>();
  private readonly bToA = new Map<object, object>();

  same(a: unknown, b: unknown): boolean {
    if (typeof a !== typeof b) return false;
    if (typeof a === 'number') return Object.is(a, b);
    // Strings compare by code units; bigints by value; functions and symbols by identity.
    if (typeof a !== 'object' || a === null || b === null) return a === b;
    return this.sameObject(a, b as object);
  }

  private sameObject(a: object, b: object): boolean {
    const partnerOfA = this.aToB.get(a);
    const partnerOfB = this.bToA.get(b);
    if (partnerOfA !== undefined || partnerOfB !== undefined) return partnerOfA === b && partnerOfB === a;
    this.aToB.set(a, b);
    this.bToA.set(b, a);
    const kind = kindOf(a);
    return kind === kindOf(b) && this.sameContents(kind, a, b);
  }

  private sameContents(kind: Kind, a: object, b: object): boolean {
    switch (kind) {
      case 'Number':
      case 'String':
      case 'Boolean':
      case 'BigInt':
      case 'Symbol':
        return Object.is(primitiveOf(kind, a), primitiveOf(kind, b));
      case 'Date':
        return Object.is((a as Date).getTime(), (b as Date).getTime());
      case 'RegExp':
        return (a as RegExp).source === (b as RegExp).source && (a as RegExp).flags === (b as RegExp).flags;
      case 'ArrayBuffer':
      case 'SharedArrayBuffer':
        return sameBuffer(a as ArrayBuffer, b as ArrayBuffer);
      case 'view':
        return nearestClass(a, VIEW_CLASSES) === nearestClass(b, VIEW_CLASSES) && bytesOf(a as ArrayBufferView).equals(bytesOf(b as ArrayBufferView));
      case 'Map':
        return this.sameSequence([...(a as Map<unknown, unknown>)].flat(), [...(b as Map<unknown, unknown>)].flat());
      case 'Set':
        return this.sameSequence([...(a as Set<unknown>)], [...(b as Set<unknown>)]);
      case 'Error':
        return this.sameError(a as Error, b as Error);
      case 'array':
        // Object.keys lists an array's present indices in order, then its named keys: holes and extras alike.
        return (a as unknown[]).length === (b as unknown[]).length && this.sameProperties(a, b);
      case 'object':
        return this.sameProperties(a, b);
    }
  }

  private sameSequence(a: unknown[], b: unknown[]): boolean {
    return a.length === b.length && a.every((x, i) => this.same(x, b[i]));
  }

  /** Own enumerable string keys, in the same order, with equal values. */
  private sameProperties(a: object, b: object): boolean {
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    if (keysA.length !== keysB.length || keysA.some((key, i) => key !== keysB[i])) return false;
    return keysA.every((key) => this.same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
  }

  private sameError(a: Error, b: Error): boolean {
    if (nearestClass(a, ERROR_CLASSES) !== nearestClass(b, ERROR_CLASSES)) return false;
    if (!this.same(a.name, b.name)) return false;
    return this.sameOwn(a, b, 'message') && this.sameOwn(a, b, 'cause') && this.sameProperties(a, b);
  }

  /** The same presence of an own property, and equal values when present. */
  private sameOwn(a: object, b: object, key: string): boolean {
    const has = Object.hasOwn(a, key);
    if (has !== Object.hasOwn(b, key)) return false;
    return !has || this.same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]);
  }
}
