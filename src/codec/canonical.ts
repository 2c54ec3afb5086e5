/**
 * Canonical digest of a value: SHA-256 (base64) of a type-tagged, length-prefixed encoding. Two
 * values get the same encoding exactly when their structured clones are indistinguishable, as
 * defined by `sameClone` in replication/equality.ts (the reference this encoder is property-tested
 * against). The pool digests decoded values (v8.deserialize, decodePayload) on the main thread,
 * so only what a structured clone can hold needs to be exact; functions and symbols (which cannot
 * be cloned and never reach a vote) get a tag and a per-process identity, never a crash.
 *
 * The encoding depends on the value only, never on V8's representation (v8.serialize writes the
 * same integer as int32 or as a double depending on the object's field representation): a number
 * is an int32 when `Object.is(n, n | 0)`, else 8 IEEE-754 bytes with one NaN. Strings are UTF-16
 * code units. Every container states its size before its children, so the encoding parses back
 * one way only; an object met again is a back-reference to its index in first-visit order, which
 * makes aliasing and cycles part of the value, as in a clone. The walk keeps its own stack, so
 * no depth overflows the call stack.
 *
 * Classes are found by prototype (a decoded clone's prototype always matches its internal slots)
 * and confirmed by their internal slots; a built-in whose prototype was replaced by
 * Object.prototype or null (which no clone produces) is encoded as a plain object.
 */
import { builtinOf, type Builtin } from './builtins.js';
import { CHUNK, HashedWriter } from './hashed-writer.js';

// Tags: one byte before every value.
const UNDEFINED = 0x75;
const NULL = 0x6e;
const TRUE = 0x74;
const FALSE = 0x66;
const INT = 0x69;
const DOUBLE = 0x64;
const STRING = 0x73;
const BIGINT = 0x62;
const REF = 0x72;
const ARRAY = 0x61;
const HOLES = 0x68;
const OBJECT = 0x6f;
const BOXED = 0x42;
const DATE = 0x44;
const REGEXP = 0x52;
const ERROR = 0x45;
const MAP = 0x4d;
const SET = 0x53;
const ARRAY_BUFFER = 0x41;
const SHARED_BUFFER = 0x48;
const VIEW = 0x56;
const SYMBOL_FOR = 0x79;
const OPAQUE = 0x3f;

/** Functions and symbols are never cloned; each gets an id for the life of the process, so two never look alike. */
const identities = new WeakMap<WeakKey, number>();
let nextIdentity = 0;
function identityOf(value: WeakKey): number {
  let id = identities.get(value);
  if (id === undefined) identities.set(value, (id = nextIdentity++));
  return id;
}

function isIndex(key: string): boolean {
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && n < 4294967295 && String(n) === key;
}

// Frame kinds of the explicit work stack.
const ELEMENTS = 0; // a dense array's elements, index .. end
const SPARSE = 1; // an array with holes: its present index keys, with hole runs between them
const KEYS = 2; // own enumerable keys of an object: key, then value
const SEQUENCE = 3; // a list of values (Map entries flattened, Set members, an error's name/message/cause)

/** Parallel arrays rather than frame objects: no allocation per container. */
class Work {
  readonly kind: number[] = [];
  readonly target: unknown[] = [];
  readonly list: (readonly unknown[] | undefined)[] = [];
  readonly index: number[] = [];
  readonly end: number[] = [];
  depth = 0;

  push(kind: number, target: unknown, list: readonly unknown[] | undefined, index: number, end: number): void {
    const d = this.depth++;
    this.kind[d] = kind;
    this.target[d] = target;
    this.list[d] = list;
    this.index[d] = index;
    this.end[d] = end;
  }

  pop(): void {
    const d = --this.depth;
    this.target[d] = undefined;
    this.list[d] = undefined;
  }

  /** After a throw: forget every reference into the value. */
  clear(): void {
    this.depth = 0;
    this.target.length = 0;
    this.list.length = 0;
  }
}

interface Scratch {
  buffer: Buffer;
  view: DataView;
  work: Work;
}

function scratch(): Scratch {
  const buffer = Buffer.allocUnsafe(CHUNK);
  return { buffer, view: new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength), work: new Work() };
}

/** One scratch per thread, reused by every digest (a getter in the value could re-enter: it then gets its own). */
let spare: Scratch | undefined = scratch();

class Encoder {
  private readonly out: HashedWriter;
  private seen: Map<object, number> | undefined;
  private readonly work: Work;

  constructor(readonly scratch: Scratch) {
    this.out = new HashedWriter(scratch.buffer, scratch.view);
    this.work = scratch.work;
  }

  encode(root: unknown): string {
    this.value(root);
    const work = this.work;
    while (work.depth > 0) this.step(work, work.depth - 1);
    return this.out.digest();
  }

  /**
   * Writes the children of the frame on top up to the first object (which may push a frame of its
   * own, so the walk resumes from the new top), or all of them and pops it.
   */
  private step(work: Work, d: number): void {
    const kind = work.kind[d];
    if (kind === SPARSE) return this.sparse(work, d, work.index[d]!);
    const target = work.target[d];
    const list = work.list[d];
    const end = kind === ELEMENTS ? work.end[d]! : list!.length;
    let index = work.index[d]!;
    while (index < end) {
      let item: unknown;
      if (kind === ELEMENTS) item = (target as unknown[])[index];
      else if (kind === SEQUENCE) item = list![index];
      else {
        this.out.text(list![index] as string);
        item = (target as Record<string, unknown>)[list![index] as string];
      }
      index++;
      if (typeof item === 'object' && item !== null) {
        work.index[d] = index;
        return this.object(item);
      }
      this.value(item);
    }
    work.pop();
  }

  /** `end` holds the next index to cover; holes between present indices are written as runs. */
  private sparse(work: Work, d: number, index: number): void {
    const array = work.target[d] as unknown[];
    const list = work.list[d]!;
    const next = index < list.length ? Number(list[index]) : array.length;
    const covered = work.end[d]!;
    if (next > covered) {
      this.out.tag(HOLES);
      this.out.u32(next - covered);
    }
    if (index === list.length) return work.pop();
    work.index[d] = index + 1;
    work.end[d] = next + 1;
    this.value(array[next]);
  }

  private value(value: unknown): void {
    switch (typeof value) {
      case 'number':
        return this.number(value);
      case 'string':
        this.out.tag(STRING);
        return this.out.text(value);
      case 'boolean':
        return this.out.tag(value ? TRUE : FALSE);
      case 'undefined':
        return this.out.tag(UNDEFINED);
      case 'bigint':
        this.out.tag(BIGINT);
        return this.out.text(value.toString(16));
      case 'object':
        return value === null ? this.out.tag(NULL) : this.object(value);
      case 'symbol':
        if (Symbol.keyFor(value) !== undefined) {
          this.out.tag(SYMBOL_FOR);
          return this.out.text(Symbol.keyFor(value)!);
        }
        return this.opaque(value, 0);
      default:
        return this.opaque(value as (...args: never[]) => unknown, 1);
    }
  }

  private opaque(value: WeakKey, type: number): void {
    this.out.tag(OPAQUE);
    this.out.tag(type);
    this.out.f64(identityOf(value));
  }

  private object(value: object): void {
    const seen = (this.seen ??= new Map());
    const previous = seen.get(value);
    if (previous !== undefined) {
      this.out.tag(REF);
      this.out.u32(previous);
      return;
    }
    seen.set(value, seen.size);
    if (Array.isArray(value)) return this.array(value);
    const proto = Object.getPrototypeOf(value) as object | null;
    const builtin = proto === Object.prototype ? undefined : builtinOf(proto);
    if (builtin === undefined || !builtin.brand(value)) return this.properties(OBJECT, value);
    this.builtin(value, builtin);
  }

  private array(array: unknown[]): void {
    const keys = Object.keys(array);
    const length = array.length;
    // Object.keys lists present indices in order, then named keys: the first `length` keys are all indices iff there is no hole.
    const dense = length === 0 || keys[length - 1] === String(length - 1);
    let indices = length;
    if (!dense) for (indices = 0; indices < keys.length && isIndex(keys[indices]!);) indices++;
    this.out.tag(ARRAY);
    this.out.u32(length);
    this.out.u32(keys.length - indices);
    if (keys.length > indices) this.work.push(KEYS, array, keys.slice(indices), 0, 0);
    if (dense) this.work.push(ELEMENTS, array, undefined, 0, length);
    else this.work.push(SPARSE, array, keys.slice(0, indices), 0, 0);
  }

  /** Own enumerable string keys in order, with their values; `tag` and any header come first. */
  private properties(tag: number, value: object, header?: (keys: number) => void): void {
    const keys = Object.keys(value);
    this.out.tag(tag);
    if (header !== undefined) header(keys.length);
    else this.out.u32(keys.length);
    if (keys.length > 0) this.work.push(KEYS, value, keys, 0, 0);
  }

  private builtin(value: object, builtin: Builtin): void {
    switch (builtin.kind) {
      case 'boxed':
        this.out.tag(BOXED);
        this.out.tag(builtin.code);
        return this.value(builtin.unbox!.call(value));
      case 'Date':
        this.out.tag(DATE);
        return this.number((value as Date).getTime());
      case 'RegExp':
        this.out.tag(REGEXP);
        this.out.text((value as RegExp).source);
        return this.out.text((value as RegExp).flags);
      case 'ArrayBuffer':
      case 'SharedArrayBuffer':
        return this.arrayBuffer(builtin.kind === 'ArrayBuffer' ? ARRAY_BUFFER : SHARED_BUFFER, value as ArrayBuffer);
      case 'view':
        this.out.tag(VIEW);
        this.out.tag(builtin.code);
        return this.out.bytes(value as ArrayBufferView);
      case 'Map':
        return this.sequence(MAP, (value as Map<unknown, unknown>).size, [...(value as Map<unknown, unknown>)].flat());
      case 'Set':
        return this.sequence(SET, (value as Set<unknown>).size, [...(value as Set<unknown>)]);
      case 'Error':
        return this.error(value as Error, builtin.code);
    }
  }

  private sequence(tag: number, size: number, items: unknown[]): void {
    this.out.tag(tag);
    this.out.u32(size);
    if (items.length > 0) this.work.push(SEQUENCE, undefined, items, 0, 0);
  }

  /** Class, then `name`, own `message` and own `cause` when present, then own enumerable keys. Not the stack. */
  private error(error: Error, code: number): void {
    const hasMessage = Object.hasOwn(error, 'message');
    const hasCause = Object.hasOwn(error, 'cause');
    // The keys frame goes under the name/message/cause frame, so it is written after them.
    this.properties(ERROR, error, (keys) => {
      this.out.tag(code);
      this.out.tag((hasMessage ? 1 : 0) | (hasCause ? 2 : 0));
      this.out.u32(keys);
    });
    const items: unknown[] = [error.name];
    if (hasMessage) items.push(error.message);
    if (hasCause) items.push(error.cause);
    this.work.push(SEQUENCE, undefined, items, 0, 0);
  }

  private arrayBuffer(tag: number, buffer: ArrayBuffer): void {
    const growable = buffer as ArrayBuffer & { resizable?: boolean; growable?: boolean; maxByteLength?: number };
    this.out.tag(tag);
    this.out.f64(growable.resizable || growable.growable ? growable.maxByteLength! : -1);
    this.out.bytes(new Uint8Array(buffer));
  }

  /** One encoding per number value: int32 when it is one (and not -0), else a double. */
  private number(value: number): void {
    if ((value | 0) === value && (value !== 0 || 1 / value > 0)) {
      this.out.tag(INT);
      this.out.i32(value);
    } else {
      this.out.tag(DOUBLE);
      this.out.f64(value);
    }
  }
}

/** SHA-256 (base64) of the canonical encoding of `value`: equal digests mean `sameClone` values. */
export function canonicalDigest(value: unknown): string {
  const mine = spare ?? scratch();
  spare = undefined;
  let done = false;
  try {
    const digest = new Encoder(mine).encode(value);
    done = true;
    return digest;
  } finally {
    if (!done) mine.work.clear();
    // A very deep value grew the stacks; do not keep them for the life of the thread.
    if (mine.work.kind.length > 4096) mine.work = new Work();
    spare = mine;
  }
}
