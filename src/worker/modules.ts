/** Task modules a worker has loaded, by URL: the pool's own at start, others on a run() that names them. */
import { isSteppedTask } from '../stepped/segment.js';
import type { SteppedTask } from '../stepped/types.js';

export type TaskFn = (input: unknown) => unknown;
/** An export the pool can run: a function, or a stepped task `{ init, step, done, result? }`. */
export type TaskExport = TaskFn | SteppedTask;

const loaded = new Map<string, Promise<Record<string, TaskExport>>>();

/** The function and stepped-task exports of a module (CommonJS ones arrive as `default`: their keys count too, a function's included). Loaded once per URL. */
export function moduleTasks(url: string): Promise<Record<string, TaskExport>> {
  let tasks = loaded.get(url);
  if (tasks === undefined) {
    tasks = importTasks(url);
    loaded.set(url, tasks);
    tasks.catch(() => loaded.delete(url)); // a module that failed may load on a later try (as before)
  }
  return tasks;
}

async function importTasks(url: string): Promise<Record<string, TaskExport>> {
  const mod = (await import(url)) as Record<string, unknown>;
  const found: Record<string, TaskExport> = {};
  // piscina's "delaying availability": a default export that is a promise of the task (or of the exports).
  const exported = mod.default;
  const cjs = typeof (exported as PromiseLike<unknown> | undefined)?.then === 'function' ? await exported : exported;
  if (typeof cjs === 'function') found.default = cjs as TaskFn;
  // `module.exports = fn; fn.other = ...`: its own properties are tasks too, as piscina finds them.
  if ((typeof cjs === 'object' && cjs !== null) || typeof cjs === 'function') {
    for (const [key, value] of Object.entries(cjs)) if (isTask(value)) found[key] = value;
  }
  for (const [key, value] of Object.entries(mod)) if (isTask(value)) found[key] = value;
  return found;
}

function isTask(value: unknown): value is TaskExport {
  return typeof value === 'function' || isSteppedTask(value);
}
