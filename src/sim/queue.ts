/**
 * The simulator's event queues, allocation-free once grown: a binary min-heap of (time, seq,
 * kind, a, b) in typed arrays, and a FIFO for replica timeouts (deadlines are dispatch time +
 * a constant, so they arrive in order and need no heap).
 */
export class EventHeap {
  private time = new Float64Array(64);
  private seq = new Float64Array(64);
  private kind = new Int32Array(64);
  private a = new Int32Array(64);
  private b = new Int32Array(64);
  private n = 0;
  private counter = 0;
  /** Fields of the last popped event. */
  t = 0;
  k = 0;
  x = 0;
  y = 0;

  get size(): number {
    return this.n;
  }

  /** Time of the earliest event, Infinity when empty. */
  peek(): number {
    return this.n === 0 ? Number.POSITIVE_INFINITY : this.time[0]!;
  }

  push(time: number, kind: number, a: number, b: number): void {
    if (this.n === this.time.length) this.grow();
    // Ties pop in insertion order, so runs are reproducible whatever the heap shape.
    const s = this.counter++;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = this.time[p]!;
      if (pt < time || (pt === time && this.seq[p]! < s)) break;
      this.move(p, i);
      i = p;
    }
    this.set(i, time, s, kind, a, b);
  }

  /** Removes the earliest event into t/k/x/y. */
  pop(): void {
    this.t = this.time[0]!;
    this.k = this.kind[0]!;
    this.x = this.a[0]!;
    this.y = this.b[0]!;
    const last = --this.n;
    if (last === 0) return;
    const time = this.time[last]!;
    const s = this.seq[last]!;
    const kind = this.kind[last]!;
    const a = this.a[last]!;
    const b = this.b[last]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= last) break;
      const r = c + 1;
      if (r < last && (this.time[r]! < this.time[c]! || (this.time[r] === this.time[c] && this.seq[r]! < this.seq[c]!))) c = r;
      const ct = this.time[c]!;
      if (ct > time || (ct === time && this.seq[c]! > s)) break;
      this.move(c, i);
      i = c;
    }
    this.set(i, time, s, kind, a, b);
  }

  private move(from: number, to: number): void {
    this.time[to] = this.time[from]!;
    this.seq[to] = this.seq[from]!;
    this.kind[to] = this.kind[from]!;
    this.a[to] = this.a[from]!;
    this.b[to] = this.b[from]!;
  }

  private set(i: number, time: number, s: number, kind: number, a: number, b: number): void {
    this.time[i] = time;
    this.seq[i] = s;
    this.kind[i] = kind;
    this.a[i] = a;
    this.b[i] = b;
  }

  private grow(): void {
    const size = this.time.length * 2;
    const f = (x: Float64Array): Float64Array<ArrayBuffer> => {
      const y = new Float64Array(size);
      y.set(x);
      return y;
    };
    const g = (x: Int32Array): Int32Array<ArrayBuffer> => {
      const y = new Int32Array(size);
      y.set(x);
      return y;
    };
    this.time = f(this.time);
    this.seq = f(this.seq);
    this.kind = g(this.kind);
    this.a = g(this.a);
    this.b = g(this.b);
  }
}

/** Ring buffer of (deadline, core, replica serial). */
export class TimeoutFifo {
  private time = new Float64Array(64);
  private core = new Int32Array(64);
  private serial = new Int32Array(64);
  private head = 0;
  private n = 0;

  get size(): number {
    return this.n;
  }

  peek(): number {
    return this.n === 0 ? Number.POSITIVE_INFINITY : this.time[this.head]!;
  }

  push(time: number, core: number, serial: number): void {
    if (this.n === this.time.length) this.grow();
    const i = (this.head + this.n) % this.time.length;
    this.time[i] = time;
    this.core[i] = core;
    this.serial[i] = serial;
    this.n++;
  }

  /** Removes the head; returns its core, with its serial in `lastSerial`. */
  lastSerial = 0;
  shift(): number {
    const i = this.head;
    this.head = (this.head + 1) % this.time.length;
    this.n--;
    this.lastSerial = this.serial[i]!;
    return this.core[i]!;
  }

  private grow(): void {
    const size = this.time.length * 2;
    const time = new Float64Array(size);
    const core = new Int32Array(size);
    const serial = new Int32Array(size);
    for (let j = 0; j < this.n; j++) {
      const i = (this.head + j) % this.time.length;
      time[j] = this.time[i]!;
      core[j] = this.core[i]!;
      serial[j] = this.serial[i]!;
    }
    this.time = time;
    this.core = core;
    this.serial = serial;
    this.head = 0;
  }
}

/** A growable FIFO of (integer, number) pairs: queued task ids and submit times, replies. */
export class PairFifo {
  private at = new Float64Array(256);
  private ids = new Int32Array(256);
  private head = 0;
  length = 0;
  /** Fields of the last shifted entry. */
  id = 0;
  submitAt = 0;

  push(id: number, submitAt: number): void {
    if (this.length === this.ids.length) this.grow();
    const i = (this.head + this.length) % this.ids.length;
    this.ids[i] = id;
    this.at[i] = submitAt;
    this.length++;
  }

  /** Removes the oldest entry into id / submitAt. */
  shift(): void {
    const i = this.head;
    this.head = (this.head + 1) % this.ids.length;
    this.length--;
    this.id = this.ids[i]!;
    this.submitAt = this.at[i]!;
  }

  private grow(): void {
    const size = this.ids.length * 2;
    const ids = new Int32Array(size);
    const at = new Float64Array(size);
    for (let j = 0; j < this.length; j++) {
      const i = (this.head + j) % this.ids.length;
      ids[j] = this.ids[i]!;
      at[j] = this.at[i]!;
    }
    this.ids = ids;
    this.at = at;
    this.head = 0;
  }
}
