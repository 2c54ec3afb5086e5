/**
 * Diffs benchmark result files (bench/results/*.json) row by row: every numeric column of rows
 * that share their text columns, with the relative change. With no file, each result file that
 * differs from the committed one (a fresh run) is compared with it; with one, that file.
 *
 *   npm run bench:compare                                   (fresh runs against the current results)
 *   npm run bench:compare -- bench/results/limit-2cpu.json  (one file against its committed version)
 *   npm run bench:compare -- before.json after.json
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

type Row = Record<string, string | number>;
interface Results {
  machine?: { line?: string };
  rows: Row[];
}

const git = (...args: string[]): string => execFileSync('git', args, { encoding: 'utf8' });
const committed = (file: string): string => git('show', `HEAD:${git('ls-files', '--full-name', file).trim() || file}`);
const args = process.argv.slice(2);
if (args.length === 2) compare(args[0]!, readFileSync(args[0]!, 'utf8'), args[1]!, readFileSync(args[1]!, 'utf8'));
else if (args.length === 1) compare(`${args[0]!} (committed)`, committed(args[0]!), args[0]!, readFileSync(args[0]!, 'utf8'));
else {
  const changed = git('diff', '--name-only', '--relative', 'HEAD', '--', 'bench/results/*.json').split('\n').filter(Boolean);
  if (changed.length === 0) console.log('no result file differs from the committed results (run a benchmark first)');
  for (const file of changed) compare(`${file} (committed)`, committed(file), file, readFileSync(file, 'utf8'));
}

function compare(beforeName: string, beforeText: string, afterName: string, afterText: string): void {
  const a = JSON.parse(beforeText) as Results;
  const b = JSON.parse(afterText) as Results;
  console.log(`before: ${beforeName}\n  ${a.machine?.line ?? ''}\nafter:  ${afterName}\n  ${b.machine?.line ?? ''}`);
  console.table(diffRows(a.rows, b.rows));
}

function keyOf(row: Row): string {
  return Object.entries(row)
    .filter(([, v]) => typeof v === 'string')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function diffRows(before: Row[], after: Row[]): Record<string, string>[] {
  const byKey = new Map(after.map((row) => [keyOf(row), row]));
  const out: Record<string, string>[] = [];
  for (const row of before) {
    const key = keyOf(row);
    const other = byKey.get(key);
    if (other === undefined) continue;
    for (const [column, value] of Object.entries(row)) {
      const next = other[column];
      if (typeof value !== 'number' || typeof next !== 'number') continue;
      const change = value === 0 ? '' : `${(((next - value) / value) * 100).toFixed(1)}%`;
      out.push({ row: key, column, before: String(value), after: String(next), change });
    }
  }
  return out;
}
