/**
 * Typed task modules: `const run = typedTasks<typeof import('./tasks.js')>(pool)` gives
 * `run('fib', 30)` the input and output types of the module's `fib` export.
 */
import type { RunOptions } from './run-options.js';
import type { Triplex } from './triplex.js';

/** Export names of a module that are tasks (functions of at most one argument). */
export type TaskName<M> = { [K in keyof M]: M[K] extends (input: never) => unknown ? K : never }[keyof M] & string;
/** The input type of task `N`. */
export type TaskInput<M, N extends TaskName<M>> = M[N] extends (input: infer I) => unknown ? I : never;
/** The voted value of task `N` (a promise's value for async tasks). */
export type TaskOutput<M, N extends TaskName<M>> = M[N] extends (...args: never[]) => infer O ? Awaited<O> : never;

export type TypedRun<M> = <N extends TaskName<M>>(name: N, input: TaskInput<M, N>, options?: Omit<RunOptions, 'name'>) => Promise<TaskOutput<M, N>>;

/** run() typed by a task module's exports (types only: it calls pool.run with `name`). */
export function typedTasks<M>(pool: Triplex): TypedRun<M> {
  return (name, input, options = {}) => pool.run(input, { ...options, name });
}
