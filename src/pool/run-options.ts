/**
 * run()'s options, validated once per call: an option triplex does not know is an error, never
 * silently ignored (a typo such as `nmae` would otherwise run the default task). Also the
 * piscina-style ownership transfer of the input (`transferList`, `Triplex.move()`).
 */
import { Slab } from '../util/slab.js';
import { serialize } from 'node:v8';
import { smallLength, writeSmall } from '../codec/small-values.js';
import type { TransferListItem } from 'node:worker_threads';
import { invalidOption, messageOf, TriplexError } from '../errors.js';
import { resolveModuleUrl } from './options.js';
import { taskAddress } from '../transport/address.js';
import { isMovable, TRANSFERABLE, VALUE, type Movable } from '../util/movable.js';
import type { CheckpointOption } from '../stepped/types.js';

/** Queued tasks keep small serialized inputs in shared slabs (util/slab.ts). */
const inputs = new Slab();

export interface RunOptions {
  /** Export of the task module to run; null is the default, as in piscina. @default the pool's `name` option, else 'default' */
  name?: string | null;
  /** What the replicas' cores are judged on (attribution per core and kind). @default the task name */
  kind?: string;
  /**
   * Aborts the task, queued or running (running replicas are terminated). Rejects with an AbortError.
   * As with piscina: an AbortSignal, any object with `addEventListener` and `aborted`, or an EventEmitter emitting 'abort'; null is none.
   */
  signal?: AbortSignalAny | null;
  /**
   * Buffers whose ownership passes to the pool: they are detached from the caller once the task
   * is accepted (every replica gets its own copy of those bytes; a refused task leaves them attached).
   */
  transferList?: readonly TransferListItem[] | null;
  /** Another task module for this run (path or file: URL): workers load it on first use; replicas are voted as usual. Null is the pool's. */
  filename?: string | URL | null;
  /** Stepped tasks: how often the replicas vote on their state. @default the pool's `checkpoint` option */
  checkpoint?: CheckpointOption;
  /**
   * Stepped tasks: receives each `emit`ted output once its checkpoint is voted, in order, exactly
   * once. It is user code: one that throws is reported on 'error' and the outputs go on.
   */
  onOutput?: (output: unknown) => void;
}

const RUN_KEYS = ['name', 'kind', 'signal', 'transferList', 'filename', 'checkpoint', 'onOutput'];

export type { Movable };

/** piscina's move(): run(move(buffer)) passes the buffer's ownership to the pool, as a transferList would. */
export function move<T extends ArrayBuffer | ArrayBufferView>(value: T): Movable<T> {
  const buffer = ArrayBuffer.isView(value) ? value.buffer : value;
  if (!(buffer instanceof ArrayBuffer)) throw invalidOption('move(value)', 'an ArrayBuffer or a view of one (not shared)', value, 'type');
  return { [TRANSFERABLE]: buffer, [VALUE]: value };
}

/** piscina's AbortSignalAny: a DOM-style signal, or an EventEmitter that emits 'abort'. */
export type AbortSignalAny =
  | {
      readonly aborted?: boolean;
      readonly reason?: unknown;
      addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
      removeEventListener?(type: 'abort', listener: () => void): void;
    }
  | {
      readonly aborted?: boolean;
      readonly reason?: unknown;
      once(event: 'abort', listener: () => void): unknown;
      removeListener?(event: 'abort', listener: () => void): unknown;
    };

/** The run's signal, whichever shape it was given in. */
export interface RunSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Calls `listener` once on abort; returns what removes it. */
  onAbort(listener: () => void): () => void;
}

export interface ResolvedRun {
  name: string;
  kind: string | undefined;
  signal: RunSignal | undefined;
  /** The worker-side task address when the run names another module. */
  address: string | undefined;
  transfer: readonly ArrayBuffer[];
  /** Stepped tasks: the run's `checkpoint`, validated when the run turns out stepped. */
  checkpoint: unknown;
  onOutput: ((output: unknown) => void) | undefined;
}

function stringOption(key: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw invalidOption(key, 'a non-empty string', value, 'type');
  return value;
}

/** Validates run()'s options. Throws ERR_INVALID_OPTION naming the option. */
export function resolveRunOptions(options: unknown, defaultName: string, poolModuleUrl: string): ResolvedRun {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidOption('run options', `an object { ${RUN_KEYS.join('?, ')}? }`, options, 'type');
  }
  const given = options as Record<string, unknown>;
  // The own enumerable keys, as Object.keys gives them, without an array per call.
  for (const key in given) {
    if (Object.hasOwn(given, key) && !RUN_KEYS.includes(key)) throw invalidOption(key, `a run() option (${RUN_KEYS.join(', ')})`, given[key], 'range');
  }
  const name = given.name ?? defaultName;
  if (typeof name !== 'string') throw invalidOption('name', 'a string (an export of the task module)', name, 'type');
  const signal = runSignal(given.signal);
  const moduleUrl = given.filename === undefined || given.filename === null ? undefined : resolveModuleUrl(given.filename);
  return {
    name,
    kind: stringOption('kind', given.kind),
    signal,
    address: moduleUrl === undefined || moduleUrl === poolModuleUrl ? undefined : taskAddress(moduleUrl, name),
    transfer: transferables(given.transferList),
    checkpoint: given.checkpoint,
    onOutput: callbackOption('onOutput', given.onOutput),
  };
}

function callbackOption(key: string, value: unknown): ((output: unknown) => void) | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw invalidOption(key, 'a function (output) => void', value, 'type');
  return value as (output: unknown) => void;
}

/** piscina's signal shapes (its onabort()): addEventListener first, else an EventEmitter's once('abort'). */
function runSignal(given: unknown): RunSignal | undefined {
  if (given === undefined || given === null) return undefined;
  const signal = given as Record<string, unknown>;
  if (typeof given !== 'object' || !(typeof signal.addEventListener === 'function' || typeof signal.once === 'function')) {
    throw invalidOption('signal', "an AbortSignal, an object with addEventListener('abort'), or an EventEmitter emitting 'abort'", given, 'type');
  }
  type Method = (...args: unknown[]) => unknown;
  const target = given as { addEventListener?: Method; removeEventListener?: Method; once?: Method; removeListener?: Method };
  return {
    get aborted() {
      return signal.aborted === true;
    },
    get reason() {
      return signal.reason;
    },
    onAbort(listener) {
      if (typeof target.addEventListener === 'function') {
        target.addEventListener.call(given, 'abort', listener, { once: true });
        return () => target.removeEventListener?.call(given, 'abort', listener);
      }
      target.once!.call(given, 'abort', listener);
      return () => target.removeListener?.call(given, 'abort', listener);
    },
  };
}

/** Most runs transfer nothing: they share one empty list. */
const NO_TRANSFER: readonly ArrayBuffer[] = Object.freeze([]);

function transferables(list: unknown): readonly ArrayBuffer[] {
  if (list === undefined || list === null) return NO_TRANSFER;
  if (!Array.isArray(list)) throw invalidOption('transferList', 'an array of ArrayBuffers', list, 'type');
  return list.map((item: unknown) => {
    const buffer = ArrayBuffer.isView(item) ? item.buffer : item;
    if (buffer instanceof ArrayBuffer) return buffer;
    // A port or handle cannot be given to k replicas at once: each would need its own.
    throw invalidOption('transferList', 'ArrayBuffers (or views of them) only: every replica gets a copy of the input, a port cannot be copied', item, 'type');
  });
}

/**
 * Unwraps a value passed through move() (ours or piscina's), or a piscina custom transferable
 * (its `[transferableSymbol]` may list several buffers).
 */
export function unwrapMovable(input: unknown): { input: unknown; transfer: readonly ArrayBuffer[] } {
  if (!isMovable(input)) return { input, transfer: NO_TRANSFER };
  const listed: unknown = input[TRANSFERABLE];
  return { input: input[VALUE], transfer: transferables(Array.isArray(listed) ? listed : [listed]) };
}

/** Serializes the input once for all replicas (every core gets identical bytes). */
export function captureInput(input: unknown, name: string): Uint8Array {
  // A number, boolean, null or undefined is written straight into a slab: no buffer of its own.
  const small = smallLength(input);
  if (small > 0) {
    const bytes = inputs.alloc(small);
    writeSmall(input, bytes);
    return bytes;
  }
  let bytes: Uint8Array;
  try {
    bytes = serialize(input);
  } catch (error) {
    throw new TriplexError('ERR_NOT_CLONEABLE', `The input of task "${name}" cannot be cloned to a worker: ${messageOf(error)}`, { name });
  }
  return inputs.keep(bytes);
}

/**
 * Detaches the buffers the caller handed over, once the pool accepted the task: from then on they
 * belong to the pool, as with piscina (a task refused at submission leaves them to the caller).
 */
export function detachTransferred(transfer: readonly ArrayBuffer[], name: string): void {
  if (transfer.length === 0) return;
  try {
    structuredClone(transfer, { transfer: [...new Set(transfer)] });
  } catch (error) {
    throw new TriplexError('ERR_NOT_CLONEABLE', `The transferList of task "${name}" cannot be transferred: ${messageOf(error)}`, { name });
  }
}
