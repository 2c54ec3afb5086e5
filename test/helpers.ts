import { fileURLToPath } from 'node:url';

/** Fixture task module used by the integration tests (real worker threads load it). */
export const TASKS = fileURLToPath(new URL('./fixtures/tasks.mjs', import.meta.url));

/** Waits until `check` is true, polling; fails with `what` after `ms`. */
export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
