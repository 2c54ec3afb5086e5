/** The simulator scenarios shipped with the package (bench/scenarios), found by name. */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/cli/scenarios.js → <package>/bench/scenarios */
const SHIPPED = fileURLToPath(new URL('../../bench/scenarios/', import.meta.url));

/** Names of the shipped scenarios (file names without .json). */
export function shippedScenarios(): string[] {
  try {
    return readdirSync(SHIPPED)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}

/** A path that exists is used as is; otherwise a shipped scenario's name (with or without .json). Undefined when neither. */
export function resolveScenario(arg: string): string | undefined {
  if (existsSync(arg)) return arg;
  // A bare name, or the repository path the README shows (bench/scenarios/NAME.json) run from elsewhere.
  const bare = arg.replace(/^(\.\/)?bench\/scenarios\//, '');
  if (bare.includes('/') || bare.includes(path.sep)) return undefined;
  const name = path.basename(bare, '.json');
  const shipped = path.join(SHIPPED, `${name}.json`);
  return existsSync(shipped) ? shipped : undefined;
}
