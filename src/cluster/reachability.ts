/**
 * Whether the coordinator could reach Redis. While it cannot, no replica can be sent or answered
 * and no heartbeat read: a replica that fails then (times out, or its host looks lost when Redis
 * answers again) says nothing about its host, so it is re-run without a charge (remote-core.ts).
 */
export class Reachability {
  private downSince: number | undefined;
  private lastDownAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number = Date.now) {}

  /** The connection dropped, or a look at the registry took too long. */
  down(): void {
    const now = this.now();
    this.downSince ??= now;
    this.lastDownAt = now;
  }

  /** Redis answered. */
  up(): void {
    if (this.downSince === undefined) return;
    this.lastDownAt = this.now();
    this.downSince = undefined;
  }

  /** Whether Redis was unreachable at some time since `t` (ms on the same clock), now included. */
  lostSince(t: number): boolean {
    return this.downSince !== undefined || this.lastDownAt >= t;
  }

  /** Whether Redis has answered without a break for at least `ms`. */
  steadyFor(ms: number): boolean {
    return this.downSince === undefined && this.now() - this.lastDownAt >= ms;
  }

  /** ms Redis has been unreachable without a break; 0 while it answers. */
  outage(): number {
    return this.downSince === undefined ? 0 : this.now() - this.downSince;
  }
}
