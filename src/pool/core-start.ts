/**
 * Starting a pool's cores: every enabled core's worker starts, pins itself and loads the task
 * module. A core whose worker cannot start, a module that fails to load and a core that cannot be
 * pinned under `pin: 'required'` are typed errors; the pool then rejects every task with them.
 */
import type { PoolCore as Core } from '../cores/types.js';
import { messageOf, TriplexError } from '../errors.js';
import type { ResolvedOptions } from './options.js';

/** Starts `cores` and returns the task module's exports (its stepped tasks added to `stepped`); rejects with the first start error. */
export async function startCores(cores: readonly Core[], options: ResolvedOptions, stepped?: Set<string>): Promise<Set<string>> {
  const hellos = await Promise.all(cores.map((core) => core.start().catch((error: unknown) => Promise.reject(workerStartError(error, core)))));
  const exports = new Set<string>();
  let failure: TriplexError | undefined;
  for (const [i, hello] of hellos.entries()) {
    const core = cores[i]!;
    if (hello.loadError !== undefined) {
      failure = new TriplexError('ERR_TASK_NOT_FOUND', `The task module ${options.moduleUrl} failed to load: ${hello.loadError.message}`, {
        filename: options.moduleUrl,
      });
    }
    if (options.pin === 'required' && !hello.pinned) {
      failure = new TriplexError('ERR_PINNING', `Core ${core.id} could not be pinned to CPU ${core.cpu}: ${hello.pinError ?? 'unknown reason'}`, {
        core: core.id,
        cpu: core.cpu,
      });
    }
    for (const name of hello.exports) exports.add(name);
    for (const name of hello.stepped ?? []) stepped?.add(name);
  }
  if (failure !== undefined) throw failure;
  return exports;
}

/** ERR_WORKER_START: a core's worker thread could not start (Node refused its options, or it died while starting). */
export function workerStartError(error: unknown, core?: Core): TriplexError {
  const message = messageOf(error);
  const nodeCode = (error as { code?: unknown } | null)?.code;
  const who = core === undefined ? 'A core' : `Core ${core.id}`;
  const data = { core: core?.id, cause: typeof nodeCode === 'string' ? nodeCode : undefined };
  return new TriplexError('ERR_WORKER_START', `${who}'s worker thread could not start: ${message}`, data, { cause: error });
}
