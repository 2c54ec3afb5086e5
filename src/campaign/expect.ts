/** Assertions for users' own test suites: a campaign result must show no (or few) SDCs and enough coverage. */
import { invalidOption } from '../errors.js';
import { formatCoverage, outOfCoresText, percent, sdcExampleText } from './summary.js';
import type { CampaignResult } from './types.js';

export interface ProtectionExpectation {
  /** Most silent data corruptions allowed. @default 0 */
  maxSdc?: number;
  /**
   * Least coverage required, checked against the lower bound of its confidence interval, so a
   * passing test means "at least this, at that confidence" and not a lucky small sample.
   */
  minCoverage?: number;
  /** Accept a campaign stopped early (Ctrl-C). @default false */
  allowInterrupted?: boolean;
  /** Accept a campaign that stopped early because the pool ran out of cores to serve its tasks. @default false */
  allowExhausted?: boolean;
  /** Accept inputs on which the fault-free golden run threw (tasks whose right answer is an error). @default false */
  allowGoldenErrors?: boolean;
}

/** Thrown by expectProtected; `failures` lists each unmet expectation. */
export class ProtectionError extends Error {
  constructor(
    message: string,
    readonly failures: string[],
  ) {
    super(message);
    this.name = 'ProtectionError';
  }
}

function isResult(value: unknown): value is CampaignResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { version?: unknown }).version === 1 &&
    typeof (value as { outcomes?: unknown }).outcomes === 'object'
  );
}

const FLAGS = ['allowInterrupted', 'allowExhausted', 'allowGoldenErrors'] as const;
const KNOWN = new Set<string>(['maxSdc', 'minCoverage', ...FLAGS]);

/** A misspelt key or a flag that is not a boolean would be ignored, and the check pass by mistake. */
function checkExpectation(expectation: unknown): asserts expectation is ProtectionExpectation {
  if (typeof expectation !== 'object' || expectation === null || Array.isArray(expectation)) {
    throw invalidOption('expectation', 'an object { maxSdc?, minCoverage?, allowInterrupted?, ... }', expectation, 'type');
  }
  const e = expectation as Record<string, unknown>;
  for (const key of Object.keys(e)) {
    if (!KNOWN.has(key)) throw invalidOption(key, `a known expectation (${[...KNOWN].join(', ')})`, e[key], 'range');
  }
  for (const flag of FLAGS) if (e[flag] !== undefined && typeof e[flag] !== 'boolean') throw invalidOption(flag, 'a boolean', e[flag], 'type');
}

/** Throws a descriptive ProtectionError unless every result meets the expectation (usable in vitest, jest, node:test). */
export function expectProtected(result: CampaignResult | readonly CampaignResult[], expectation: ProtectionExpectation = {}): void {
  const list = Array.isArray(result) ? (result as readonly CampaignResult[]) : [result];
  if (list.length === 0 || !list.every(isResult)) throw invalidOption('result', 'a campaign result (or an array of them)', result, 'type');
  checkExpectation(expectation);
  const maxSdc = expectation.maxSdc ?? 0;
  if (typeof maxSdc !== 'number' || !Number.isInteger(maxSdc) || maxSdc < 0)
    throw invalidOption('maxSdc', 'an integer >= 0', maxSdc, typeof maxSdc === 'number' ? 'range' : 'type');
  const minCoverage = expectation.minCoverage;
  if (minCoverage !== undefined && (typeof minCoverage !== 'number' || !(minCoverage >= 0 && minCoverage <= 1))) {
    throw invalidOption('minCoverage', 'a number in [0, 1]', minCoverage, typeof minCoverage === 'number' ? 'range' : 'type');
  }
  const failures: string[] = [];
  for (const r of list) {
    const name = `"${r.label}"`;
    if (r.interrupted && expectation.allowInterrupted !== true) failures.push(`${name} was interrupted after ${r.tasks.settled} of ${r.tasks.planned} tasks`);
    // A pool that ran out of cores tested a fraction of what was planned: no SDC there proves little.
    if (r.exhausted && expectation.allowExhausted !== true) {
      failures.push(`${name} ran out of cores: ${outOfCoresText(r)} (set allowExhausted to accept it)`);
    }
    const golden = r.goldenErrors;
    if (golden !== undefined && golden.inputs > 0 && expectation.allowGoldenErrors !== true) {
      const what = `the golden run threw on ${golden.inputs} of ${golden.of} inputs (${golden.first ?? 'an error'})`;
      failures.push(`${name}: ${what}; set allowGoldenErrors if that error is the right answer`);
    }
    if (r.outcomes.sdc > maxSdc) {
      const examples = r.sdcExamples.slice(0, 5).map(sdcExampleText).join('; ');
      failures.push(`${name}: ${r.outcomes.sdc} silent data corruption(s), at most ${maxSdc} allowed${examples ? ` — ${examples}` : ''}`);
    }
    if (minCoverage !== undefined) {
      const low = r.coverage.low;
      if (low === null) failures.push(`${name}: coverage cannot be established, no injected fault was activated (${r.injectedTasks} tasks injected)`);
      else if (low < minCoverage) {
        failures.push(
          `${name}: coverage ${formatCoverage(r.coverage)} over ${r.coverage.activated} activated tasks; its lower bound ${percent(low)} is below the required ${percent(minCoverage)}`,
        );
      }
    }
  }
  if (failures.length > 0) throw new ProtectionError(`Fault-injection campaign not protected:\n  - ${failures.join('\n  - ')}`, failures);
}
