/**
 * The output side of the canonical digest (codec/canonical.ts): fixed-width fields, strings and
 * bytes written into a scratch buffer and hashed (SHA-256) a chunk at a time, so a large value is
 * never held whole in memory. What the fields mean is the encoder's business, not this writer's.
 */
import { createHash, type Hash } from 'node:crypto';

/** Scratch buffer size: the hash is fed in chunks of at most this many bytes. */
export const CHUNK = 64 * 1024;
/** Strings shorter than this are copied code unit by code unit (faster than Buffer#write for short keys). */
const SHORT_STRING = 32;

export class HashedWriter {
  private readonly hash: Hash = createHash('sha256');
  private length = 0;

  constructor(
    private buffer: Buffer,
    private view: DataView,
  ) {}

  /** SHA-256 (base64) of everything written. */
  digest(): string {
    this.flush();
    return this.hash.digest('base64');
  }

  tag(code: number): void {
    this.room(1);
    this.buffer[this.length++] = code;
  }

  u32(value: number): void {
    this.room(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  i32(value: number): void {
    this.room(4);
    this.view.setInt32(this.length, value, true);
    this.length += 4;
  }

  /** Every NaN is written as the one canonical NaN. */
  f64(value: number): void {
    this.room(8);
    this.view.setFloat64(this.length, value === value ? value : Number.NaN, true);
    this.length += 8;
  }

  /** Length in code units, then the UTF-16LE code units themselves (lone surrogates included). */
  text(value: string): void {
    const units = value.length;
    this.u32(units);
    if (units * 2 > CHUNK / 2) {
      this.flush();
      this.hash.update(value, 'utf16le');
      return;
    }
    this.room(units * 2);
    if (units < SHORT_STRING) {
      const buffer = this.buffer;
      let at = this.length;
      for (let i = 0; i < units; i++) {
        const unit = value.charCodeAt(i);
        buffer[at++] = unit & 0xff;
        buffer[at++] = unit >>> 8;
      }
      this.length = at;
    } else {
      this.length += this.buffer.write(value, this.length, 'utf16le');
    }
  }

  /** Byte length, then the bytes of the view; large ones are hashed in place, without a copy. */
  bytes(view: ArrayBufferView): void {
    const raw = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    this.f64(raw.byteLength);
    if (raw.byteLength > CHUNK / 4) {
      this.flush();
      this.hash.update(raw);
    } else {
      this.room(raw.byteLength);
      this.buffer.set(raw, this.length);
      this.length += raw.byteLength;
    }
  }

  private flush(): void {
    if (this.length > 0) this.hash.update(this.buffer.subarray(0, this.length));
    this.length = 0;
  }

  private room(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    this.flush();
    if (bytes > this.buffer.length) {
      this.buffer = Buffer.allocUnsafe(bytes);
      this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    }
  }
}
