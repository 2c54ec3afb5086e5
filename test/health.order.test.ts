// Judging order (health/order.ts): a core's replicas are judged in the order they came back from
// it, whatever order their verdicts come in.
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { CoreHealth, DEFAULT_HEALTH } from '../dist/health/index.js';
import { ArrivalOrder } from '../dist/health/order.js';
import { ManualClock } from '../dist/util/clock.js';
import { SeededRandom } from '../dist/util/random.js';
import { SEED } from './support/seed.js';

interface Replica {
  core: number;
  ok: boolean;
  /** Never judged: its task gave up or was aborted. */
  forgone: boolean;
}

const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** TMR rounds over `cores` cores, each replica out-voted with probability p (core `stuck` always). */
function replicas(cores: number, tasks: number, p: number, rng: SeededRandom, stuck = -1): Replica[] {
  const out: Replica[] = [];
  for (let t = 0; t < tasks; t++) {
    const order = ids(cores).sort(() => rng.next() - 0.5);
    for (const core of order.slice(0, 3)) out.push({ core, ok: core !== stuck && rng.next() >= p, forgone: false });
  }
  return out;
}

/** Feeds every replica to a fresh model: tickets in list order, judgments in `verdicts` order (indexes). */
function judge(list: Replica[], cores: number, verdicts: number[], tickets: boolean): { health: CoreHealth; disabled: number[]; after: number[] } {
  const health = new CoreHealth(ids(cores), DEFAULT_HEALTH, new ManualClock());
  const ticket = list.map((r) => health.arrived(r.core));
  const disabled: number[] = [];
  const after: number[] = []; // the replicas judged on the core when it was disabled
  for (const i of verdicts) {
    const r = list[i]!;
    const t = tickets ? ticket[i] : undefined;
    let fx;
    if (r.forgone) fx = t === undefined ? undefined : health.forgo(r.core, t);
    else fx = r.ok ? health.success(r.core, 'flaky', t) : health.charge(r.core, { kind: 'wrong-result', taskName: 'flaky' }, t);
    for (const tr of fx?.transitions ?? []) {
      if (tr.to !== 'disabled') continue;
      disabled.push(tr.core);
      after.push(tr.attribution?.replicas ?? -1);
    }
  }
  return { health, disabled, after };
}

/** Verdict order under a backlog: every agreeing replica first, every out-voted one at the end. */
function outVotedLast(list: Replica[]): number[] {
  const all = ids(list.length);
  return [...all.filter((i) => list[i]!.ok), ...all.filter((i) => !list[i]!.ok)];
}

/** Per core: replicas counted and out-voted (the charts also depend on how the cores interleave, which tickets do not restore). */
function counts(health: CoreHealth, cores: number): { replicas: number; wrong: number }[] {
  return ids(cores).map((c) => {
    const e = health.evidenceOf(c, 'flaky');
    return { replicas: e?.replicas ?? 0, wrong: e?.wrong ?? 0 };
  });
}

describe('ArrivalOrder', () => {
  it('applies held judgments once the tickets before them are judged, skipping forgone ones', () => {
    const order = new ArrivalOrder<string>();
    const [a, b, c, d] = [order.arrive(), order.arrive(), order.arrive(), order.arrive()];
    const applied: string[] = [];
    expect(order.isNext(c)).toBe(false);
    order.hold(c, 'c');
    order.hold(b, null);
    order.hold(d, 'd');
    expect(order.pending).toBe(4);
    expect(order.before(d)).toBe(3);
    expect(order.isNext(a)).toBe(true);
    order.advance((j) => applied.push(j)); // judging a releases b (forgone), c and d
    expect(applied).toEqual(['c', 'd']);
    expect(order.pending).toBe(0);
  });

  it('refuses a ticket judged twice, one never issued, and one already past', () => {
    const order = new ArrivalOrder<string>();
    const a = order.arrive();
    const b = order.arrive();
    order.hold(b, 'b');
    expect(() => order.hold(b, 'again')).toThrow(/judged twice/);
    expect(() => order.isNext(7)).toThrow(/not awaiting/);
    order.advance(() => {});
    expect(() => order.isNext(a)).toThrow(/not awaiting/);
  });
});

describe('CoreHealth judges in arrival order', () => {
  it('a backlog that delays every out-voted replica rarely disables a healthy core (without tickets, often)', () => {
    // 4 cores, TMR, 400 tasks of a kind diverging on 5 % of its runs: the real pool's burst, in the
    // extreme order where every out-voted replica is judged after every agreeing one. Measured over
    // 1,000 bursts: 9.1 % disable a healthy core without tickets, 0.1 % with them (the base rate is
    // still read from the other cores' evidence applied so far: tickets restore each core's order,
    // not the order across cores). The bounds below, over 600 bursts, fail for about one seed in 10,000.
    let withTickets = 0;
    let withoutTickets = 0;
    for (let burst = 0; burst < 600; burst++) {
      const list = replicas(4, 400, 0.05, new SeededRandom(SEED + burst));
      const verdicts = outVotedLast(list);
      const delayed = judge(list, 4, verdicts, true);
      if (delayed.disabled.length > 0) withTickets++;
      for (const c of ids(4)) expect(delayed.health.pending(c)).toBe(0);
      if (judge(list, 4, verdicts, false).disabled.length > 0) withoutTickets++;
    }
    expect(withTickets).toBeLessThanOrEqual(5);
    expect(withoutTickets).toBeGreaterThanOrEqual(20);
  });

  it('the counts of a delayed burst are those of arrival order', () => {
    const list = replicas(4, 400, 0.05, new SeededRandom(SEED));
    const delayed = judge(list, 4, outVotedLast(list), true);
    expect(counts(delayed.health, 4)).toEqual(counts(judge(list, 4, ids(list.length), true).health, 4));
  });

  it('a stuck core is still disabled when its out-voted replicas come last', () => {
    const list = replicas(6, 60, 0, new SeededRandom(SEED), 2);
    const { disabled, after } = judge(list, 6, outVotedLast(list), true);
    expect(disabled).toEqual([2]);
    expect(after[0]).toBeGreaterThan(0);
    expect(after[0]).toBeLessThanOrEqual(12);
  });

  test.prop(
    {
      cores: fc.integer({ min: 3, max: 8 }),
      tasks: fc.integer({ min: 1, max: 120 }),
      p: fc.constantFrom(0, 0.01, 0.05, 0.3),
      stuck: fc.integer({ min: -1, max: 7 }),
      forgone: fc.double({ min: 0, max: 0.2, noNaN: true }),
      seed: fc.integer(),
    },
    { seed: SEED, numRuns: 150 },
  )('in any verdict order, with forgone replicas, every judgment is counted once and nothing is left waiting', ({ cores, tasks, p, stuck, forgone, seed }) => {
    const rng = new SeededRandom(seed);
    const list = replicas(cores, tasks, p, rng, stuck);
    for (const r of list) r.forgone = rng.next() < forgone;
    const shuffled = ids(list.length).sort(() => rng.next() - 0.5);
    const any = judge(list, cores, shuffled, true);
    const expected = ids(cores).map((c) => {
      const mine = list.filter((r) => r.core === c && !r.forgone);
      return { replicas: mine.length, wrong: mine.filter((r) => !r.ok).length };
    });
    expect(counts(any.health, cores)).toEqual(expected);
    for (const c of ids(cores)) expect(any.health.pending(c)).toBe(0);
  });
});

test.prop({ n: fc.integer({ min: 1, max: 60 }), seed: fc.integer() }, { seed: SEED, numRuns: 200 })(
  'ArrivalOrder hands judgments over in ticket order, whatever order they come in',
  ({ n, seed }) => {
    const rng = new SeededRandom(seed);
    const order = new ArrivalOrder<number>();
    const tickets = ids(n).map(() => order.arrive());
    const forgone = new Set(tickets.filter(() => rng.next() < 0.2));
    const applied: number[] = [];
    for (const t of [...tickets].sort(() => rng.next() - 0.5)) {
      const judgment = forgone.has(t) ? null : t;
      if (!order.isNext(t)) order.hold(t, judgment);
      else {
        if (judgment !== null) applied.push(judgment);
        order.advance((j) => applied.push(j));
      }
    }
    expect(applied).toEqual(tickets.filter((t) => !forgone.has(t)));
    expect(order.pending).toBe(0);
  },
);
