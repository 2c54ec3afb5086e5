/**
 * `triplex/worker`: for task modules. A task's result must not depend on the core it runs on
 * (replicas are compared), so the core identity is here for tests, fault simulation and logs.
 */
import { CORE_IDENTITY, type CoreIdentity } from './worker/context.js';

export type { CoreIdentity };

/** The core this thread serves, or undefined outside a triplex worker. */
export function currentCore(): CoreIdentity | undefined {
  return (globalThis as Record<symbol, CoreIdentity | undefined>)[CORE_IDENTITY];
}

/** True inside a triplex core's worker thread. */
export function isWorkerThread(): boolean {
  return currentCore() !== undefined;
}
