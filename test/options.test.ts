// Option validation: every bad option is a typed error naming the option and the value received.
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../src/pool/options.js';
import { isTriplexError } from '../src/errors.js';

function error(options: unknown): Error & { code?: string } {
  try {
    resolveOptions(options);
  } catch (caught) {
    return caught as Error & { code?: string };
  }
  throw new Error('expected an error');
}

describe('resolveOptions', () => {
  it('fills documented defaults', () => {
    const o = resolveOptions({ filename: '/tmp/tasks.mjs' });
    expect(o.redundancy).toBe('tmr');
    expect(o.binding).toBe('dynamic');
    expect(o.pin).toBe('auto');
    expect(o.taskTimeout).toBe(30_000);
    expect(o.maxAttempts).toBe(5);
    expect(o.maxQueue).toBe(Number.POSITIVE_INFINITY);
    expect(o.maxBatch).toBe(8);
    expect(o.health.disableAt).toBe(3);
    expect(o.health.halfLife).toBe(60_000);
    expect(o.health.blame).toEqual({ window: 20, minCores: 3, maxShare: 0.4 });
  });

  it('TypeError for a wrong type, RangeError for a wrong range, naming option and value', () => {
    const wrongType = error({ filename: '/tmp/t.mjs', cores: 'six' });
    expect(wrongType).toBeInstanceOf(TypeError);
    expect(isTriplexError(wrongType)).toBe(true);
    expect(wrongType.code).toBe('ERR_INVALID_OPTION');
    expect(wrongType.message).toContain('"cores"');
    expect(wrongType.message).toContain('"six"');
    const wrongRange = error({ filename: '/tmp/t.mjs', redundancy: 'qmr' });
    expect(wrongRange).toBeInstanceOf(RangeError);
    expect(wrongRange.message).toContain('"redundancy"');
    expect(wrongRange.message).toContain('"qmr"');
    expect(error({ filename: '/tmp/t.mjs', taskTimeout: -1 }).message).toContain('-1');
    expect(error({ filename: '/tmp/t.mjs', cpus: [0, 4096] }).message).toContain('"cpus"');
    expect(error({ filename: '/tmp/t.mjs', colors: true }).message).toContain('"colors"');
    expect(error({ filename: '/tmp/t.mjs', maxBatch: 0 }).message).toContain('"maxBatch"');
    expect(error({ filename: 42 }).message).toContain('"filename"');
  });

  it('health.blame can be turned off or tuned, and is validated', () => {
    expect(resolveOptions({ filename: '/tmp/t.mjs', health: { blame: false } }).health.blame).toBe(false);
    expect(resolveOptions({ filename: '/tmp/t.mjs', health: { blame: { minCores: 6 } } }).health.blame).toEqual({ window: 20, minCores: 6, maxShare: 0.4 });
    expect(error({ filename: '/tmp/t.mjs', health: { blame: 'off' } }).message).toContain('"health.blame"');
    expect(error({ filename: '/tmp/t.mjs', health: { blame: { maxShare: 2 } } }).message).toContain('"health.blame.maxShare"');
  });
});
