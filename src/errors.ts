/** Stable error codes. Add to them; never rename them. */
export type TriplexErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_NO_MAJORITY'
  | 'ERR_NOT_ENOUGH_CORES'
  | 'ERR_QUEUE_FULL'
  | 'ERR_ABORTED'
  | 'ERR_DESTROYED'
  | 'ERR_TASK_NOT_FOUND'
  | 'ERR_PINNING'
  | 'ERR_NOT_CLONEABLE'
  /** The user's `equals` threw or returned a non-boolean while comparing a task's replicas. */
  | 'ERR_EQUALS'
  /** A core's worker thread could not start (invalid execArgv, resourceLimits, ...): the pool cannot run any task. */
  | 'ERR_WORKER_START'
  /** A failure inside triplex itself while handling a task; the task is settled with it rather than lost. */
  | 'ERR_INTERNAL'
  /** Cluster: the Redis server named by `connection` (or `--redis`) could not be reached. */
  | 'ERR_REDIS_UNREACHABLE'
  /** Cluster: a host serves another task module than the coordinator's (their digests differ). */
  | 'ERR_MODULE_MISMATCH'
  /** Cluster: a host id is already registered by another live host. */
  | 'ERR_HOST_ID_TAKEN'
  /** A listener for an event the pool never emits (a misspelt name, or piscina's 'message'). */
  | 'ERR_UNKNOWN_EVENT'
  /** A campaign's fault-free golden run of an input hung past taskTimeout or ended its thread, or a supplied golden function threw: there is nothing to check the pool's answers against. */
  | 'ERR_GOLDEN_RUN'
  /** The audit log could not be written (a full disk, a closed stream): later lines were dropped. */
  | 'ERR_AUDIT_WRITE';

const brand = Symbol.for('triplex.error');

export class TriplexError extends Error {
  /** Branded errors count as TriplexErrors too (the option errors below are TypeError/RangeError subclasses). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isTriplexError(value);
  }

  readonly code: TriplexErrorCode;
  /** Structured details (outcomes, option name, received value...). Always cloneable. */
  readonly data: Record<string, unknown> | undefined;
  readonly [brand] = true;

  constructor(code: TriplexErrorCode, message: string, data?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TriplexError';
    this.code = code;
    this.data = data;
  }

  /** Plain form that survives postMessage. */
  toJSON(): { code: TriplexErrorCode; message: string; data?: Record<string, unknown> } {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}

/** True for any TriplexError, including one from another copy of the package. */
export function isTriplexError(value: unknown): value is TriplexError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** Shows a received value in an error message without risking a huge or throwing string. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === undefined || value === null) {
    return typeof value === 'bigint' ? `${value}n` : String(value);
  }
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (Array.isArray(value)) return `array of length ${value.length}`;
  return `${Object.prototype.toString.call(value).slice(8, -1).toLowerCase()} ${safeJson(value)}`;
}

function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? '' : text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return '';
  }
}

/** ERR_INVALID_OPTION for a value of the wrong type. `instanceof TypeError` and `instanceof TriplexError` both hold. */
export class TriplexTypeError extends TypeError {
  readonly code = 'ERR_INVALID_OPTION' as const;
  readonly [brand] = true;
  constructor(
    message: string,
    readonly data: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'TriplexTypeError';
  }
}

/** ERR_INVALID_OPTION for a value out of range. `instanceof RangeError` and `instanceof TriplexError` both hold. */
export class TriplexRangeError extends RangeError {
  readonly code = 'ERR_INVALID_OPTION' as const;
  readonly [brand] = true;
  constructor(
    message: string,
    readonly data: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'TriplexRangeError';
  }
}

/** An invalid option, naming the option, what it must be and the value received. */
export function invalidOption(option: string, expected: string, received: unknown, kind: 'type' | 'range' = 'type'): TriplexError {
  const message = `Option "${option}" must be ${expected}; received ${describeValue(received)}`;
  const data = { option, expected, received: describeValue(received) };
  return (kind === 'type' ? new TriplexTypeError(message, data) : new TriplexRangeError(message, data)) as unknown as TriplexError;
}

// ---- Text and errors for values user code threw or handed over, without ever throwing: String()
// throws on `{ toString: 1 }`, on an object with no prototype and on a revoked proxy, and an
// error's `message` may be a getter that throws. Paths that settle tasks or report errors use
// these, so no such value can lose a task or kill the process.

/** `String(value)`, or the value's tag (`[object Object]`), or its type, whichever works first. */
export function textOf(value: unknown): string {
  try {
    return String(value);
  } catch {
    // falls through to the tag
  }
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return `[${typeof value}]`;
  }
}

/** `value instanceof Error`, false where even asking throws (a proxy whose prototype trap throws). */
export function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/** The message of a thrown value: an error's own `message` when it is a string, else the value as text. */
export function messageOf(value: unknown): string {
  if (isError(value)) {
    try {
      const message: unknown = value.message;
      if (typeof message === 'string') return message;
    } catch {
      // a throwing getter: describe the value instead
    }
  }
  return textOf(value);
}

/** The value itself when it is an Error, else an Error whose message is its text (the value is its cause). */
export function asError(value: unknown): Error {
  return isError(value) ? value : new Error(textOf(value), { cause: value });
}
