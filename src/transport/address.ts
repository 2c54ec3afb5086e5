/**
 * A replica request names its task by export name; a run() with its own `filename` prefixes the
 * module's URL. The separator (NUL) cannot occur in a URL, so plain names pass unchanged.
 */
const SEPARATOR = '\u0000';

export function taskAddress(moduleUrl: string | undefined, name: string): string {
  return moduleUrl === undefined ? name : `${moduleUrl}${SEPARATOR}${name}`;
}

export function parseTaskAddress(address: string): { moduleUrl: string | undefined; name: string } {
  const at = address.indexOf(SEPARATOR);
  return at < 0 ? { moduleUrl: undefined, name: address } : { moduleUrl: address.slice(0, at), name: address.slice(at + 1) };
}
