/**
 * A set of objects, in insertion order, whose members keep their own place in it (a numeric field
 * of theirs, -1 when outside): adding and deleting touch no hash table.
 *
 * Why not a Set: a Set that is added to and deleted from all the time rebuilds its hash table
 * every few dozen adds, and once the Set is old each new table is allocated in the old generation.
 * A discarded table still points at the members it held until the next full GC, and the scavenger
 * takes those pointers for live ones: every task that passed through the pool's Sets outlived its
 * scavenges, with everything it referenced. On a DMR throughput run (10 µs tasks) about half of
 * all allocation was promoted and the garbage collector took ~6.5 µs per task; with this ~0.3 KB
 * per task survives a scavenge and it takes under 1 µs.
 *
 * A deleted member leaves a hole; holes are compacted away once they outnumber the members. The
 * backing array never shrinks, so no discarded copy of it points at members either.
 */
export class SlotSet<T extends object> {
  private readonly slots: (T | undefined)[] = [];
  /** Slots in use: members and holes. */
  private end = 0;
  private members = 0;

  constructor(
    /** The members' field that holds their slot in this set (-1 when not in it). */
    private readonly field: SlotField<T>,
  ) {}

  get size(): number {
    return this.members;
  }

  has(item: T): boolean {
    return this.slotOf(item) >= 0;
  }

  add(item: T): void {
    if (this.has(item)) return;
    if (this.end === this.slots.length) this.slots.push(item);
    else this.slots[this.end] = item;
    this.setSlot(item, this.end++);
    this.members++;
  }

  /** False when `item` was not a member. */
  delete(item: T): boolean {
    const slot = this.slotOf(item);
    if (slot < 0) return false;
    this.slots[slot] = undefined;
    this.setSlot(item, -1);
    this.members--;
    if (this.end > 32 && this.members * 2 < this.end) this.compact();
    return true;
  }

  clear(): void {
    for (const item of this) this.setSlot(item, -1);
    this.slots.fill(undefined, 0, this.end);
    this.end = 0;
    this.members = 0;
  }

  /** The members in insertion order (spread it first to delete meanwhile: compaction moves them). */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.end; i++) {
      const item = this.slots[i];
      if (item !== undefined) yield item;
    }
  }

  /** Moves the members to the front, in order. */
  private compact(): void {
    let n = 0;
    for (let i = 0; i < this.end; i++) {
      const item = this.slots[i];
      if (item === undefined) continue;
      this.setSlot(item, n);
      this.slots[n++] = item;
    }
    this.slots.fill(undefined, n, this.end);
    this.end = n;
  }

  private slotOf(item: T): number {
    return item[this.field] as number;
  }

  private setSlot(item: T, slot: number): void {
    (item as Record<SlotField<T>, number>)[this.field] = slot;
  }
}

/** The names of T's numeric fields. */
export type SlotField<T> = { [K in keyof T]-?: T[K] extends number ? K : never }[keyof T];
