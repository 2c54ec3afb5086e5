/**
 * Where audit lines go. File lines are batched and written synchronously once per event-loop
 * turn (and on process exit), so a normal exit — even through process.exit() — loses nothing
 * and the hot path never waits for I/O. Stream lines go straight to the user's stream.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { invalidOption } from '../errors.js';

/** Sinks with a file open: one process 'exit' hook flushes them all (not one listener per pool). */
const openSinks = new Set<AuditSink>();
let exitHooked = false;
function flushAll(): void {
  for (const sink of openSinks) sink.flush();
}

export class AuditSink {
  private fd: number | undefined;
  private readonly pending: string[] = [];
  private scheduled = false;
  private closed = false;
  /** The first write error; later lines are dropped (the owner reports it: see AuditLog). */
  error: Error | undefined;
  private readonly onStreamError = (error: Error): void => this.fail(error);

  constructor(
    readonly file: string | undefined,
    private readonly stream: Writable | undefined,
    /** Told of the first write failure, once (the audit log reports it on the pool's 'error'). */
    private readonly onError: (error: Error) => void = () => {},
  ) {
    if (file !== undefined) {
      try {
        this.fd = openSync(file, 'a');
      } catch (error) {
        // A RangeError like every other bad option value (the path is a string, just not a usable one).
        const invalid = invalidOption('audit.file', `a file it can open for appending (this one cannot be opened: ${(error as Error).message})`, file, 'range');
        throw Object.defineProperty(invalid, 'cause', { value: error, configurable: true, writable: true });
      }
      openSinks.add(this);
      if (!exitHooked) {
        exitHooked = true;
        process.on('exit', flushAll);
      }
    }
    // A stream error with no listener would crash the process; record it instead.
    stream?.on('error', this.onStreamError);
  }

  write(line: string): void {
    if (this.closed || this.error !== undefined) return;
    if (this.stream !== undefined) {
      try {
        this.stream.write(line);
      } catch (error) {
        this.fail(error as Error);
      }
    }
    if (this.fd !== undefined) {
      this.pending.push(line);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    }
  }

  /** Writes what is batched (synchronously). */
  flush(): void {
    if (this.fd === undefined || this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending.length = 0;
    try {
      writeSync(this.fd, text);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private fail(error: Error): void {
    if (this.error !== undefined) return;
    this.error = error;
    this.onError(error);
  }

  /** Flushes, syncs and closes the file; waits until the stream has taken every line (the stream stays open). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.fd !== undefined) {
      openSinks.delete(this);
      const fd = this.fd;
      this.fd = undefined;
      try {
        fsyncSync(fd);
      } catch {
        // fsync is unsupported on some files (pipes, /dev/stdout): the data is written anyway.
      }
      closeSync(fd);
    }
    const stream = this.stream;
    if (stream !== undefined) {
      if (this.error === undefined && stream.writable) {
        // An empty write calls back once every earlier chunk has been handled.
        await new Promise<void>((resolve) => stream.write('', () => resolve()));
      }
      stream.off('error', this.onStreamError);
    }
  }
}
