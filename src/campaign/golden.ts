/**
 * Golden answers: what each input must give without faults. Computed once per input,
 * unreplicated, in a thread of their own that imports the task module (golden-thread.ts), or
 * supplied by the user, and normalised through v8 serialization so they compare like the pool's
 * answers do.
 */
import { canonicalDigest, type Equals } from '../api/index.js';
import { isDeepStrictEqual } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { messageOf, textOf, TriplexError } from '../errors.js';

interface ErrorIdentity {
  name: string;
  message: string;
  code?: unknown;
}

export type GoldenAnswer = { ok: true; value: unknown; digest: string } | { ok: false; error: ErrorIdentity; digest: string };

type TaskFn = (input: unknown) => unknown;

function digest(value: unknown): string {
  return canonicalDigest(value);
}

/**
 * The same {name, message, code?} identity the worker digests for a thrown error. `code` counts only
 * as an own enumerable property, as it travels to the caller: a DOMException's `code` is a getter on
 * its prototype, which the caller's copy of the error does not have.
 */
function errorIdentity(error: unknown): ErrorIdentity {
  if (error instanceof Error) {
    const code = Object.prototype.propertyIsEnumerable.call(error, 'code') ? (error as { code?: unknown }).code : undefined;
    return code === undefined ? { name: error.name, message: error.message } : { name: error.name, message: error.message, code };
  }
  return { name: 'Error', message: textOf(error) };
}

/** Finds a task the way the worker does: a named export, or a property of a CJS module's exports. */
export async function loadTask(moduleUrl: string, name: string): Promise<TaskFn> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(moduleUrl)) as Record<string, unknown>;
  } catch (error) {
    throw new TriplexError('ERR_TASK_NOT_FOUND', `The task module ${moduleUrl} failed to load: ${messageOf(error)}`, { filename: moduleUrl, name });
  }
  const cjs = mod.default;
  let fn = mod[name];
  if (typeof fn !== 'function' && !isStepped(fn) && typeof cjs === 'object' && cjs !== null) fn = (cjs as Record<string, unknown>)[name];
  if (isStepped(fn)) return wholeRun(fn);
  if (typeof fn !== 'function') {
    const exported = Object.keys(mod).filter((key) => typeof mod[key] === 'function');
    throw new TriplexError(
      'ERR_TASK_NOT_FOUND',
      `Option "task.name" must be a function or stepped-task export of ${moduleUrl}; received ${JSON.stringify(name)} (exports: ${exported.join(', ') || 'none'})`,
      {
        option: 'task.name',
        received: name,
        filename: moduleUrl,
      },
    );
  }
  return fn as TaskFn;
}

interface Stepped {
  init(input: unknown): unknown;
  step(state: unknown, emit: (output: unknown) => void): unknown;
  done(state: unknown): boolean;
  result?(state: unknown): unknown;
}

/** A stepped task `{ init, step, done, result? }` (the pool runs it in voted segments). */
function isStepped(value: unknown): value is Stepped {
  const t = value as Partial<Stepped> | null;
  return typeof t === 'object' && t !== null && typeof t.init === 'function' && typeof t.step === 'function' && typeof t.done === 'function';
}

/** A stepped task's fault-free answer: every step in one go, unreplicated (its outputs are not part of the answer). */
function wholeRun(task: Stepped): TaskFn {
  return async (input: unknown) => {
    let state = await task.init(input);
    while (!task.done(state)) state = await task.step(state, () => {});
    return task.result === undefined ? state : task.result(state);
  };
}

/** What the golden thread sends back for one input: the answer's v8 bytes, or the error it threw. */
export type GoldenReply = { ok: true; bytes: Uint8Array; ms: number } | { ok: false; error: ErrorIdentity; ms: number };

/** Runs one fault-free computation; a value v8 cannot serialize is ERR_NOT_CLONEABLE (the pool could not return it either). */
export async function computeGolden(compute: () => unknown, index: number): Promise<GoldenReply> {
  const start = performance.now();
  let value: unknown;
  try {
    value = compute();
    if (value instanceof Promise) value = await value;
  } catch (error) {
    return { ok: false, error: errorIdentity(error), ms: performance.now() - start };
  }
  const ms = performance.now() - start;
  try {
    return { ok: true, bytes: serialize(value), ms };
  } catch (error) {
    throw new TriplexError('ERR_NOT_CLONEABLE', `The golden answer for input ${index} cannot be cloned: ${messageOf(error)}`, { index });
  }
}

/** The answer as the campaign compares it: the decoded clone, digested as replicas' values are (a clone drops, e.g., an error's own properties). */
export function goldenAnswer(reply: GoldenReply): GoldenAnswer {
  if (!reply.ok) return { ok: false, error: reply.error, digest: digest(reply.error) };
  const decoded: unknown = deserialize(reply.bytes);
  return { ok: true, value: decoded, digest: canonicalDigest(decoded) };
}

/** Answers supplied by the caller (an array, or a function of input and index), normalised like computed ones. */
export async function suppliedAnswers(
  inputs: readonly unknown[],
  supplied: readonly unknown[] | ((input: unknown, index: number) => unknown),
): Promise<GoldenAnswer[]> {
  const answers: GoldenAnswer[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const compute = typeof supplied === 'function' ? () => supplied(inputs[i], i) : () => supplied[i];
    const reply = await computeGolden(compute, i);
    if (!reply.ok) throw goldenThrew(i, reply.error);
    answers.push(goldenAnswer(reply));
  }
  return answers;
}

/** A supplied golden function that throws has a bug: its answer is unknown, so nothing can be classified against it. */
function goldenThrew(index: number, error: ErrorIdentity): TriplexError {
  const thrown = `${error.name}: ${error.message}`;
  return new TriplexError(
    'ERR_GOLDEN_RUN',
    `The supplied golden function threw on input ${index} (${thrown}): there is no right answer to check the pool's against (fix the function; it must return the answer)`,
    { index, reason: 'threw', thrown },
  );
}

/** Whether a voted value is the golden one: the pool's `equals` when set, else deep strict equality of the cloned forms. */
export function matchesValue(value: unknown, golden: GoldenAnswer, equals: Equals | undefined): boolean {
  if (!golden.ok) return false;
  if (equals !== undefined) {
    try {
      return equals(value, golden.value);
    } catch {
      return false;
    }
  }
  return isDeepStrictEqual(value, golden.value);
}

/** Whether a task's own rejection is the golden one (the task throws that error by design). */
export function matchesError(error: unknown, golden: GoldenAnswer): boolean {
  if (golden.ok) return false;
  const got = errorIdentity(error);
  return got.name === golden.error.name && got.message === golden.error.message && isDeepStrictEqual(got.code, golden.error.code);
}

export { digest as digestOf };
