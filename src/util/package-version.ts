/** The package's version, read from its package.json (once). */
import { createRequire } from 'node:module';

let version: string | undefined;

export function packageVersion(): string {
  // dist/util/ and src/util/ both sit two levels below the package root.
  version ??= (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  return version;
}
