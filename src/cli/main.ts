#!/usr/bin/env node
/**
 * The `triplex` command. Each subcommand lives in its own module under ./commands and is
 * loaded only when used, so `triplex cores` does not pay for the simulator.
 */
import { isTriplexError } from '../errors.js';
import { isUsageError } from './usage.js';

interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const commands: Record<string, Command> = {
  cores: { summary: 'CPUs seen, affinity mask, whether pinning works, each core verified with sched_getcpu', load: () => import('./commands/cores.js') },
  sim: {
    summary: 'Simulate a scenario (a JSON file, or a shipped one by name): binding, faults, sweeps; table + HTML report',
    load: () => import('./commands/sim.js'),
  },
  audit: {
    summary: 'Summarise an audit log (faults, state history, disagreements) and replay it into a health snapshot',
    load: () => import('./commands/audit.js'),
  },
  campaign: {
    summary: 'Fault-injection campaign on a real pool: outcomes, coverage with CI, JSON and HTML reports',
    load: () => import('./commands/campaign.js'),
  },
  worker: {
    summary: 'Serve a TriplexCluster as one host: local pinned cores run replica jobs from Redis (BullMQ)',
    load: () => import('./commands/worker.js'),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    'Usage: triplex <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `triplex <command> --help` for the options of a command; `triplex --version` prints the version.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // No command is a usage error: the usage goes to stderr, exit status 2.
    console.error(usage());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    console.log((await import('../api/index.js')).Triplex.version);
    return 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    console.error(`triplex: unknown command "${name}" (see \`triplex --help\`)`);
    return 2;
  }
  return (await command.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = isUsageError(error) ? 2 : 1;
    if (isUsageError(error)) console.error(error.line);
    else if (isTriplexError(error)) console.error(`triplex: ${error.code}: ${error.message}`);
    // System errors (a file that cannot be written...) explain themselves in one line; anything else is a bug: keep its stack.
    else if (typeof (error as { code?: unknown }).code === 'string') console.error(`triplex: ${(error as Error).message}`);
    else console.error(error);
  },
);
