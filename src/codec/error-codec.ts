/**
 * How a thrown error crosses from a replica to the caller. v8.serialize keeps only the message,
 * stack, cause and one of seven built-in prototypes (a custom class or `name` becomes plain
 * `Error`, own properties such as `code` are dropped), so errors travel as an explicit record:
 * the nearest built-in class, name, message, cause and own enumerable properties. The stack
 * travels beside the record and is not voted on: it differs by call path, not by outcome.
 */
import { deserialize, serialize } from 'node:v8';
import { deserializeOwned } from './own-buffers.js';
import { builtinOf } from './builtins.js';
import { isError, textOf } from '../errors.js';
import type { ErrorPayload } from '../transport/protocol.js';

type ErrorClass = new (message?: string) => Error;

const CLASSES: Readonly<Record<string, ErrorClass>> = { Error, RangeError, TypeError, SyntaxError, ReferenceError, EvalError, URIError };

/** The nearest built-in error class on the prototype chain of `error` (codec/builtins.ts). */
function builtInOf(error: Error): string {
  const builtin = builtinOf(Object.getPrototypeOf(error) as object | null);
  return builtin?.kind === 'Error' ? builtin.name : 'Error';
}

/** Whether `value` survives the trip: some values serialize but cannot be read back (an error that is its own cause). */
function cloneable(value: unknown): boolean {
  try {
    deserialize(serialize(value));
    return true;
  } catch {
    return false;
  }
}

/** The record of a thrown value (see ErrorPayload). Never throws. */
function errorPayload(thrown: unknown): ErrorPayload {
  try {
    if (isError(thrown)) return errorRecord(thrown);
    return { kind: 'value', value: cloneable(thrown) ? thrown : textOf(thrown) };
  } catch {
    // A proxy whose traps throw as it is read: its text is what every replica reports.
    return { kind: 'value', value: textOf(thrown) };
  }
}

function errorRecord(thrown: Error): ErrorPayload {
  const props: Record<string, unknown> = {};
  const dropped: string[] = [];
  const read = (key: string): { value: unknown } | undefined => {
    try {
      return { value: (thrown as unknown as Record<string, unknown>)[key] };
    } catch {
      dropped.push(key); // a getter that throws: left out, like a value that cannot be cloned
      return undefined;
    }
  };
  for (const key of Object.keys(thrown)) {
    const got = read(key);
    if (got === undefined) continue;
    if (cloneable(got.value)) props[key] = got.value;
    else dropped.push(key);
  }
  const text = (key: 'name' | 'message'): string => {
    const got = read(key);
    return got === undefined ? '' : textOf(got.value);
  };
  const payload: ErrorPayload = { kind: 'error', type: builtInOf(thrown), name: text('name'), message: text('message'), props };
  for (const key of ['cause', 'errors'] as const) {
    if (!Object.hasOwn(thrown, key) || Object.prototype.propertyIsEnumerable.call(thrown, key)) continue;
    const got = read(key);
    if (got === undefined) continue;
    if (cloneable(got.value)) payload[key] = { value: got.value };
    else dropped.push(key);
  }
  if (dropped.length > 0) payload.dropped = dropped;
  return payload;
}

/** Bytes of a thrown value: `[record, stack]`. */
export function encodeThrown(thrown: unknown): Uint8Array {
  return serialize([errorPayload(thrown), stackOf(thrown)]);
}

/** The stack of a thrown error, if it has one that can be read. */
function stackOf(thrown: unknown): string | undefined {
  try {
    const stack: unknown = isError(thrown) ? thrown.stack : undefined;
    return typeof stack === 'string' ? stack : undefined;
  } catch {
    return undefined;
  }
}

/** The record of an encoded thrown value (what is voted on). */
export function thrownRecord(bytes: Uint8Array): ErrorPayload {
  return (deserializeOwned(bytes) as [ErrorPayload, string | undefined])[0];
}

/** Rebuilds the thrown value on the main thread: the same built-in class, name, message, cause, properties and stack. */
export function rebuildThrown(bytes: Uint8Array): unknown {
  const [record, stack] = deserializeOwned(bytes) as [ErrorPayload, string | undefined];
  if (record.kind === 'value') return record.value;
  const error = record.type === 'AggregateError' ? new AggregateError([], record.message) : new (CLASSES[record.type] ?? Error)(record.message);
  // The class's own name comes from its prototype; an own name (a custom subclass) is kept as the task set it.
  if (error.name !== record.name) Object.defineProperty(error, 'name', { value: record.name, writable: true, configurable: true });
  // Like the constructors set them: own, non-enumerable.
  if (record.cause !== undefined) Object.defineProperty(error, 'cause', { value: record.cause.value, writable: true, configurable: true });
  if (record.errors !== undefined) Object.defineProperty(error, 'errors', { value: record.errors.value, writable: true, configurable: true });
  Object.assign(error, record.props);
  // Said, not silently lost: own properties that could not travel (non-enumerable, like `cause`).
  if (record.dropped !== undefined) Object.defineProperty(error, 'droppedProperties', { value: record.dropped, writable: true, configurable: true });
  if (stack !== undefined) Object.defineProperty(error, 'stack', { value: stack, writable: true, configurable: true });
  return error;
}
