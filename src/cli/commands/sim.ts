/** `triplex sim <scenario.json>`: runs a scenario in the discrete-event simulator. */
import { writeFileSync } from 'node:fs';
import { parseCommandArgs, UsageError } from '../usage.js';
import { invalidOption } from '../../errors.js';
import { formatTable, loadScenario, renderHtml, runScenario } from '../../sim.js';
import { resolveScenario, shippedScenarios } from '../scenarios.js';
import { assertWritable } from '../report-path.js';

const usage = (): string => `Usage: triplex sim <scenario.json | NAME> [--html out.html] [--json out.json] [--seed N]

Simulates a scenario (cores, CPUs, faults, binding variants, sweeps) with the real binding
policies, health model and voter on virtual time. Prints one row per run; --html writes a
self-contained report with charts, --json every metric and series.

Scenarios shipped with the package (by NAME): ${shippedScenarios().join(', ')}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('sim', {
    args: argv,
    allowPositionals: true,
    options: { html: { type: 'string' }, json: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    console.log(usage());
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('sim', `expects one scenario file or name, received ${positionals.length}`);
  const file = resolveScenario(positionals[0]!);
  if (file === undefined) throw new UsageError('sim', `no scenario file or shipped scenario "${positionals[0]!}" (shipped: ${shippedScenarios().join(', ')})`);
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (values.seed.trim() === '' || !Number.isInteger(seed)) throw invalidOption('--seed', 'an integer', values.seed, 'type');
  }
  const scenario = loadScenario(file, seed);
  // A report that cannot be written must fail now, not after the whole simulation (no directory is created).
  for (const [flag, out] of [
    ['--json', values.json],
    ['--html', values.html],
  ] as const)
    if (out !== undefined) assertWritable(flag, out);
  const wall = performance.now();
  const result = runScenario(scenario, (r, i, total) => {
    const at = r.point === undefined ? '' : ` ${scenario.sweep?.param}=${String(r.point)}`;
    process.stderr.write(
      `[${i + 1}/${total}] ${r.variant}${at}: ${r.tasks.settled} tasks in ${(r.wallMs / 1000).toFixed(2)} s (CPU ${(r.cpuMs / 1000).toFixed(2)} s)\n`,
    );
  });
  console.log(`${result.name}: ${result.description}`);
  console.log(formatTable(result.results, scenario.sweep?.param));
  console.log(`simulated ${result.results.length} run(s) in ${((performance.now() - wall) / 1000).toFixed(1)} s`);
  if (values.json !== undefined) {
    writeFileSync(values.json, `${JSON.stringify(result, null, 1)}\n`);
    console.log(`json: ${values.json}`);
  }
  if (values.html !== undefined) {
    writeFileSync(values.html, renderHtml(result));
    console.log(`html: ${values.html}`);
  }
  return 0;
}
