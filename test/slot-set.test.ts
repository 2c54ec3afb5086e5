// The pool's task sets (util/slot-set.ts): a Set's semantics (insertion order included) without a hash table.
import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { SlotSet } from '../dist/util/slot-set.js';
import { SEED as seed } from './support/seed.js';

interface Item {
  id: number;
  slot: number;
  other: number;
}

type Op = { t: 'add' | 'delete'; item: number } | { t: 'clear' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('add' as const), item: fc.integer({ min: 0, max: 80 }) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('delete' as const), item: fc.integer({ min: 0, max: 80 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'clear' as const }) },
);

describe('SlotSet', () => {
  it('behaves as a Set of the same operations: members, size, insertion order, delete results', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const items: Item[] = Array.from({ length: 81 }, (_, id) => ({ id, slot: -1, other: -1 }));
        const set = new SlotSet<Item>('slot');
        const model = new Set<Item>();
        for (const o of ops) {
          if (o.t === 'clear') {
            set.clear();
            model.clear();
          } else if (o.t === 'add') {
            set.add(items[o.item]!);
            model.add(items[o.item]!);
          } else {
            expect(set.delete(items[o.item]!)).toBe(model.delete(items[o.item]!));
          }
          expect(set.size).toBe(model.size);
        }
        expect([...set]).toEqual([...model]);
        for (const item of items) {
          expect(set.has(item)).toBe(model.has(item));
          expect(item.slot >= 0).toBe(model.has(item));
          expect(item.other).toBe(-1); // only its own field is used
        }
      }),
      { seed, numRuns: 300 },
    );
  });

  it('keeps no reference to a deleted member', () => {
    const set = new SlotSet<Item>('slot');
    const items: Item[] = Array.from({ length: 100 }, (_, id) => ({ id, slot: -1, other: -1 }));
    for (const item of items) set.add(item);
    for (const item of items.slice(0, 90)) set.delete(item);
    const slots = (set as unknown as { slots: (Item | undefined)[] }).slots;
    expect(slots.filter((item) => item !== undefined)).toEqual(items.slice(90));
  });
});
