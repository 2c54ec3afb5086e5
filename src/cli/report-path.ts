/** Report paths given on the command line: checked before a long run, never creating directories. */
import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { invalidOption } from '../errors.js';

/** Opens the report file for writing (creating it only for the check), so a bad path fails before the run. */
export function assertWritable(flag: string, file: string): void {
  let existed = true;
  try {
    statSync(file);
  } catch {
    existed = false;
  }
  try {
    closeSync(openSync(file, 'a'));
  } catch (error) {
    throw invalidOption(flag, `a path that can be written (${(error as Error).message})`, file, 'range');
  }
  if (!existed) rmSync(file, { force: true });
}
