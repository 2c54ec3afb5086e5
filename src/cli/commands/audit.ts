/** `triplex audit <file>`: summarise an audit log and replay it into a health snapshot. */
import { readFile, writeFile } from 'node:fs/promises';
import { parseCommandArgs, UsageError } from '../usage.js';
import { parseAuditLog, summarizeAudit, type AuditSummary } from '../../index.js';

const HELP = `Usage: triplex audit <file> [--json] [--snapshot out.json] [--complete]

Summarises an audit log written with the pool option audit: { file }:
per core its faults and state history, per task kind its disagreements and retries,
then replays the action lines into the final state of every core.

  --json             print the whole summary (with the replayed health snapshot) as JSON
  --snapshot <file>  write the replayed health snapshot, for the option health.restore
  --complete         every pool in the log has stopped: a last run without its pool-stop is missing
                     lines too (a log whose tail was cut off)

Every run in the file (one per pool-start) is replayed and checked against its own pool-stop:
each core's state and faults, and the fault (and, at level 'tasks', task) lines against the
pool's stats. The last run may lack its pool-stop (the pool may still be running): that is
reported, not an error, unless --complete.

Exit status: 0, or 1 when the log has malformed lines, sequence gaps, missing lines (a run not
starting with pool-start at seq 1, or without a pool-stop before the next run or, with --complete,
at the end), or a replay that
disagrees with what a pool-stop recorded.`;

function ms(t: number): string {
  return t < 1_000 ? `${t.toFixed(1)} ms` : `${(t / 1_000).toFixed(2)} s`;
}

function print(file: string, s: AuditSummary): void {
  console.log(`audit log:  ${file}`);
  console.log(
    `lines:      ${s.lines} in ${s.runs} run(s)${s.malformed.length > 0 ? `, ${s.malformed.length} malformed` : ''}; sequence ${s.gaps.length === 0 ? 'contiguous' : `has ${s.gaps.length} gap(s)`}`,
  );
  if (s.startedAt !== undefined)
    console.log(
      `from:       ${s.startedAt}${s.stoppedAt !== undefined ? ` to ${s.stoppedAt}` : ' (no pool-stop line: still running, or not shut down with destroy())'}`,
    );
  const o = s.options;
  if (o !== undefined)
    console.log(
      `pool:       ${String(o.redundancy).toUpperCase()}, ${String(o.binding)} binding, ${String(o.cores)} cores on CPUs [${(o.cpus as number[] | undefined)?.join(', ') ?? '?'}], pin ${String(o.pin)}`,
    );
  console.log(
    `lines by type: ${Object.entries(s.types)
      .map(([type, n]) => `${type} ${n}`)
      .join(', ')}`,
  );
  console.log('\ncores:');
  console.table(
    s.snapshot.cores.map((r) => {
      const c = s.cores.find((x) => x.core === r.core);
      const byKind = Object.entries(c?.faultsByKind ?? {})
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      return {
        core: r.core,
        cpu: c?.cpu ?? '?',
        state: c?.state ?? r.state,
        faults: r.faults,
        'faults in log': byKind || '-',
        forgiven: c?.forgiven ?? 0,
        'self-tests (ok/failed)': `${c?.selfTests.passed ?? 0}/${c?.selfTests.failed ?? 0}`,
        score: Number(r.score.toFixed(3)),
      };
    }),
  );
  for (const c of s.cores.filter((x) => x.history.length > 0)) {
    console.log(`core ${c.core} history:`);
    for (const h of c.history) console.log(`  ${ms(h.t).padStart(10)}  #${h.seq}  ${h.from} → ${h.to}  (${h.reason})`);
  }
  if (s.kinds.length > 0) {
    console.log('\ntask kinds:');
    console.table(
      s.kinds.map((k) => ({
        kind: k.name,
        disagreements: k.disagreements,
        faults: k.faults,
        'tie-breaks': k.tieBreaks,
        're-executions': k.reExecutions,
        tasks: k.tasks,
        failed: k.failed,
        'non-deterministic': k.nondeterministic,
      })),
    );
  }
  if (s.spares.length > 0)
    console.log(`spare changes: ${s.spares.map((x) => `${String(x.change)} (group ${String(x.group)}, cores ${JSON.stringify(x.cores)})`).join('; ')}`);
  if (s.drift > 0) console.log(`drift found (or changed) by state scans: ${s.drift}`);
  if (s.mismatches === null) console.log('\nreplay: no pool-stop health export to compare with');
  else if (s.mismatches.length === 0) console.log(`\nreplay: matches what pool-stop recorded${s.runs > 1 ? ` (every run)` : ''}`);
  else console.log(`\nreplay: differs from what pool-stop recorded:\n  ${s.mismatches.join('\n  ')}`);
  for (const problem of s.problems) console.log(`missing lines: ${problem}`);
  for (const gap of s.gaps) console.log(`gap: seq ${gap.afterSeq} is followed by ${gap.seq}`);
  for (const bad of s.malformed) console.log(`malformed line ${bad.line}: ${bad.message}`);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('audit', {
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      snapshot: { type: 'string' },
      complete: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('audit', `expects one audit log file, received ${positionals.length}`);
  const file = positionals[0]!;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError('audit', `cannot read ${file}: ${(error as Error).message}`);
  }
  if (text.trim() === '') {
    console.error(`triplex audit: ${file} is empty: no audit line was written (was the pool started with audit: { file }, and did it run a task?)`);
    return 1;
  }
  const parsed = parseAuditLog(text);
  if (parsed.lines.length === 0) {
    const first = parsed.malformed[0];
    const why = first === undefined ? '' : ` (line ${first.line}: ${first.message})`;
    console.error(`triplex audit: ${file} has no audit line: all ${parsed.malformed.length} line(s) are malformed${why}`);
    return 1;
  }
  const summary = summarizeAudit(parsed.lines, parsed.malformed);
  // The caller knows every pool stopped: a missing final pool-stop means the tail was lost.
  if (values.complete && summary.runs > 0 && summary.stoppedAt === undefined)
    summary.problems.push(`run ${summary.runs}: no pool-stop line at the end of the log (--complete: its last lines are missing)`);
  if (values.snapshot !== undefined) await writeFile(values.snapshot, `${JSON.stringify(summary.snapshot, null, 2)}\n`);
  if (values.json) console.log(JSON.stringify(summary, null, 2));
  else print(file, summary);
  const clean =
    summary.malformed.length === 0 &&
    summary.gaps.length === 0 &&
    summary.problems.length === 0 &&
    (summary.mismatches === null || summary.mismatches.length === 0);
  return clean ? 0 : 1;
}
