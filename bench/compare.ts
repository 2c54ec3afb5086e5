/**
 * Diffs two benchmark result files (bench/results/*.json) row by row: every numeric column of
 * rows that share their text columns, with the relative change.
 *
 *   npm run bench:compare -- bench/results/overhead-2cpu.json other/overhead-2cpu.json
 */
import { readFileSync } from 'node:fs';

type Row = Record<string, string | number>;
const [before, after] = process.argv.slice(2);
if (before === undefined || after === undefined) {
  console.error('usage: bench:compare <before.json> <after.json>');
  process.exit(2);
}
const load = (file: string): { machine?: { line?: string }; rows: Row[] } => JSON.parse(readFileSync(file, 'utf8')) as { rows: Row[] };
const a = load(before);
const b = load(after);
const keyOf = (row: Row): string => Object.entries(row).filter(([, v]) => typeof v === 'string').map(([k, v]) => `${k}=${v}`).join(' ');
const byKey = new Map(b.rows.map((row) => [keyOf(row), row]));
console.log(`before: ${before}\n  ${a.machine?.line ?? ''}\nafter:  ${after}\n  ${b.machine?.line ?? ''}`);
const out: Record<string, string>[] = [];
for (const row of a.rows) {
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
console.table(out);
