/**
 * Output commit: what `emit` queued reaches the caller only once the checkpoint that produced it
 * is voted, in order, exactly once, through `onOutput` and/or an async iterator. Delivery runs in
 * its own microtask, never inside the pool's handling of a reply: `onOutput` is user code, and
 * whatever it does (throw, call the pool) cannot touch a task's book-keeping.
 */
import { asError } from '../errors.js';

export class OutputCommit {
  /** Outputs committed and not yet taken by the iterator (only when a stream was asked for). */
  private readonly buffer: unknown[] = [];
  /** Iterators waiting for an output or the end (two loops over one stream share its outputs). */
  private waiters: (() => void)[] = [];
  private ended = false;
  private failure: { error: Error } | undefined;
  /** Deliveries in commit order: each waits for the previous one. */
  private chain: Promise<void> = Promise.resolve();
  delivered = 0;

  constructor(
    private readonly onOutput: ((output: unknown) => void) | undefined,
    private readonly streamed: boolean,
    /** Where a throwing `onOutput` is reported (the pool's 'error' listeners, else a warning). */
    private readonly report: (error: Error) => void,
  ) {}

  /** Releases a voted checkpoint's outputs; resolves once they were handed over. */
  commit(outputs: readonly unknown[]): Promise<void> {
    if (outputs.length === 0) return this.chain;
    this.chain = this.chain.then(() => this.deliver(outputs));
    return this.chain;
  }

  private deliver(outputs: readonly unknown[]): void {
    for (const output of outputs) {
      this.delivered++;
      if (this.streamed) this.buffer.push(output);
      if (this.onOutput === undefined) continue;
      try {
        this.onOutput(output);
      } catch (error) {
        // The output was delivered (once); the next ones still are.
        this.report(asError(error));
      }
    }
    this.wake();
  }

  /** No output follows (after the committed ones): the iterator ends, or throws `error`. */
  end(error?: Error): Promise<void> {
    this.chain = this.chain.then(() => {
      this.ended = true;
      if (error !== undefined) this.failure = { error };
      this.wake();
    });
    return this.chain;
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  /**
   * The outputs as an async iterator: every committed output once, then done (or the task's error).
   * Several loops over it share the outputs (each goes to one of them) and all of them end.
   */
  async *iterate(): AsyncGenerator<unknown, void, undefined> {
    for (;;) {
      if (this.buffer.length > 0) {
        yield this.buffer.shift();
        continue;
      }
      if (this.ended) {
        if (this.failure !== undefined) throw this.failure.error;
        return;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}
