// The replication step is the one orchestration of voting: the pool's task record (TaskRun) and
// the simulator's (SimTask) are driven with the same ballots and must yield the same actions,
// and every action must agree with the voter's definitions.
import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { TaskRun, type ReplicaRecord } from '../dist/pool/task.js';
import { castBallot, type ReplicationState, type Step } from '../dist/replication/step.js';
import { groupBallots, majorityOf, type Ballot, type Equals } from '../dist/replication/voter.js';
import { SimTask } from '../dist/sim/task.js';
import { SEED as seed } from './support/seed.js';

const ballot: fc.Arbitrary<Ballot> = fc.oneof(
  fc.constantFrom('A', 'B', 'C').map((key) => ({ key })),
  fc.constant({ key: 'E', isError: true }),
  fc.constant({ key: undefined }),
);

interface Script {
  k: 2 | 3;
  maxAttempts: number;
  /** Outcomes in arrival order; the scenario stops when they run out or nothing is in flight. */
  ballots: Ballot[];
}

const script: fc.Arbitrary<Script> = fc.record({
  k: fc.constantFrom(2 as const, 3 as const),
  maxAttempts: fc.integer({ min: 0, max: 4 }),
  ballots: fc.array(ballot, { minLength: 1, maxLength: 10 }),
});

/** How each adapter records a placed replica: the part of dispatch the step's state depends on. */
interface Record extends ReplicationState {
  placeOne(core: number): void;
}

function poolTask(k: number): Record {
  const task = new TaskRun(
    1,
    'square',
    new Uint8Array(),
    k,
    false,
    () => {},
    () => {},
  );
  return Object.assign(task, {
    placeOne(core: number) {
      task.begin();
      const replica = {
        task,
        index: task.replicas.length,
        status: 'running',
        reply: undefined,
        startedAt: 0,
        injections: undefined,
      } as unknown as ReplicaRecord;
      task.replicas.push(replica);
      task.used.push(core);
      task.inFlight++;
    },
  });
}

function simTask(k: number): Record {
  const task = new SimTask().reset(1, 0, 1, k);
  return Object.assign(task, {
    placeOne(core: number) {
      task.used.push(core);
      task.inFlight++;
    },
  });
}

/** Plays a script: places what is wanted, casts ballots in order, settles as the adapters do. */
function play(task: Record, s: Script): Step[] {
  const steps: Step[] = [];
  let core = 0;
  const placeWanted = (): void => {
    for (; task.wanted > 0; task.wanted--) task.placeOne(core++);
  };
  placeWanted();
  for (const b of s.ballots) {
    if (task.inFlight === 0) break;
    const step = castBallot(task, b, { needed: majorityOf(s.k), maxAttempts: s.maxAttempts });
    steps.push(step);
    if (step.kind === 'answer' || step.kind === 'give-up') task.settled = true;
    if (step.kind === 'ask') placeWanted();
  }
  return steps;
}

describe('the replication step (pool and simulator alike)', () => {
  it('gives the pool and the simulator the same actions for the same ballots', () => {
    fc.assert(
      fc.property(script, (s) => {
        const pool = poolTask(s.k);
        const sim = simTask(s.k);
        expect(play(pool, s)).toEqual(play(sim, s));
        expect({ ...stateOf(pool) }).toEqual({ ...stateOf(sim) });
      }),
      { seed, numRuns: 500 },
    );
  });

  it('answers only with a majority of one outcome, never asks beyond maxAttempts, and judges late replicas against the winner', () => {
    fc.assert(
      fc.property(script, (s) => {
        const task = poolTask(s.k);
        const steps = play(task, s);
        const answers = steps.filter((step) => step.kind === 'answer');
        expect(answers.length).toBeLessThanOrEqual(1);
        for (const step of answers) {
          expect(step.winner.members.length).toBeGreaterThanOrEqual(majorityOf(s.k));
          for (const i of step.winner.members) expect(task.ballots[i]!.key).toBe(step.winner.key);
        }
        expect(Math.max(0, task.placed - s.k)).toBeLessThanOrEqual(s.maxAttempts);
        const answeredAt = steps.findIndex((step) => step.kind === 'answer');
        for (const step of steps.slice(answeredAt + 1)) {
          if (answeredAt < 0) break;
          expect(step.kind).toBe('late');
          if (step.kind === 'late') expect(step.agrees).toBe(task.ballots[step.index]!.key === answers[0]!.winner.key);
        }
        // A task is reported as disagreeing once at most.
        expect(steps.filter((step) => step.disagreed).length).toBeLessThanOrEqual(1);
      }),
      { seed: seed + 1, numRuns: 500 },
    );
  });
});

describe('incremental grouping', () => {
  // Values 0..5 under an `equals` that compares them modulo 3 and throws on some pairs.
  const valued: fc.Arbitrary<Ballot> = fc.oneof(
    fc.integer({ min: 0, max: 5 }).map((v) => ({ key: `v${v}`, value: v })),
    fc.constant({ key: 'E', isError: true }),
    fc.constant({ key: undefined }),
  );

  it('keeps the groups that groupBallots gives for the ballots so far, one ballot at a time, also after equals threw', () => {
    fc.assert(
      fc.property(fc.array(valued, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 5 }), (ballots, unlucky) => {
        let throwing = true;
        const equals: Equals = (a, b) => {
          if (throwing && (a === unlucky || b === unlucky)) throw new Error('equals failed');
          return (a as number) % 3 === (b as number) % 3;
        };
        const task = poolTask(3);
        for (let i = 0; i < ballots.length + 1; i++) task.placeOne(i);
        for (const b of ballots) {
          let step: Step | undefined;
          try {
            step = castBallot(task, b, { needed: ballots.length + 1, maxAttempts: 0, equals });
          } catch {
            // The state is unchanged apart from the ballot: grouped on the next cast (equals then works).
            throwing = false;
            expect(task.grouped).toBe(task.ballots.length - 1);
            expect(task.groups).toEqual(groupBallots(task.ballots.slice(0, -1), equals));
            continue;
          }
          expect(step.kind).not.toBe('answer'); // more votes needed than cast: every ballot is grouped by the step
          expect(task.grouped).toBe(task.ballots.length);
          expect(task.groups).toEqual(groupBallots(task.ballots, equals));
        }
      }),
      { seed: seed + 2, numRuns: 500 },
    );
  });
});

function stateOf(task: ReplicationState) {
  return {
    ballots: task.ballots,
    inFlight: task.inFlight,
    wanted: task.wanted,
    extra: task.extra,
    placed: task.placed,
    winner: task.winner,
    disagreed: task.disagreed,
    groups: task.groups,
    grouped: task.grouped,
  };
}
