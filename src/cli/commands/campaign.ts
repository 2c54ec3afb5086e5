/** `triplex campaign`: a seeded fault-injection campaign from the command line, with a progress bar and reports. */
import { writeFile } from 'node:fs/promises';
import { assertWritable } from '../report-path.js';
import {
  campaign,
  formatModels,
  formatNotes,
  formatSummary,
  goldenWarning,
  outOfCoresText,
  progressBar,
  renderHtml,
  type CampaignOptions,
} from '../../index.js';
import { CAMPAIGN_USAGE, parseCampaignArgs } from '../campaign-args.js';

export async function run(argv: string[]): Promise<number> {
  const args = parseCampaignArgs(argv);
  if (args.help) {
    console.log(CAMPAIGN_USAGE);
    return 0;
  }
  // A report that cannot be written must fail now, not after a long campaign.
  for (const [flag, file] of [
    ['--json', args.json],
    ['--html', args.html],
  ] as const)
    if (file !== undefined) assertWritable(flag, file);
  const controller = new AbortController();
  // First Ctrl-C: stop dispatching, let tasks in flight finish, write the reports. Second: quit now.
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ntriplex campaign: interrupted; waiting for tasks in flight (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const bar = progressBar('campaign');
  let started = false;
  const options: CampaignOptions = {
    pool: args.pool,
    task: { name: args.name, inputs: args.inputs },
    faults: args.faults,
    signal: controller.signal,
    onProgress: (p) => {
      if (!started) {
        started = true;
        // A machine-readable marker on stderr: scripts (and tests) know the pool is up and tasks run.
        if (!process.stderr.isTTY) process.stderr.write(`triplex campaign: running up to ${p.total} tasks\n`);
      }
      bar.update(p);
    },
  };
  if (args.tasks !== undefined) options.tasks = args.tasks;
  if (args.margin !== undefined) options.margin = args.margin;
  if (args.confidence !== undefined) options.confidence = args.confidence;
  if (args.concurrency !== undefined) options.concurrency = args.concurrency;
  try {
    const result = await campaign(options);
    bar.done();
    if (args.json !== undefined) await writeFile(args.json, `${JSON.stringify(result, null, 2)}\n`);
    if (args.html !== undefined) await writeFile(args.html, renderHtml(result));
    if (!args.quiet) {
      console.log(formatSummary(result));
      console.log(`\n${formatModels(result)}\n\n${formatNotes(result)}`);
      if (args.json !== undefined) console.log(`JSON: ${args.json}`);
      if (args.html !== undefined) console.log(`HTML: ${args.html}`);
    }
    const golden = goldenWarning(result);
    const exitNote = args.allowGoldenErrors ? '' : ' (exit status 1; --allow-golden-errors accepts it)';
    if (golden !== undefined) process.stderr.write(`\ntriplex campaign: ${golden}${exitNote}\n`);
    if (result.interrupted) return 130;
    if (result.exhausted) process.stderr.write(`\ntriplex campaign: the pool ran out of cores: ${outOfCoresText(result)} (exit status 1)\n`);
    return result.exhausted || (golden !== undefined && !args.allowGoldenErrors) ? 1 : 0;
  } finally {
    bar.done();
    process.off('SIGINT', onSigint);
  }
}
