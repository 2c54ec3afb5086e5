/**
 * The built-in classes a structured clone can hold, found by prototype and confirmed by their
 * internal slots (a prototype alone does not make a Date). Shared by the canonical encoder and the
 * error codec, so both agree on what "the same class" means.
 */
import { types } from 'node:util';

export type Kind = 'boxed' | 'Date' | 'RegExp' | 'Error' | 'Map' | 'Set' | 'ArrayBuffer' | 'SharedArrayBuffer' | 'view';

export interface Builtin {
  readonly kind: Kind;
  /** Which class within the kind (boxed type, error class, view class); written after the tag. */
  readonly code: number;
  /** The internal-slot check: a prototype alone does not make a Date. */
  readonly brand: (value: object) => boolean;
  readonly unbox?: (this: object) => unknown;
  /** The class's name (`RangeError`, `Float64Array`, …). */
  readonly name: string;
}

/** A built-in class (or BigInt, Symbol), as its constructor: what its prototype and name are read from. */
export interface BuiltinClass {
  readonly prototype: unknown;
  readonly name: string;
}

/** The error classes structured clone keeps (a subclass comes back as its nearest one of these). */
export const ERROR_CLASSES: readonly BuiltinClass[] = [
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
  ...(typeof AggregateError === 'function' ? [AggregateError] : []),
];
/** The ArrayBuffer views structured clone keeps, each as its own class. */
export const VIEW_CLASSES: readonly BuiltinClass[] = [
  Buffer,
  Uint8Array,
  Int8Array,
  Uint8ClampedArray,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigUint64Array,
  BigInt64Array,
  DataView,
];

const BUILTINS = new Map<object, Builtin>();
function register(kind: Kind, brand: (value: object) => boolean, classes: readonly BuiltinClass[], unbox?: (this: object) => unknown, code = 0): void {
  classes.forEach((c, i) => BUILTINS.set(c.prototype as object, { kind, code: code + i, brand, unbox, name: c.name }));
}
register('boxed', types.isNumberObject, [Number], Number.prototype.valueOf, 0);
register('boxed', types.isStringObject, [String], String.prototype.valueOf, 1);
register('boxed', types.isBooleanObject, [Boolean], Boolean.prototype.valueOf, 2);
register('boxed', types.isBigIntObject, [BigInt], BigInt.prototype.valueOf, 3);
register('boxed', types.isSymbolObject, [Symbol], Symbol.prototype.valueOf, 4);
register('Date', types.isDate, [Date]);
register('RegExp', types.isRegExp, [RegExp]);
register('Map', types.isMap, [Map]);
register('Set', types.isSet, [Set]);
register('ArrayBuffer', types.isArrayBuffer, [ArrayBuffer]);
register('SharedArrayBuffer', types.isSharedArrayBuffer, [SharedArrayBuffer]);
register('Error', types.isNativeError, ERROR_CLASSES);
register('view', ArrayBuffer.isView, VIEW_CLASSES);

/** The nearest built-in class on the prototype chain; undefined for plain objects and class instances. */
export function builtinOf(proto: object | null): Builtin | undefined {
  for (; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    const found = BUILTINS.get(proto);
    if (found !== undefined) return found;
  }
  return undefined;
}
