// The cluster's sealed messages (job payloads and results): a changed bit anywhere is detected.
import { describe, expect, it } from 'vitest';
import { CorruptMessage, jobOf, open, replyOf, requestOf, resultOf, seal } from '../dist/cluster/envelope.js';
import { resolveConnection } from '../dist/cluster/redis.js';
import { Reachability } from '../dist/cluster/reachability.js';

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

describe('Reachability (is Redis answering the coordinator?)', () => {
  it('a failure since an outage began is excused; waiting for a steady Redis before judging hosts', () => {
    let now = 1_000;
    const r = new Reachability(() => now);
    expect(r.lostSince(0)).toBe(false);
    expect(r.steadyFor(1_500)).toBe(true);
    now = 2_000;
    r.down();
    now = 2_400;
    r.down(); // a second sign of the same outage does not move its start
    expect(r.outage()).toBe(400);
    expect(r.lostSince(1_900)).toBe(true); // in flight when Redis went away
    expect(r.lostSince(2_300)).toBe(true); // sent during the outage
    now = 3_000;
    r.up();
    expect(r.outage()).toBe(0);
    expect(r.lostSince(2_500)).toBe(true); // sent during the outage, failed after it
    expect(r.lostSince(3_001)).toBe(false); // sent after it: its failure is evidence again
    expect(r.steadyFor(1_500)).toBe(false);
    now = 4_500;
    expect(r.steadyFor(1_500)).toBe(true);
  });
});
