/**
 * Cost of one canonical digest on the main thread, per value shape. Values are decoded clones
 * (v8.deserialize), as the pool digests them.
 *
 *   npm run bench:digest -- [--ms 1000]
 *   DIGEST_MODULE=/abs/path/canonical.js node dist-bench/digest.js   (another build, e.g. an older one)
 */
import { deserialize, serialize } from 'node:v8';
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { arg } from './harness.js';

type Digest = (value: unknown) => string;
const from = process.env.DIGEST_MODULE ? pathToFileURL(process.env.DIGEST_MODULE).href : '../dist/codec/canonical.js';
const { canonicalDigest } = (await import(from)) as { canonicalDigest: Digest };
const ms = arg('ms', 1000);

const clone = <T>(value: T): T => deserialize(serialize(value)) as T;

/** ~1 KB of JSON-ish data: a record with nested rows, strings, numbers and booleans. */
function record(): unknown {
  const rows = Array.from({ length: 13 }, (_, i) => ({ id: i, name: `item-${i}`, price: i * 1.25, tags: ['a', 'b'], ok: i % 2 === 0 }));
  return { kind: 'order', customer: { id: 42, name: 'Ada Lovelace', email: 'ada@example.com' }, rows, total: 35, note: null };
}

const values: [string, unknown][] = [
  ['number', 3.25],
  ['short string (12 chars)', 'hello, world'],
  [`1 KB object (${JSON.stringify(record()).length} B JSON)`, clone(record())],
  ['100 KB array of numbers (12,800 doubles)', clone(Array.from({ length: 12_800 }, (_, i) => i * 0.5))],
  ['1 MB Uint8Array', clone(new Uint8Array(1 << 20).fill(7))],
];

const bench = new Bench({ time: ms, warmupTime: 200 });
for (const [name, value] of values) bench.add(name, () => void canonicalDigest(value));
await bench.run();

console.log(`canonicalDigest from ${from}; node ${process.version}; tinybench ${ms} ms per value`);
console.table(
  bench.tasks.map((task) => {
    const result = task.result as { latency: { mean: number; p50?: number; rme: number } } | undefined;
    const mean = result?.latency.mean ?? Number.NaN;
    return { value: task.name, 'mean µs': Number((mean * 1000).toFixed(3)), 'p50 µs': Number(((result?.latency.p50 ?? mean) * 1000).toFixed(3)) };
  }),
);
