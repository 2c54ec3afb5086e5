// Shared slabs for small byte records: copies, never views of the source.
import { describe, expect, it } from 'vitest';
import { isSlabView, ownCopy, Slab } from '../dist/util/slab.js';

describe('slab', () => {
  it('copies small and large records out of a reused Buffer (a Buffer slice would be a view)', () => {
    const slab = new Slab(16);
    const ring = Buffer.alloc(64, 7);
    const small = slab.copy(ring, 3, 10);
    const large = slab.copy(ring, 0, 40);
    ring.fill(9); // the ring space is reused
    expect([...small]).toEqual(Array(7).fill(7));
    expect([...large]).toEqual(Array(40).fill(7));
    expect(isSlabView(small)).toBe(true);
    expect(isSlabView(large)).toBe(false);
  });

  it('records do not overlap, and each starts 8-byte aligned within its slab', () => {
    const slab = new Slab();
    const views = Array.from({ length: 100 }, (_, i) => slab.copy(new Uint8Array(i + 1).fill(i)));
    views.forEach((view, i) => {
      expect(view.byteOffset % 8).toBe(0);
      expect([...view]).toEqual(Array(i + 1).fill(i));
    });
  });

  it('ownCopy gives an exact-size buffer of its own', () => {
    const copy = ownCopy(Buffer.from([1, 2, 3, 4]), 1, 3);
    expect(copy.byteOffset).toBe(0);
    expect(copy.buffer.byteLength).toBe(2);
    expect([...copy]).toEqual([2, 3]);
  });
});
