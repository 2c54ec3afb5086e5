/**
 * Small byte records copied into shared 64 KB slabs instead of one ArrayBuffer each: a view costs
 * no backing store or malloc block of its own (~250 bytes less), and a million records freed
 * together go back as a few slabs the allocator can return to the system, instead of a million
 * small blocks that fragment it. A slab lives until the last view of it is gone.
 *
 * A view's `.buffer` is the whole slab: never hand one to user code (copy it first, see
 * `isSlabView`), and never transfer or post it (that would carry the slab).
 */
const SLAB_BYTES = 64 * 1024;

export class Slab {
  private slab = new Uint8Array(0);
  private used = 0;

  constructor(
    /** Records above this size keep (or get) their own buffer. */
    private readonly small = 1024,
  ) {}

  /** `bytes` itself when large, else an identical view into a slab (the caller keeps no buffer of its own). */
  keep(bytes: Uint8Array): Uint8Array {
    return bytes.byteLength > this.small ? bytes : this.copy(bytes);
  }

  /** A copy of `bytes[start, end)`: a slab view when small, else an own, exact-size buffer. */
  copy(bytes: Uint8Array, start = 0, end = bytes.byteLength): Uint8Array {
    const length = end - start;
    if (length > this.small) return ownCopy(bytes, start, end);
    const view = this.alloc(length);
    // Most records are a few bytes: a loop spares the view of the source that `set` would need.
    if (length <= 64) for (let i = 0; i < length; i++) view[i] = bytes[start + i]!;
    else view.set(bytes.subarray(start, end));
    return view;
  }

  /** `length` bytes (at most `small`) in a slab, for the caller to fill. */
  alloc(length: number): Uint8Array {
    if (this.used + length > this.slab.byteLength) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.used = 0;
    }
    const view = this.slab.subarray(this.used, this.used + length);
    this.used += (length + 7) & ~7;
    return view;
  }
}

/** True when `bytes` views a larger buffer (a slab, or any shared one): copy before handing it out. */
export function isSlabView(bytes: Uint8Array): boolean {
  return bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength;
}

/** An own, exact-size copy of `bytes[start, end)` (a Buffer's `slice` would be a view, not a copy). */
export function ownCopy(bytes: Uint8Array, start = 0, end = bytes.byteLength): Uint8Array {
  return new Uint8Array(bytes.subarray(start, end));
}
