// The cluster's sealed messages (job payloads and results): a changed bit anywhere is detected.
import { describe, expect, it } from 'vitest';
import { CorruptMessage, jobOf, open, replyOf, requestOf, resultOf, seal } from '../dist/cluster/envelope.js';
import { resolveConnection } from '../dist/cluster/redis.js';

describe('sealed cluster messages', () => {
  const request = { kind: 'run' as const, name: 'total', input: new Uint8Array([1, 2, 3, 250]), det: { seed: 7, now: 1, perf: 2 } };

  it('round-trips a replica job and its result', () => {
    const job = open<ReturnType<typeof jobOf>>(JSON.parse(JSON.stringify(seal(jobOf('j1', 2, request)))), 'job');
    expect(job).toMatchObject({ job: 'j1', core: 2, name: 'total' });
    expect(requestOf(job)).toEqual(request);
    const reply = { ok: true, payload: new Uint8Array([9, 8, 7]), ms: 1.5, cpu: 1 };
    expect(replyOf(open(seal(resultOf('j1', 2, reply)), 'result'))).toEqual(reply);
  });

  it('every single-bit flip of the body or the digest fails the check', () => {
    const sealed = seal(resultOf('j1', 0, { ok: true, payload: new Uint8Array([42]), ms: 1, cpu: 0 }));
    for (const field of ['body', 'sha'] as const) {
      for (let i = 0; i < sealed[field].length; i++) {
        const text = sealed[field];
        const flipped = text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ 1) + text.slice(i + 1);
        expect(() => open({ ...sealed, [field]: flipped }, 'result')).toThrow(CorruptMessage);
      }
    }
    expect(() => open('not sealed', 'result')).toThrow(/not a sealed message/);
  });

  it('parses redis:// URLs into connection options', () => {
    expect(resolveConnection('connection', 'redis://u:p%40ss@10.0.0.5:6380/2')).toEqual({
      host: '10.0.0.5',
      port: 6380,
      username: 'u',
      password: 'p@ss',
      db: 2,
    });
    expect(resolveConnection('connection', 'rediss://h')).toEqual({ host: 'h', port: 6379, tls: {} });
    expect(() => resolveConnection('connection', { port: 70000 })).toThrow(RangeError);
  });
});
