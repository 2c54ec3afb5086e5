/**
 * The replication step: what one task does with each replica that finishes. It is the single
 * orchestration of voting that the pool and the simulator both execute — they differ only in
 * how they carry out the actions (real workers and events, or virtual time and counters).
 *
 * Deterministic and free of I/O, clocks and randomness: it updates the task's vote state and
 * returns the action for the adapter. Equal states and ballots give equal actions.
 */
import { afterShortVote, agreesWith, decideGroups, joinGroup, type Ballot, type Equals, type VoteGroup } from './voter.js';

/** The part of a task the step reads and writes (the pool's TaskRun and the simulator's SimTask). */
export interface ReplicationState {
  readonly k: number;
  /** Finished replicas' ballots, in arrival order. */
  readonly ballots: Ballot[];
  /**
   * Until the task is answered, groupBallots(ballots) kept up to date one ballot at a time (a vote
   * regroups nothing). Ballots judged late join the winner's members only.
   */
  readonly groups: VoteGroup[];
  /** Ballots already in `groups`: all of them, unless `equals` threw on the newest. */
  grouped: number;
  /** Replicas placed and not finished. */
  inFlight: number;
  /** Replicas asked for and not placed yet. */
  wanted: number;
  /** Replicas asked for beyond the first k. */
  extra: number;
  /** Replicas placed that count as attempts (a replica lost with another's batch does not). */
  readonly placed: number;
  settled: boolean;
  winner: VoteGroup | undefined;
  disagreed: boolean;
}

/** How a task votes: the votes a group needs, the extra replicas allowed, the optional `equals`. */
export interface VoteRules {
  readonly needed: number;
  readonly maxAttempts: number;
  readonly equals?: Equals | undefined;
}

export type Step =
  /** Replicas still running may complete a majority. */
  | { readonly kind: 'wait'; readonly disagreed: boolean }
  /**
   * A majority agreed: answer with the winner's outcome, credit its members and charge every other
   * finished replica (ballot indices not in `winner.members`). `corrected`: someone was out-voted.
   */
  | { readonly kind: 'answer'; readonly winner: VoteGroup; readonly corrected: boolean; readonly disagreed: boolean }
  /** Short of a majority: `more` replicas were added to `wanted`, on cores the task has not used. */
  | { readonly kind: 'ask'; readonly more: number; readonly reason: 'tie-break' | 're-execution'; readonly disagreed: boolean }
  /** No majority is possible within maxAttempts: fail with ERR_NO_MAJORITY (nobody is charged). */
  | { readonly kind: 'give-up'; readonly beyond: number; readonly disagreed: boolean }
  /** A replica finished after the answer: credit it (it agrees) or charge it. */
  | { readonly kind: 'late'; readonly index: number; readonly agrees: boolean; readonly disagreed: boolean }
  /** A replica finished after the task failed without a majority: nobody can be blamed. */
  | { readonly kind: 'ignore'; readonly disagreed: false };

const IGNORE: Step = Object.freeze({ kind: 'ignore', disagreed: false });
/** Most ballots only wait for the next one: the same two actions serve every task. */
const WAIT: Step = Object.freeze({ kind: 'wait', disagreed: false });
const WAIT_DISAGREED: Step = Object.freeze({ kind: 'wait', disagreed: true });

/**
 * One finished replica's ballot joins its task. `disagreed` in the result is true only the first
 * time the task is seen to disagree (the adapter counts and reports disagreements once per task).
 * Throws whatever `equals` throws; the task's state is then unchanged apart from the ballot.
 */
export function castBallot(task: ReplicationState, ballot: Ballot, rules: VoteRules): Step {
  task.inFlight--;
  task.ballots.push(ballot);
  return task.settled ? judgeLate(task, ballot, rules) : evaluate(task, rules);
}

/** Votes on a task's ballots so far. */
function evaluate(task: ReplicationState, rules: VoteRules): Step {
  // Only the new ballot joins a group: the ones before it are in theirs.
  for (; task.grouped < task.ballots.length; task.grouped++) joinGroup(task.groups, task.ballots, task.grouped, rules.equals);
  const verdict = decideGroups(task.groups, task.inFlight, rules.needed);
  if (verdict.kind === 'agreed') {
    task.winner = verdict.group;
    task.wanted = 0;
    const split = verdict.groups.length > 1;
    return { kind: 'answer', winner: verdict.group, corrected: task.ballots.length > verdict.group.members.length, disagreed: split && noteDisagreement(task) };
  }
  const disagreed = verdict.groups.length > 1 && noteDisagreement(task);
  if (verdict.kind === 'waiting') return waiting(disagreed);
  const beyond = task.placed + task.wanted - task.k;
  const next = afterShortVote(verdict.missing, task.wanted, beyond, rules.maxAttempts);
  if (next.kind === 'wait') return waiting(disagreed);
  if (next.kind === 'give-up') return { kind: 'give-up', beyond: Math.max(0, beyond), disagreed: noteDisagreement(task) || disagreed };
  task.extra += next.more;
  task.wanted += next.more;
  // Every replica answered (two values disagree): a tie-break; some produced nothing: a re-execution.
  const reason = task.ballots.every((b) => b.key !== undefined) ? 'tie-break' : 're-execution';
  return { kind: 'ask', more: next.more, reason, disagreed };
}

function waiting(disagreed: boolean): Step {
  return disagreed ? WAIT_DISAGREED : WAIT;
}

/** A replica that answered after the verdict (TMR's third): it joins the winners or is charged. */
function judgeLate(task: ReplicationState, ballot: Ballot, rules: VoteRules): Step {
  const winner = task.winner;
  if (winner === undefined) return IGNORE;
  const index = task.ballots.length - 1;
  if (agreesWith(task.ballots, winner, ballot, rules.equals)) {
    winner.members.push(index);
    return { kind: 'late', index, agrees: true, disagreed: false };
  }
  return { kind: 'late', index, agrees: false, disagreed: noteDisagreement(task) };
}

/** Marks the task as disagreeing; true only the first time. */
export function noteDisagreement(task: ReplicationState): boolean {
  if (task.disagreed) return false;
  task.disagreed = true;
  return true;
}
