/**
 * The voter: pure functions over replica ballots. No I/O, no clock; the pool and the
 * simulator both call it.
 */

/** One replica's vote. `key` is the digest of its outcome; undefined for a replica that produced nothing (crash, hang). */
export interface Ballot {
  readonly key: string | undefined;
  /** True when the outcome is a thrown error (errors compare by key only, never by `equals`). */
  readonly isError?: boolean;
  /** Needed only for inexact voting with `equals`. */
  readonly value?: unknown;
}

export type Equals = (a: unknown, b: unknown) => boolean;

export interface VoteGroup {
  /** Key of the group's first member. */
  key: string;
  isError: boolean;
  /** Indices into the ballots array, in arrival order. */
  members: number[];
}

export type Verdict =
  /** A group reached the majority: that outcome is the answer. */
  | { kind: 'agreed'; group: VoteGroup; groups: VoteGroup[] }
  /** Replicas still running could still complete a majority: wait for them. */
  | { kind: 'waiting'; groups: VoteGroup[] }
  /** No majority even if every running replica agreed with the largest group: `missing` more replicas are needed. */
  | { kind: 'short'; missing: number; groups: VoteGroup[] };

/** Votes a majority of the planned replicas needs: 2 of 2 (DMR, then 2 of 3 after a tie-break), 2 of 3 (TMR). */
export function majorityOf(planned: number): number {
  return Math.floor(planned / 2) + 1;
}

/** Groups ballots by key, or by `equals` on values (errors always by key). Ballots with no key form no group. */
export function groupBallots(ballots: readonly Ballot[], equals?: Equals): VoteGroup[] {
  const groups: VoteGroup[] = [];
  for (let i = 0; i < ballots.length; i++) joinGroup(groups, ballots, i, equals);
  return groups;
}

/**
 * Puts `ballots[index]` into `groups` (the groups of the ballots before it), as groupBallots does:
 * into the first group of its kind with the same key, or whose first member `equals` it, else into
 * a new group. A ballot with no key joins none. Throws whatever `equals` throws, `groups` unchanged.
 */
export function joinGroup(groups: VoteGroup[], ballots: readonly Ballot[], index: number, equals?: Equals): void {
  const ballot = ballots[index]!;
  if (ballot.key === undefined) return;
  const isError = ballot.isError === true;
  let home: VoteGroup | undefined;
  for (const group of groups) {
    if (group.isError !== isError) continue;
    if (group.key === ballot.key) {
      home = group;
      break;
    }
    if (equals !== undefined && !isError && equals(ballots[group.members[0]!]!.value, ballot.value)) {
      home = group;
      break;
    }
  }
  if (home === undefined) groups.push({ key: ballot.key, isError, members: [index] });
  // An exact-size copy: pushing would give the one-member list room for 17 (~150 bytes per vote).
  else home.members = home.members.concat(index);
}

/**
 * Decides a task's state from the ballots so far.
 * @param inFlight replicas dispatched but not yet answered
 * @param needed   votes a group must hold to win (majorityOf(planned))
 */
export function decide(ballots: readonly Ballot[], inFlight: number, needed: number, equals?: Equals): Verdict {
  return decideGroups(groupBallots(ballots, equals), inFlight, needed);
}

/** decide() on ballots already grouped (groupBallots, or joinGroup one ballot at a time). */
export function decideGroups(groups: VoteGroup[], inFlight: number, needed: number): Verdict {
  let best: VoteGroup | undefined;
  for (const group of groups) {
    if (best === undefined || group.members.length > best.members.length) best = group;
  }
  const bestSize = best?.members.length ?? 0;
  if (best !== undefined && bestSize >= needed) return { kind: 'agreed', group: best, groups };
  // Optimistic: assume every running replica joins the largest group.
  const missing = needed - bestSize - inFlight;
  if (missing <= 0) return { kind: 'waiting', groups };
  return { kind: 'short', missing, groups };
}

/**
 * What a task short of a majority does next (pool and simulator alike): nothing while enough
 * replicas are already wanted, give up once the extra replicas would exceed `maxAttempts`, else
 * ask for `more` replicas on unused cores.
 *
 * @param missing votes the verdict is short by
 * @param wanted  replicas already asked for and not yet placed
 * @param beyond  replicas beyond the planned k, counting those already wanted
 */
export function afterShortVote(
  missing: number,
  wanted: number,
  beyond: number,
  maxAttempts: number,
): { kind: 'wait' } | { kind: 'give-up' } | { kind: 'ask'; more: number } {
  const more = missing - wanted;
  if (more <= 0) return { kind: 'wait' };
  if (beyond + more > maxAttempts) return { kind: 'give-up' };
  return { kind: 'ask', more };
}

/**
 * Indices of ballots outside the winning group (wrong values, crashes, hangs): the cores to
 * charge. Only meaningful once a group has won; before that nobody can be blamed.
 */
export function minorityOf(ballots: readonly Ballot[], winner: VoteGroup): number[] {
  const inWinner = new Set(winner.members);
  const minority: number[] = [];
  for (let i = 0; i < ballots.length; i++) if (!inWinner.has(i)) minority.push(i);
  return minority;
}

/** Whether a late ballot (arriving after the verdict) agrees with the winner. */
export function agreesWith(ballots: readonly Ballot[], winner: VoteGroup, late: Ballot, equals?: Equals): boolean {
  if (late.key === undefined) return false;
  if ((late.isError === true) !== winner.isError) return false;
  if (late.key === winner.key) return true;
  return equals !== undefined && !winner.isError && equals(ballots[winner.members[0]!]!.value, late.value);
}
