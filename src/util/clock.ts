/** Source of time in milliseconds. Injected so that the simulator and tests drive policies with virtual time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => performance.now() };

/**
 * A clock read at most once per unit of work: inside `during(work)` every `now()` returns the
 * reading its first call took. Handling one wake of the main thread (a batch of replies, the tasks
 * they settle, the replicas placed next) read the time about a dozen times per task, and a reading
 * costs ~90 ns on a VM's clock; the times it records differ by at most that unit's duration, which
 * is µs where they are compared in ms. Outside `during`, every read is fresh.
 */
export class TurnClock implements Clock {
  private reading = Number.NaN;
  private depth = 0;

  constructor(private readonly source: Clock = systemClock) {}

  now(): number {
    if (this.depth === 0) return this.source.now();
    if (Number.isNaN(this.reading)) this.reading = this.source.now();
    return this.reading;
  }

  /** `arg` is passed to `work`: a hot caller hands over one function made once instead of a closure per call. */
  during<T>(work: () => T): T;
  during<A, T>(work: (arg: A) => T, arg: A): T;
  during<A, T>(work: (arg?: A) => T, arg?: A): T {
    this.depth++;
    try {
      return work(arg);
    } finally {
      if (--this.depth === 0) this.reading = Number.NaN;
    }
  }
}

/** A clock that only moves when told to: for unit tests and the simulator. */
export class ManualClock implements Clock {
  constructor(private time = 0) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
  set(ms: number): void {
    this.time = ms;
  }
}

/**
 * Wall-clock time (ms since the epoch, comparable with what worker threads write into shared
 * memory) and one-shot timers. Injected into the scheduler's lanes so that tests drive
 * timeouts with virtual time.
 */
export interface Timers {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real time; timers never keep the process alive on their own. */
export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface ManualTimer {
  at: number;
  id: number;
  run: () => void;
}

/** Virtual time and timers: time moves only to the next timer due, when told to (runNext). */
export class ManualTimers implements Timers, Clock {
  private readonly due: ManualTimer[] = [];
  private nextId = 0;

  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  setTimeout(run: () => void, ms: number): number {
    const id = ++this.nextId;
    this.due.push({ at: this.time + Math.max(0, ms), id, run });
    return id;
  }

  clearTimeout(handle: unknown): void {
    const at = this.due.findIndex((timer) => timer.id === handle);
    if (at >= 0) this.due.splice(at, 1);
  }

  /** Timers not yet run. */
  get pending(): number {
    return this.due.length;
  }

  /** Advances to the earliest timer (ties in the order they were set) and runs it; false when none is left. */
  runNext(): boolean {
    let first = -1;
    for (let i = 0; i < this.due.length; i++) {
      const timer = this.due[i]!;
      const best = this.due[first];
      if (best === undefined || timer.at < best.at || (timer.at === best.at && timer.id < best.id)) first = i;
    }
    if (first < 0) return false;
    const [timer] = this.due.splice(first, 1);
    this.time = Math.max(this.time, timer!.at);
    timer!.run();
    return true;
  }
}
