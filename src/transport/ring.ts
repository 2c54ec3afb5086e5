/**
 * A single-producer, single-consumer byte ring in a SharedArrayBuffer: how replicas and their
 * replies travel between the main thread and a core's worker without a postMessage each.
 * A postMessage to a worker costs tens of µs of main-thread time (structured clone, port queue,
 * a uv_async wake); writing a record here and notifying costs a few µs, and one wake drains every
 * record written since. Records are `[int32 length][bytes]`, 4-byte aligned; a record that would
 * cross the end is preceded by a wrap marker and starts again at offset 0.
 *
 * Positions are byte counters that wrap as uint32; offsets are `position & mask`.
 */

const HEAD = 0; // written by the producer: end of the last published record
const TAIL = 1; // written by the consumer: end of the last consumed record
/** Serving state of the consumer (see openSession / closeSession): lets a worker stop serving when idle. */
const STATE = 2;
const CLOSED = 0;
const SERVING = 1;
/**
 * Set by the consumer while it waits, and the word it waits on; the producer clears it when it wakes
 * the consumer, and notifies only then (a notify costs a wake-up task even when nobody sleeps).
 */
const SLEEPING = 3;
/** Set by a producer blocked for room: the consumer then notifies when it frees some. */
const WAITING_FOR_ROOM = 4;
/** Records published so far (a uint32 counter, written by the producer). */
const PUBLISHED = 5;
/** Written by the consumer before it sleeps: the producer notifies once PUBLISHED reaches it. */
const WAKE_AT = 6;
/** Records consumed so far (the consumer's count, kept here so a new session resumes it). */
const CONSUMED = 7;
const HEADER_BYTES = 32;
const WRAP = -1;

/** Atomics.waitAsync (V8 ≥ 8.7, Node ≥ 16); TypeScript declares it only from lib es2024. */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeout?: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export class ByteRing {
  readonly header: Int32Array;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  private readonly mask: number;

  /**
   * The serve handshake, producer side: starts a serving session unless the consumer is serving.
   * True when the caller must start the consumer's serve task (the consumer re-checks the ring
   * before it stops, so a record written during its last look is never stranded).
   */
  openSession(): boolean {
    return Atomics.compareExchange(this.header, STATE, CLOSED, SERVING) === CLOSED;
  }

  /**
   * The serve handshake, consumer side, when idle: closes the session. False when a record arrived
   * meanwhile and no new session was opened for it: the consumer then serves on.
   */
  closeSession(): boolean {
    Atomics.store(this.header, STATE, CLOSED);
    return !this.pending || Atomics.compareExchange(this.header, STATE, CLOSED, SERVING) !== CLOSED;
  }

  /** `capacity` must be a power of two. */
  static create(capacity: number): ByteRing {
    return new ByteRing(new SharedArrayBuffer(HEADER_BYTES + capacity));
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    const capacity = buffer.byteLength - HEADER_BYTES;
    if (capacity <= 0 || (capacity & (capacity - 1)) !== 0) throw new RangeError(`ring capacity must be a power of two, got ${capacity}`);
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES, capacity);
    this.view = new DataView(buffer, HEADER_BYTES, capacity);
    this.mask = capacity - 1;
    // A worker's serving session opens the ring where the previous session left it.
    this.writeHead = Atomics.load(this.header, HEAD);
    this.readTail = Atomics.load(this.header, TAIL);
    this.writeCount = Atomics.load(this.header, PUBLISHED);
    this.readCount = Atomics.load(this.header, CONSUMED);
  }

  get capacity(): number {
    return this.mask + 1;
  }

  // ---- producer ------------------------------------------------------------------------------
  private writeHead: number;
  private writeCount: number;
  /** TAIL as the last reserve() saw it: waitForSpace() returns at once if it moved since. */
  private observedTail = 0;

  /**
   * Reserves `length` bytes for a record and returns the offset to write them at, or -1 when the
   * ring has no room (the caller sends the record another way). Published by `publish()`.
   */
  reserve(length: number): number {
    const need = 4 + ((length + 3) & ~3);
    this.observedTail = Atomics.load(this.header, TAIL);
    const free = this.capacity - ((this.writeHead - this.observedTail) >>> 0);
    let offset = this.writeHead & this.mask;
    const skip = offset + need > this.capacity ? this.capacity - offset : 0;
    if (skip + need > free) return -1;
    if (skip > 0) {
      this.view.setInt32(offset, WRAP, true);
      offset = 0;
    }
    this.view.setInt32(offset, length, true);
    this.writeHead = (this.writeHead + skip + need) | 0;
    this.writeCount = (this.writeCount + 1) | 0;
    return offset + 4;
  }

  /**
   * Makes every reserved record visible to the consumer, and wakes it if it sleeps and asked for
   * this many records (see `waitAsync`), or if the ring is over half full.
   */
  publish(): void {
    Atomics.store(this.header, PUBLISHED, this.writeCount);
    Atomics.store(this.header, HEAD, this.writeHead);
    // Store HEAD then load SLEEPING, against the consumer's store WAKE_AT, SLEEPING then compare
    // HEAD: with sequentially consistent atomics at least one side sees the other. Swapping SLEEPING
    // back to 0 makes this the only wake of that sleep: the records published until the consumer
    // runs again cost no further notify.
    if (Atomics.load(this.header, SLEEPING) === 0) return;
    const early = ((this.writeCount - Atomics.load(this.header, WAKE_AT)) | 0) < 0;
    if (early && (this.writeHead - this.observedTail) >>> 0 <= this.capacity >>> 1) return;
    this.wake();
  }

  /** Wakes the consumer if it sleeps, whatever it asked for (the producer has nothing more to say for now). */
  wake(): void {
    if (Atomics.load(this.header, SLEEPING) !== 0 && Atomics.exchange(this.header, SLEEPING, 0) !== 0) Atomics.notify(this.header, SLEEPING);
  }

  // ---- consumer ------------------------------------------------------------------------------
  private readTail: number;
  private readCount: number;

  /** Offset and length of the next record, or undefined when none is published. Call `consume()` after reading it. */
  next(): { offset: number; length: number } | undefined {
    for (;;) {
      if (this.readTail === Atomics.load(this.header, HEAD)) return undefined;
      const offset = this.readTail & this.mask;
      const length = this.view.getInt32(offset, true);
      if (length === WRAP) {
        this.readTail = (this.readTail + this.capacity - offset) | 0;
        continue;
      }
      return { offset: offset + 4, length };
    }
  }

  /** Frees the record returned by the last `next()`. */
  consume(length: number): void {
    this.readTail = (this.readTail + 4 + ((length + 3) & ~3)) | 0;
    this.readCount = (this.readCount + 1) | 0;
    Atomics.store(this.header, CONSUMED, this.readCount);
    Atomics.store(this.header, TAIL, this.readTail);
    if (Atomics.load(this.header, WAITING_FOR_ROOM) !== 0) Atomics.notify(this.header, TAIL);
  }

  /** Producer side: true when a published record is not consumed yet. */
  get unread(): boolean {
    return Atomics.load(this.header, HEAD) !== Atomics.load(this.header, TAIL);
  }

  /** Producer side, after a failed reserve(): blocks until the consumer frees space (woken by consume(); `ms` bounds the wait). */
  waitForSpace(ms: number): void {
    Atomics.store(this.header, WAITING_FOR_ROOM, 1);
    Atomics.wait(this.header, TAIL, this.observedTail, ms);
    Atomics.store(this.header, WAITING_FOR_ROOM, 0);
  }

  /** True while the consumer sleeps and no producer has woken it yet. */
  get sleeping(): boolean {
    return Atomics.load(this.header, SLEEPING) !== 0;
  }

  /** True when a record is published and not consumed. */
  get pending(): boolean {
    return this.readTail !== Atomics.load(this.header, HEAD);
  }

  /**
   * Resolves when a record may be available (or after `timeoutMs`); the event loop keeps running
   * meanwhile. With `wanted` > 1 the producer wakes this consumer only once that many records are
   * published (or the ring fills, or it calls `wake()`): a consumer that needs a whole batch of
   * replies is not woken for each one. Undefined when a record is there already, or a producer
   * woke it meanwhile.
   */
  waitAsync(timeoutMs = Number.POSITIVE_INFINITY, wanted = 1): Promise<'ok' | 'timed-out'> | undefined {
    if (!this.sleep(wanted)) return undefined;
    const wait = waitAsync(this.header, SLEEPING, 1, timeoutMs);
    if (!wait.async) return undefined;
    return wait.value.then(this.awake);
  }

  /**
   * Blocks this thread until a record may be available or `timeoutMs` passed; true when one may be.
   * A blocked thread is woken by a futex, cheaper than waking an event loop: workers wait like this
   * for a short while before they fall back to waitAsync.
   */
  waitBlocking(timeoutMs: number): boolean {
    if (!this.sleep(1)) return true;
    const result = Atomics.wait(this.header, SLEEPING, 1, timeoutMs);
    Atomics.store(this.header, SLEEPING, 0);
    return result !== 'timed-out';
  }

  /**
   * Announces a sleep; false (and no sleep) when a record is there already. The consumer then waits
   * on SLEEPING itself: a producer that clears it before the wait begins makes the wait return at
   * once, one that clears it later notifies the waiter, so no wake-up is lost, whether or not it
   * came with a record.
   */
  private sleep(wanted: number): boolean {
    Atomics.store(this.header, WAKE_AT, (this.readCount + wanted) | 0);
    Atomics.store(this.header, SLEEPING, 1);
    if (this.readTail === Atomics.load(this.header, HEAD)) return true;
    Atomics.store(this.header, SLEEPING, 0);
    return false;
  }

  private readonly awake = (result: 'ok' | 'timed-out'): 'ok' | 'timed-out' => {
    Atomics.store(this.header, SLEEPING, 0);
    return result;
  };
}
