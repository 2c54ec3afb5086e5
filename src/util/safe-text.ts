/**
 * Text and errors for values user code threw or handed over, without ever throwing: String()
 * throws on `{ toString: 1 }`, on an object with no prototype and on a revoked proxy, and an
 * error's `message` may be a getter that throws. Paths that settle tasks or report errors use
 * these, so no such value can lose a task or kill the process.
 */

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
