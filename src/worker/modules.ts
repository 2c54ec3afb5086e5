/** Task modules a worker has loaded, by URL: the pool's own at start, others on a run() that names them. */
export type TaskFn = (input: unknown) => unknown;

const loaded = new Map<string, Promise<Record<string, TaskFn>>>();

/** The function exports of a module (CommonJS ones arrive as `default`: their keys count too). Loaded once per URL. */
export function moduleTasks(url: string): Promise<Record<string, TaskFn>> {
  let tasks = loaded.get(url);
  if (tasks === undefined) {
    tasks = importTasks(url);
    loaded.set(url, tasks);
    tasks.catch(() => loaded.delete(url)); // a module that failed may load on a later try (as before)
  }
  return tasks;
}

async function importTasks(url: string): Promise<Record<string, TaskFn>> {
  const mod = (await import(url)) as Record<string, unknown>;
  const found: Record<string, TaskFn> = {};
  // piscina's "delaying availability": a default export that is a promise of the task (or of the exports).
  const exported = mod.default;
  const cjs = typeof (exported as PromiseLike<unknown> | undefined)?.then === 'function' ? await exported : exported;
  if (typeof cjs === 'function') found.default = cjs as TaskFn;
  if (typeof cjs === 'object' && cjs !== null) {
    for (const [key, value] of Object.entries(cjs)) if (typeof value === 'function') found[key] = value as TaskFn;
  }
  for (const [key, value] of Object.entries(mod)) if (typeof value === 'function') found[key] = value as TaskFn;
  return found;
}
