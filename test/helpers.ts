import { afterEach } from 'vitest';
import { Triplex, type TriplexOptions } from '../dist/index.js';
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

/**
 * Runs a fixture script (test/fixtures/NAME) in a child Node process and returns its stdout parsed
 * as JSON. Fails with the child's stderr when it exits non-zero, aborts, or runs past `timeout`
 * (a process that does not exit by itself times out: that is what the exit tests check).
 */
export async function runFixture(name: string, args: string[] = [], timeout = 20_000): Promise<unknown> {
  const { execFile } = await import('node:child_process');
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  const output = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [script, ...args], { timeout }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr.slice(0, 2000)}`));
      else resolve(stdout);
    });
  });
  return JSON.parse(output) as unknown;
}

/**
 * Fault domain of the test pools: 'none', chosen explicitly. The pools here have more cores
 * than this machine has fault domains (2 CPUs), so their replicas share CPUs: the tests check
 * voting, attribution and recovery, not independence of the hardware. Tests of fault domains
 * themselves pass `faultDomain` explicitly.
 */
export const TEST_FAULT_DOMAIN = 'none' as const;

/**
 * A `pool(options)` factory for a test file: real pools on the fixture task module (unless the
 * options name another), all destroyed after each test. Replicas share CPUs (TEST_FAULT_DOMAIN).
 */
export function pools(): (options?: Partial<TriplexOptions>) => Triplex {
  const created: Triplex[] = [];
  afterEach(async () => {
    await Promise.all(created.splice(0).map((p) => p.destroy()));
  });
  return (options = {}) => {
    const pool = new Triplex({ filename: TASKS, faultDomain: TEST_FAULT_DOMAIN, ...options });
    created.push(pool);
    return pool;
  };
}
