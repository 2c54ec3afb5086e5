/**
 * Marks on fault-domain ids (small dense integers), cleared in O(1) by a generation stamp so a
 * placement call allocates nothing. Used by both binding policies.
 */
export class DomainMarks {
  private stamp = new Int32Array(16);
  private gen = 1;

  /** Forget every mark. */
  clear(): void {
    if (++this.gen >= 0x3fff_ffff) {
      this.stamp.fill(0);
      this.gen = 1;
    }
  }

  has(domain: number | undefined): boolean {
    return domain !== undefined && domain < this.stamp.length && this.stamp[domain] === this.gen;
  }

  /** Marks the domain; true when it was not marked yet (undefined domains are never marked). */
  add(domain: number | undefined): boolean {
    if (domain === undefined) return false;
    if (domain >= this.stamp.length) {
      const bigger = new Int32Array(Math.max(domain + 1, this.stamp.length * 2));
      bigger.set(this.stamp);
      this.stamp = bigger;
    }
    if (this.stamp[domain] === this.gen) return false;
    this.stamp[domain] = this.gen;
    return true;
  }
}
