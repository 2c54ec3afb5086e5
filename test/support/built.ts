/**
 * Vitest global setup: tests import the package from dist/ (the files worker threads load), so a
 * dist/ older than src/ would test stale code. Fails the run with what to do instead.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? sources(file) : entry.name.endsWith('.ts') ? [file] : [];
  });
}

export default function checkBuilt(): void {
  const src = path.join(root, 'src');
  const stale: string[] = [];
  for (const file of sources(src)) {
    const built = path.join(root, 'dist', path.relative(src, file)).replace(/\.ts$/, '.js');
    let builtAt: number;
    try {
      builtAt = statSync(built).mtimeMs;
    } catch {
      stale.push(`${path.relative(root, built)} is missing`);
      continue;
    }
    if (statSync(file).mtimeMs > builtAt) stale.push(`${path.relative(root, file)} is newer than its build`);
  }
  if (stale.length > 0) {
    throw new Error(
      `Tests import the built package from dist/; run \`npm run build\` first (\`npm test\` does). ${stale.slice(0, 5).join('; ')}${stale.length > 5 ? ` (and ${stale.length - 5} more)` : ''}`,
    );
  }
}
