// The test suite's own rules, checked on its files: the package is imported from one place
// (dist/, the files worker threads load), and every seeded test draws from the one seed.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const TEST_DIR = fileURLToPath(new URL('.', import.meta.url));

function testSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : testSources(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

const SEED_FILE = path.join('support', 'seed.ts');
const files = testSources(TEST_DIR).map((file) => ({ name: path.relative(TEST_DIR, file), text: readFileSync(file, 'utf8') }));

describe('test hygiene', () => {
  it('tests import the package from dist/, never from src/', () => {
    const fromSrc = files.filter((f) => /(?:from\s+|import\()\s*['"](?:\.\.\/)+src\//.test(f.text)).map((f) => f.name);
    expect(fromSrc).toEqual([]);
  });

  it('every property test takes its seed from support/seed.ts (TRIPLEX_SEED)', () => {
    const seeded = files.filter((f) => f.name !== SEED_FILE && /\bfc\.(?:assert|configureGlobal)\(|\btest\.prop\(/.test(f.text));
    expect(seeded.length).toBeGreaterThan(0);
    expect(seeded.filter((f) => !f.text.includes("from './support/seed.js'")).map((f) => f.name)).toEqual([]);
    const otherEnv = files.filter((f) => f.name !== SEED_FILE && /process\.env\.\w*SEED/.test(f.text)).map((f) => f.name);
    expect(otherEnv).toEqual([]);
  });
});
