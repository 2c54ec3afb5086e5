// Option validation: every bad option is a typed error naming the option and the value received.
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../dist/pool/options.js';
import { isTriplexError } from '../dist/errors.js';

// faultDomain 'none' throughout: this 2-CPU machine has fewer fault domains than default TMR needs
// (test/topology.test.ts covers the option itself).
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
    const o = resolveOptions({ filename: '/tmp/tasks.mjs', faultDomain: 'none' });
    expect(o.redundancy).toBe('tmr');
    expect(o.binding).toBe('dynamic');
    expect(o.pin).toBe('auto');
    expect(o.taskTimeout).toBe(30_000);
    expect(o.maxAttempts).toBe(5);
    expect(o.maxQueue).toBe(Number.POSITIVE_INFINITY);
    expect(o.maxBatch).toBe(64);
    expect(o.health.falseAlarm).toBe(1e-9);
    expect(o.health.nondeterministic).toEqual([]);
  });

  it('TypeError for a wrong type, RangeError for a wrong range, naming option and value', () => {
    const wrongType = error({ filename: '/tmp/t.mjs', faultDomain: 'none', cores: 'six' });
    expect(wrongType).toBeInstanceOf(TypeError);
    expect(isTriplexError(wrongType)).toBe(true);
    expect(wrongType.code).toBe('ERR_INVALID_OPTION');
    expect(wrongType.message).toContain('"cores"');
    expect(wrongType.message).toContain('"six"');
    const wrongRange = error({ filename: '/tmp/t.mjs', faultDomain: 'none', redundancy: 'qmr' });
    expect(wrongRange).toBeInstanceOf(RangeError);
    expect(wrongRange.message).toContain('"redundancy"');
    expect(wrongRange.message).toContain('"qmr"');
    expect(error({ filename: '/tmp/t.mjs', faultDomain: 'none', taskTimeout: -1 }).message).toContain('-1');
    expect(error({ filename: '/tmp/t.mjs', faultDomain: 'none', cpus: [0, 4096] }).message).toContain('"cpus"');
    expect(error({ filename: '/tmp/t.mjs', faultDomain: 'none', colors: true }).message).toContain('"colors"');
    expect(error({ filename: '/tmp/t.mjs', faultDomain: 'none', maxBatch: 0 }).message).toContain('"maxBatch"');
    expect(error({ filename: 42 }).message).toContain('"filename"');
  });

  it('health.falseAlarm and health.nondeterministic are resolved and validated', () => {
    const o = resolveOptions({ filename: '/tmp/t.mjs', faultDomain: 'none', health: { falseAlarm: 1e-6, nondeterministic: ['uuid'] } });
    expect(o.health.falseAlarm).toBe(1e-6);
    expect(o.health.nondeterministic).toEqual(['uuid']);
    expect(resolveOptions({ filename: '/tmp/t.mjs', faultDomain: 'none', health: { falseAlarm: 0 } }).health.falseAlarm).toBe(0);
    const range = error({ filename: '/tmp/t.mjs', faultDomain: 'none', health: { falseAlarm: 2 } });
    expect(range).toBeInstanceOf(RangeError);
    expect(range.message).toContain('"health.falseAlarm"');
    expect(range.message).toContain('2');
    const type = error({ filename: '/tmp/t.mjs', faultDomain: 'none', health: { nondeterministic: 'uuid' } });
    expect(type).toBeInstanceOf(TypeError);
    expect(type.message).toContain('"health.nondeterministic"');
  });

  it("health.salvage and health.selfTest refuse unknown keys; the self-tests are a copy of the caller's", () => {
    const salvage = error({ filename: '/tmp/t.mjs', faultDomain: 'none', health: { salvage: { maxkinds: 5 } } });
    expect(salvage).toBeInstanceOf(RangeError);
    expect(salvage.message).toMatch(/"health\.salvage\.maxkinds".*maxKinds.*received 5/);
    expect(error({ filename: '/tmp/t.mjs', faultDomain: 'none', health: { selfTest: { pases: 1 } } }).message).toMatch(/"health\.selfTest\.pases"/);
    const tasks = [{ name: 'fib', input: 10, expected: 55 }];
    const o = resolveOptions({ filename: '/tmp/t.mjs', faultDomain: 'none', health: { selfTest: { tasks } } });
    tasks[0]!.expected = 0;
    tasks.push({ name: 'x', input: 1, expected: 1 });
    expect(o.health.selfTest && o.health.selfTest.tasks).toEqual([{ name: 'fib', input: 10, expected: 55 }]);
  });

  it('timeouts beyond what a timer can wait (2³¹ − 1 ms) are refused; Infinity means none', () => {
    // setTimeout fires a longer delay at once: taskTimeout 2³¹ would have timed every replica out.
    const e = error({ filename: '/tmp/t.mjs', faultDomain: 'none', taskTimeout: 2 ** 31 });
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toMatch(/"taskTimeout".*2147483647.*received 2147483648/);
    expect(error({ filename: '/tmp/t.mjs', faultDomain: 'none', closeTimeout: 1e20 }).message).toContain('"closeTimeout"');
    expect(resolveOptions({ filename: '/tmp/t.mjs', faultDomain: 'none', taskTimeout: Number.POSITIVE_INFINITY }).taskTimeout).toBe(Number.POSITIVE_INFINITY);
  });

  it('the replaced options (blame, disableAt, halfLife) fail naming what replaced them', () => {
    for (const [key, value] of [
      ['blame', false],
      ['disableAt', 3],
      ['halfLife', 60_000],
    ] as const) {
      const e = error({ filename: '/tmp/t.mjs', faultDomain: 'none', health: { [key]: value } });
      expect(e.code).toBe('ERR_INVALID_OPTION');
      expect(e).toBeInstanceOf(RangeError);
      expect(e.message).toContain(`"health.${key}"`);
      expect(e.message).toContain('replaced by');
    }
    expect(error({ filename: '/tmp/t.mjs', faultDomain: 'none', health: { blame: false } }).message).toContain('health.nondeterministic');
  });
});
