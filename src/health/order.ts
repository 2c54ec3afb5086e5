/**
 * The order in which a core's replicas are judged: the order they came back from it.
 *
 * Why: a verdict does not come in that order. An agreeing replica is judged as soon as a second
 * one agrees with it; an out-voted one only once the replica that out-votes it is in, which under
 * a backlog is the last of a long queue. Fed in verdict order, a core's faults arrive in a burst
 * after hundreds of its clean replicas, and a sequential test reads the burst as a fault that
 * just began (a healthy core on a kind diverging on 5 % of its runs was disabled in 6 of 100
 * bursts of 400 tasks: bench/burst.ts). Each returned replica gets a ticket; a judgment whose
 * ticket is not next waits for the ones before it, and a replica that will never be judged (its
 * task gave up or was aborted) is forgone, so it holds nothing up.
 */
export class ArrivalOrder<T> {
  private issued = 0;
  private next = 0;
  /** Judgments that came before their turn (null: forgone). */
  private readonly waiting = new Map<number, T | null>();

  /** A returned replica's ticket. */
  arrive(): number {
    return this.issued++;
  }

  /** Whether the judgment for this ticket may be applied now. */
  isNext(ticket: number): boolean {
    this.check(ticket);
    return ticket === this.next;
  }

  /** Keeps a judgment (null: forgone) until the tickets before it are judged. */
  hold(ticket: number, judgment: T | null): void {
    this.check(ticket);
    if (this.waiting.has(ticket)) throw new Error(`ticket ${ticket} judged twice`);
    this.waiting.set(ticket, judgment);
  }

  /**
   * The next ticket was judged: moves past it, then hands every held judgment now due to `apply`,
   * in order (forgone ones are skipped).
   */
  advance(apply: (judgment: T) => void): void {
    this.next++;
    while (this.waiting.size > 0) {
      const judgment = this.waiting.get(this.next);
      if (judgment === undefined) return;
      this.waiting.delete(this.next);
      this.next++;
      if (judgment !== null) apply(judgment);
    }
  }

  /** Judgments (forgone ones included) waiting for an earlier ticket's. */
  get held(): number {
    return this.waiting.size;
  }

  /** How many tickets before this one still await their judgment. */
  before(ticket: number): number {
    return ticket - this.next;
  }

  /** Returned replicas not judged (or forgone) yet, or waiting behind one that is not. */
  get pending(): number {
    return this.issued - this.next;
  }

  private check(ticket: number): void {
    if (!Number.isInteger(ticket) || ticket < this.next || ticket >= this.issued) throw new Error(`ticket ${ticket} is not awaiting a judgment`);
  }
}
