/**
 * The one seed of every seeded test: the fast-check properties, and the seeded fault storms.
 * Set TRIPLEX_SEED to vary or replay a run; without it the default below makes runs reproducible.
 * fast-check reports the seed and shrink path of any counterexample; the seed is also printed once
 * per test file, so a failure elsewhere in a seeded file can be replayed too.
 */
import { fc } from '@fast-check/vitest';

const DEFAULT_SEED = 0x5eed;

function readSeed(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_SEED;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new Error(`TRIPLEX_SEED must be an integer, got ${JSON.stringify(text)}`);
  return seed;
}

export const SEED = readSeed(process.env.TRIPLEX_SEED);

// Properties that pass no seed of their own use it too.
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: SEED });
console.info(`seeded tests: seed ${SEED} (set TRIPLEX_SEED to change)`);
