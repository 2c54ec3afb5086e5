/**
 * Canonical digest of a value: SHA-256 of a type-tagged encoding that depends only on the value,
 * never on how V8 happens to represent it. v8.serialize is not canonical: the same integer is
 * written as int32 or as a double depending on the object's field representation (`{x: 3}` vs an
 * `x` that once held 0.5), which would make healthy cores disagree.
 *
 * Numbers are always 8 IEEE-754 bytes (all NaNs alike, -0 distinct from 0); strings, bigints,
 * arrays, plain objects (own enumerable keys in order), Map, Set, Date, RegExp, errors, typed
 * arrays and ArrayBuffers are encoded structurally; a repeated object is a back-reference, as in
 * structured clone.
 */
import { createHash, type Hash } from 'node:crypto';

const CHUNK = 64 * 1024;

/** One scratch buffer per thread, reused by every digest (a getter in the value could re-enter: it then gets its own). */
let spare: Buffer | undefined = Buffer.allocUnsafe(CHUNK);

class Encoder {
  private readonly hash: Hash = createHash('sha256');
  readonly scratch = spare ?? Buffer.allocUnsafe(CHUNK);
  private buffer = this.scratch;
  private length = 0;
  private readonly seen = new Map<object, number>();

  private room(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    this.flush();
    if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(bytes);
  }

  private flush(): void {
    if (this.length > 0) this.hash.update(this.buffer.subarray(0, this.length));
    this.length = 0;
  }

  private tag(code: string): void {
    this.room(1);
    this.buffer[this.length++] = code.charCodeAt(0);
  }

  private u32(value: number): void {
    this.room(4);
    this.buffer.writeUInt32LE(value >>> 0, this.length);
    this.length += 4;
  }

  private f64(value: number): void {
    this.room(8);
    this.buffer.writeDoubleLE(Number.isNaN(value) ? Number.NaN : value, this.length);
    this.length += 8;
  }

  private text(value: string): void {
    const bytes = Buffer.byteLength(value, 'utf8');
    this.u32(bytes);
    this.room(bytes);
    this.length += this.buffer.write(value, this.length, 'utf8');
  }

  private bytes(view: ArrayBufferView | ArrayBuffer): void {
    const raw = view instanceof ArrayBuffer ? new Uint8Array(view) : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    this.u32(raw.byteLength);
    if (raw.byteLength > CHUNK / 4) {
      // Large binary results are hashed in place, without a copy.
      this.flush();
      this.hash.update(raw);
    } else {
      this.room(raw.byteLength);
      this.buffer.set(raw, this.length);
      this.length += raw.byteLength;
    }
  }

  value(value: unknown): void {
    switch (typeof value) {
      case 'number':
        this.tag('d');
        this.f64(value);
        return;
      case 'string':
        this.tag('s');
        this.text(value);
        return;
      case 'boolean':
        this.tag(value ? 't' : 'f');
        return;
      case 'undefined':
        this.tag('u');
        return;
      case 'bigint':
        this.tag('b');
        this.text(value.toString(16));
        return;
      case 'object':
        if (value === null) this.tag('n');
        else this.object(value);
        return;
      default:
        // Functions and symbols cannot be cloned; the serializer reports them.
        this.tag('?');
        this.text(String(typeof value));
    }
  }

  private object(value: object): void {
    const previous = this.seen.get(value);
    if (previous !== undefined) {
      this.tag('r');
      this.u32(previous);
      return;
    }
    this.seen.set(value, this.seen.size);
    if (ArrayBuffer.isView(value)) {
      this.tag('T');
      this.text(Object.prototype.toString.call(value));
      this.bytes(value);
    } else if (value instanceof ArrayBuffer) {
      this.tag('B');
      this.bytes(value);
    } else if (Array.isArray(value)) {
      this.tag('a');
      this.u32(value.length);
      for (let i = 0; i < value.length; i++) {
        if (i in value) this.value(value[i]);
        else this.tag('h');
      }
    } else if (value instanceof Map) {
      this.tag('M');
      this.u32(value.size);
      for (const [k, v] of value) {
        this.value(k);
        this.value(v);
      }
    } else if (value instanceof Set) {
      this.tag('S');
      this.u32(value.size);
      for (const v of value) this.value(v);
    } else if (value instanceof Date) {
      this.tag('D');
      this.f64(value.getTime());
    } else if (value instanceof RegExp) {
      this.tag('R');
      this.text(value.source);
      this.text(value.flags);
    } else if (value instanceof Error) {
      this.tag('E');
      this.text(value.name);
      this.text(value.message);
      this.fields(value);
    } else {
      this.tag('o');
      this.fields(value);
    }
  }

  private fields(value: object): void {
    const keys = Object.keys(value);
    this.u32(keys.length);
    for (const key of keys) {
      this.text(key);
      this.value((value as Record<string, unknown>)[key]);
    }
  }

  digest(): string {
    this.flush();
    return this.hash.digest('base64');
  }
}

/** SHA-256 (base64) of the canonical encoding of `value`. */
export function canonicalDigest(value: unknown): string {
  const encoder = new Encoder();
  if (spare === encoder.scratch) spare = undefined;
  try {
    encoder.value(value);
    return encoder.digest();
  } finally {
    if (spare === undefined) spare = encoder.scratch;
  }
}
