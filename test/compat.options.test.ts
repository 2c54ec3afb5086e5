// piscina's constructor options, resolved once with the rest (no workers started here).
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../dist/pool/options.js';
import { resolveRunOptions } from '../dist/pool/run-options.js';
import { parseTaskAddress } from '../dist/transport/address.js';

const filename = '/tmp/tasks.mjs';
// TMR on this 2-CPU machine: replicas share CPUs (faultDomain 'none'), as every pool test here says.
const faultDomain = 'none' as const;

describe('piscina constructor options', () => {
  it('defaults: the default task, close timeout and timing as piscina has them', () => {
    const { compat, cores } = resolveOptions({ filename, faultDomain });
    const piscinaDefaults = { name: 'default', minThreads: cores, idleTimeout: 0, closeTimeout: 30_000, recordTiming: true, workerHistogram: false };
    expect(compat).toEqual({ ...piscinaDefaults, worker: {} });
  });

  it("maxThreads sets the core count; maxQueue 'auto' is cores²", () => {
    expect(resolveOptions({ filename, faultDomain, maxThreads: 5 }).cores).toBe(5);
    expect(resolveOptions({ filename, faultDomain, maxThreads: 5, cores: 5 }).cores).toBe(5);
    expect(resolveOptions({ filename, faultDomain, cores: 4, maxQueue: 'auto' }).maxQueue).toBe(16);
    expect(() => resolveOptions({ filename, faultDomain, maxThreads: 2 })).toThrow(/"maxThreads" must be an integer >= 3/);
  });

  it('worker options are carried to every core, workerData only when given', () => {
    const given = { env: { A: '1' }, argv: ['x'], execArgv: ['--no-warnings'], resourceLimits: { maxOldGenerationSizeMb: 32 }, niceIncrement: 2 };
    const worker = resolveOptions({ filename, faultDomain, ...given }).compat.worker;
    expect(worker).toEqual(given);
    expect('workerData' in worker).toBe(false);
    expect(resolveOptions({ filename, faultDomain, workerData: undefined }).compat.worker).toHaveProperty('workerData', undefined);
    expect(() => resolveOptions({ filename, faultDomain, niceIncrement: -1 })).toThrow(RangeError);
    expect(() => resolveOptions({ filename, faultDomain, closeTimeout: -5 })).toThrow(/"closeTimeout"/);
    expect(() => resolveOptions({ filename, faultDomain, recordTiming: 'yes' })).toThrow(TypeError);
  });

  it('filename: null means no default module', () => {
    expect(resolveOptions({ filename: null, faultDomain }).moduleUrl).toBe('');
  });
});

describe('run() options', () => {
  it('resolves name, kind, filename and transferList; rejects the rest by name', () => {
    const options = { name: 'sum', kind: 'arith', filename: '/tmp/other.mjs', transferList: [new ArrayBuffer(1)] };
    const run = resolveRunOptions(options, 'default', 'file:///tmp/tasks.mjs');
    expect(run).toMatchObject({ name: 'sum', kind: 'arith', signal: undefined });
    expect(parseTaskAddress(run.address!)).toEqual({ moduleUrl: 'file:///tmp/other.mjs', name: 'sum' });
    expect(run.transfer).toHaveLength(1);
    // The pool's own module needs no address; the default name comes from the pool.
    expect(resolveRunOptions({ filename: '/tmp/tasks.mjs' }, 'main', 'file:///tmp/tasks.mjs')).toMatchObject({ name: 'main', address: undefined });
    const known = /Option "nmae" must be a run\(\) option \(name, kind, signal, transferList, filename, checkpoint, onOutput\)/;
    expect(() => resolveRunOptions({ nmae: 'x' }, 'default', '')).toThrow(known);
    // Own enumerable keys only, as Object.keys: an inherited or non-enumerable one is no option.
    expect(resolveRunOptions(Object.create({ nmae: 'x' }) as object, 'main', '')).toMatchObject({ name: 'main' });
    expect(resolveRunOptions(Object.defineProperty({}, 'nmae', { value: 'x' }), 'main', '')).toMatchObject({ name: 'main' });
    expect(() => resolveRunOptions(Object.assign(Object.create({ name: 'sub' }) as object, { nmae: 'x' }), 'main', '')).toThrow(known);
    expect(() => resolveRunOptions([], 'default', '')).toThrow(TypeError);
    expect(() => resolveRunOptions({ transferList: 'x' }, 'default', '')).toThrow(/"transferList"/);
  });
});
