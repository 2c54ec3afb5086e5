#!/usr/bin/env node
/** `npm start`: runs the demo and prints the outcome table; writes triplex-report.html. */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { formatNotes } from '../index.js';
import { isTriplexError } from '../errors.js';
import { DEMO_FAULT_DOMAIN, runDemo } from './run.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      tasks: { type: 'string' },
      seed: { type: 'string' },
      html: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      'Usage: npm start -- [--tasks N] [--seed N] [--html file] [--json file]\n\nRuns the fault-injection demo (about a minute on 2 CPUs) and writes an HTML report.',
    );
    return 0;
  }
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  console.log(`triplex demo: SHA-256 chains + RK4 pendulum on 6 pinned logical cores (${availableParallelism()} CPUs)`);
  console.log('faults: core 1 stuck, core 4 intermittent (bursts at 50 %), 1 % transient bit flips on every core');
  console.log(`fault domains: none (faultDomain '${DEMO_FAULT_DOMAIN}'): the replicas share this machine's CPUs,`);
  console.log('so they show voting and attribution, not independent hardware\n');
  const demo = await runDemo({
    ...(values.tasks === undefined ? {} : { tasks: Number(values.tasks) }),
    ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
    ...(values.html === undefined ? {} : { html: values.html }),
    ...(values.json === undefined ? {} : { json: values.json }),
    signal: controller.signal,
  });
  console.log(`\n${demo.table}\n`);
  for (const result of demo.results) {
    console.log(`${result.label}:`);
    console.log(
      formatNotes(result)
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n'),
    );
  }
  console.log(`
Reading the table: "corrected" tasks had a wrong, crashed or hung replica that the vote out-voted;
"detected" tasks were refused with a typed error instead of a wrong answer (static groups without a
spare cannot re-execute elsewhere, and a group with a disabled core leaves service); "sdc" counts wrong
answers that reached the caller: only two replicas with the same wrong value get through — common-mode
faults by design, and (rarely) two independent faults that flipped the same bit of the same field.`);
  if (demo.htmlPath !== undefined) console.log(`\nHTML report: ${demo.htmlPath}`);
  console.log(`wall time: ${(demo.elapsedMs / 1000).toFixed(1)} s`);
  return controller.signal.aborted ? 130 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(isTriplexError(error) ? `demo: ${error.code}: ${error.message}` : error);
    process.exitCode = 1;
  },
);
