/**
 * CommonJS consumers: a `.cjs` file that require()s every entry, and a TypeScript project compiled
 * with `module: commonjs` (types resolved through `types` / `typesVersions`, run by Node's require).
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runFixture } from './helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TASKS = fileURLToPath(new URL('./fixtures/compat-tasks.mjs', import.meta.url));
const run = promisify(execFile);

const CONSUMER = `import Triplex, { Triplex as Named, isTriplexError, typedTasks, type RunOptions } from 'triplex';
import { simulate } from 'triplex/sim';
import { FaultInjector } from 'triplex/testing';
import { currentCore, type CoreIdentity } from 'triplex/worker';
import { registerMetrics } from 'triplex/prometheus';

type Tasks = { default: (input: { a: number; b: number }) => number; sub: (input: { a: number; b: number }) => number };

async function main(): Promise<void> {
  const pool = new Triplex<{ a: number; b: number }, number>({ filename: ${JSON.stringify(TASKS)}, cores: 3, pin: 'off', faultDomain: 'none' });
  const sum: number = await pool.run({ a: 4, b: 6 });
  const typed = typedTasks<Tasks>(pool);
  const difference: number = await typed('sub', { a: 4, b: 6 });
  // @ts-expect-error: run() options are checked (a typo is a compile error, and a runtime one)
  const typo = await pool.run({ a: 1, b: 2 }, { nmae: 'sub' }).catch((e: unknown) => (isTriplexError(e) ? e.code : 'other'));
  // @ts-expect-error: typed tasks check the input type
  void typed('sub', 'not numbers').catch(() => undefined);
  const options: RunOptions = { name: 'default' };
  const identity: CoreIdentity | undefined = currentCore();
  await pool.close();
  const entries = [typeof simulate, typeof FaultInjector, typeof registerMetrics, Named === Triplex, identity === undefined, options.name];
  process.stdout.write(JSON.stringify({ sum, difference, typo, entries }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
`;

describe('CommonJS consumers', () => {
  it('a .cjs file require()s every entry and runs a pool', async () => {
    const result = await runFixture('cjs-consumer.cjs');
    expect(result).toEqual({
      sum: 10,
      typo: 'ERR_INVALID_OPTION',
      entries: { defaultIsPool: true, sim: 'function', testing: true, prometheus: 'object', worker: 'function', outsideWorker: true },
    });
  });

  it('a TypeScript project with module: commonjs type-checks against every entry, compiles and runs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'triplex-cjs-'));
    try {
      mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
      symlinkSync(ROOT, path.join(dir, 'node_modules', 'triplex'), 'dir');
      symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'), 'dir');
      const compilerOptions = { module: 'commonjs', target: 'ES2022', strict: true, esModuleInterop: true, outDir: 'out', types: ['node'], skipLibCheck: true };
      writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['index.ts'] }));
      writeFileSync(path.join(dir, 'index.ts'), CONSUMER);
      const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      await run(process.execPath, [tsc, '-p', dir]).catch((error: { stdout?: string; message: string }) => {
        throw new Error(`tsc failed: ${error.stdout ?? error.message}`);
      });
      const { stdout } = await run(process.execPath, [path.join(dir, 'out', 'index.js')], { cwd: dir, timeout: 20_000 });
      const entries = ['function', 'function', 'function', true, true, 'default'];
      expect(JSON.parse(stdout)).toEqual({ sum: 10, difference: -2, typo: 'ERR_INVALID_OPTION', entries });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
