/**
 * Entry module of every core's worker thread (one piscina worker per core).
 * At load: pin this thread to its CPU synchronously. Replicas arrive through the core's
 * shared-memory rings (serve.ts); per replica: deserialize the input, run the task, apply the
 * injector's order (if any), encode the outcome.
 */
import { threadId } from 'node:worker_threads';
import { affinityMask, currentCpu, disableAffinity, pinCurrentThread, preloadAffinity } from './affinity.js';
import type { FlipRecord } from '../inject/flip.js';
import { hangForever, INJECTED_CRASH_EXIT, injectBeforeRun, injectIntoResult } from '../inject/apply.js';
import { installDeterminism, runDeterministic } from './determinism.js';
import { serve } from '../transport/serve.js';
import { decodePayload, encodeValue, type EncodedValue } from '../codec/payload.js';
import { encodeThrown } from '../codec/error-codec.js';
import type { CoreRequest, CoreWorkerData, HelloReply, InjectOrder, ProbeReply, RunReply, RunRequest } from '../transport/protocol.js';
import { NOT_STEPPED, PROGRESS, TASK_NOT_FOUND } from '../transport/protocol.js';
import { publishIdentity, takeWorkerData } from './context.js';
import { moduleTasks, type TaskExport } from './modules.js';
import { firstOrder, isSteppedTask, runSegment, SEGMENT_PREFIX } from '../stepped/segment.js';
import type { SegmentOrder, SteppedTask } from '../stepped/types.js';
import { parseTaskAddress } from '../transport/address.js';
import { movedValue } from '../util/movable.js';
import { isError, messageOf, textOf } from '../errors.js';

// Tasks see the user's workerData only (identical on every core); triplex's part is taken here.
const data: CoreWorkerData = takeWorkerData();

// [replicas started, latest loaded thread, -, closing, start time of the latest replica]:
// read by the main thread's watchdog and by Core.stop.
const progress = new Int32Array(data.progress, 0, 4);
const progressTime = new Float64Array(data.progress, PROGRESS.latestStartAt, 1);

// Pin before anything else runs on this thread; a restarted worker pins again. Terminating a
// thread while it loads modules (V8 aborts in module instantiation) or koffi's native module
// (node-addon-api treats the pending termination as fatal) aborts the whole process, so the pool
// terminates a worker only once it reported that all its loading is done (see loaded()), and a
// worker started while the pool closes does not load koffi at all.
const closing = Atomics.load(progress, PROGRESS.closing) === 1;
if (closing) disableAffinity('the core is closing');
else preloadAffinity(); // sched_getcpu is read per replica: koffi must not load later, unannounced
const pinError = data.pin === 'off' ? 'pinning is off' : closing ? 'the core is closing' : pinCurrentThread(data.cpu);
const pinned = pinError === undefined;
const readCpu = currentCpu;
// triplex's own timing reads the real clocks: the virtual ones (worker/determinism.ts) are the task's.
const realNow = performance.now.bind(performance);
const wallNow = Date.now;
// Before the task module loads, so the references it captures follow each replica (worker/determinism.ts).
installDeterminism();
publishIdentity({ id: data.coreId, cpu: data.cpu, pinned });

let tasks: Record<string, TaskExport> | undefined;
let loadError: { name: string; message: string } | undefined;

async function loadTasks(): Promise<Record<string, TaskExport>> {
  if (tasks !== undefined) return tasks;
  const found: Record<string, TaskExport> = data.moduleUrl === '' ? {} : { ...(await moduleTasks(data.moduleUrl)) };
  const kats = (await import('../health/kat-tasks.js')) as { katTasks: Record<string, TaskExport> };
  Object.assign(found, kats.katTasks);
  return (tasks = found);
}

function replyToError(error: unknown, ms: number, flips: FlipRecord[] | undefined): RunReply {
  const reply: RunReply = { ok: false, payload: encodeThrown(error), ms, cpu: readCpu() };
  if (flips !== undefined) reply.flips = flips;
  return reply;
}

/** A task name already resolved to its export: later replicas of it skip the lookup and run without a microtask hop. */
interface ResolvedTask {
  fn: TaskExport;
  /** The export's name, without a module URL or segment prefix. */
  name: string;
  /** A segment of a stepped task (stepped/driver.ts): its name carries a prefix, its input is the order. */
  segment: boolean;
  stepped: SteppedTask | undefined;
  /** How an error about its returned value starts (built once: only an uncloneable value uses it). */
  what: string;
}

/** Names resolved so far (a module's exports never change once it loaded: moduleTasks keeps its table). */
const resolvedTasks = new Map<string, ResolvedTask>();

/** A replica: synchronous once its task is resolved and unless the task returns a promise. */
function runTask(request: RunRequest): RunReply | Promise<RunReply> {
  progressTime[0] = wallNow();
  Atomics.add(progress, PROGRESS.started, 1);
  const task = resolvedTasks.get(request.name);
  return task === undefined ? resolveAndRun(request) : runResolved(task, request);
}

async function resolveAndRun(request: RunRequest): Promise<RunReply> {
  const address = parseTaskAddress(request.name);
  const segment = address.name.startsWith(SEGMENT_PREFIX);
  const name = segment ? address.name.slice(SEGMENT_PREFIX.length) : address.name;
  let table: Record<string, TaskExport>;
  try {
    table = address.moduleUrl === undefined ? await loadTasks() : await moduleTasks(address.moduleUrl);
  } catch (error) {
    // A module that fails to load fails every replica alike: an error outcome, not a crash.
    const failed = new Error(`The task module ${address.moduleUrl ?? data.moduleUrl} failed to load: ${messageOf(error)}`);
    return replyToError(Object.assign(failed, { code: 'ERR_TASK_NOT_FOUND' }), 0, undefined);
  }
  const fn = table[name];
  if (fn === undefined) {
    const error = Object.assign(new Error(`Task "${name}" is not exported by ${address.moduleUrl ?? 'the task module'}`), { code: TASK_NOT_FOUND });
    return replyToError(error, 0, undefined);
  }
  const stepped = isSteppedTask(fn) ? fn : undefined;
  const what = stepped === undefined ? `Task "${name}" returned a value that` : `The state or outputs of stepped task "${name}"`;
  const task: ResolvedTask = { fn, name, segment, stepped, what };
  resolvedTasks.set(request.name, task);
  return runResolved(task, request);
}

function runResolved(task: ResolvedTask, request: RunRequest): RunReply | Promise<RunReply> {
  const { fn, name, segment, stepped, what } = task;
  const start = realNow();
  const order = request.inject;
  let input = decodePayload(request.input, 0);
  let flips: FlipRecord[] | undefined;
  if (segment && stepped === undefined) {
    const message = `Task "${name}" is not a stepped task ({ init, step, done }): the run options "onOutput" and "checkpoint", and runStream, are for stepped tasks`;
    return replyToError(Object.assign(new Error(message), { code: NOT_STEPPED }), 0, undefined);
  }
  // A stepped task's replica crashes or hangs half-way through its segment (runStepped), as a real fault would.
  if (order !== undefined) ({ value: input, flips } = injectBeforeRun(order, input, stepped === undefined));
  let value: unknown;
  try {
    value = runDeterministic(request.det, () =>
      stepped === undefined ? (fn as (input: unknown) => unknown)(input) : runStepped(stepped, input, segment, order),
    );
  } catch (error) {
    return replyToError(error, realNow() - start, flips);
  }
  if (value instanceof Promise) return settledReply(value, what, order, start, flips);
  return finishedReply(what, value, order, start, flips);
}

async function settledReply(
  pending: Promise<unknown>,
  what: string,
  order: InjectOrder | undefined,
  start: number,
  flips: FlipRecord[] | undefined,
): Promise<RunReply> {
  let value: unknown;
  try {
    value = await pending;
  } catch (error) {
    return replyToError(error, realNow() - start, flips);
  }
  return finishedReply(what, value, order, start, flips);
}

/** The reply to a replica that returned `value` (a task may return move(buffer), as with piscina: the caller gets, and the vote compares, the buffer's value). */
function finishedReply(what: string, returned: unknown, order: InjectOrder | undefined, start: number, flips: FlipRecord[] | undefined): RunReply {
  let value = movedValue(returned);
  // Injection only (an object per replica is fine there): with no injector, order is undefined.
  if (order !== undefined) ({ value, flips } = injectIntoResult(order, { value, flips }, readCpu(), start));
  return valueReply(what, value, start, flips);
}

/**
 * One segment of a stepped task. A plain request (a run submitted before the pool knew the export
 * is stepped) runs its first step only and the pool takes over from that checkpoint.
 */
function runStepped(task: SteppedTask, input: unknown, segment: boolean, inject: InjectOrder | undefined): Promise<unknown> {
  const order = segment ? (input as SegmentOrder) : firstOrder(input);
  if (inject?.crash !== true && inject?.hang !== true) return runSegment(task, order);
  order.faultAfter = Math.floor(order.steps / 2);
  return runSegment(task, order, inject.crash === true ? () => process.exit(INJECTED_CRASH_EXIT) : hangForever);
}

/** The reply carrying a replica's value, encoded; an error reply if it cannot be encoded. */
function valueReply(what: string, value: unknown, start: number, flips: FlipRecord[] | undefined): RunReply {
  let encoded: EncodedValue;
  try {
    encoded = encodeValue(value);
  } catch (error) {
    const notCloneable = Object.assign(new Error(`${what} cannot be cloned: ${messageOf(error)}`), {
      code: 'ERR_NOT_CLONEABLE',
    });
    return replyToError(notCloneable, realNow() - start, flips);
  }
  // Voted on by the main thread, on these bytes (replication/byte-keys.ts): what is compared is what the caller gets.
  const reply: RunReply = { ok: true, payload: encoded.bytes, ms: realNow() - start, cpu: readCpu() };
  if (encoded.raw !== 0) reply.raw = encoded.raw;
  if (flips !== undefined) reply.flips = flips;
  return reply;
}

async function hello(): Promise<HelloReply> {
  const reply: HelloReply = { pinned, cpu: readCpu(), exports: [] };
  if (pinError !== undefined) reply.pinError = pinError;
  try {
    const table = await loadTasks();
    reply.exports = Object.keys(table);
    reply.stepped = reply.exports.filter((name) => isSteppedTask(table[name]));
  } catch (error) {
    loadError = { name: isError(error) ? textOf(error.name) : 'Error', message: messageOf(error) };
    reply.loadError = loadError;
  }
  return reply;
}

function probe(): ProbeReply {
  return { cpu: readCpu(), threadId, pinned, affinity: affinityMask() };
}

/**
 * Starts once piscina has finished loading this module (a microtask runs after the synchronous
 * require that evaluates it): loads the task module (and the known-answer tests) too, then tells
 * the main thread that this thread may now be terminated safely. Requests wait for it.
 */
const loaded = new Promise<void>((resolve) => queueMicrotask(resolve)).then(async () => {
  try {
    await loadTasks();
  } catch {
    // Reported by hello(); a replica gets it as an error outcome.
  }
  Atomics.store(progress, PROGRESS.loadedThread, threadId);
});

/** piscina's handler: the start-up handshake, then serving the core's rings (replicas and probes travel there). */
export default async function handle(request: CoreRequest): Promise<HelloReply | 'idle' | 'unknown-channel'> {
  await loaded;
  return request.kind === 'serve' ? serve(request, { run: runTask, probe }) : hello();
}

export type { InjectOrder };
