/** Command-line usage errors: one line on stderr and exit status 2, never a stack trace. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  constructor(
    readonly command: string,
    message: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }

  /** The line printed for it. */
  get line(): string {
    return `triplex ${this.command}: ${this.message} (see \`triplex ${this.command} --help\`)`;
  }
}

/** node:util parseArgs (strict, its default): an unknown flag or a flag without its value is a UsageError. */
export function parseCommandArgs<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    // parseArgs' messages are one sentence plus advice on '--' (for positionals): keep the sentence.
    const message = (error as Error).message.split('. ')[0]!.replace(/\.$/, '');
    throw new UsageError(command, message);
  }
}

export function isUsageError(error: unknown): error is UsageError {
  return error instanceof UsageError;
}
