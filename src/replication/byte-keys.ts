/**
 * Vote keys. Every replica's result travels as bytes (codec/payload.ts) and is voted on the main
 * thread, never on a digest a worker claims: the bytes compared are the bytes the caller decodes.
 *
 * Equal bytes (same payload format) are equal values: the cheap, common case (memcmp). Different
 * bytes are not always different values (V8 writes the same number as int32 or as a double), so
 * then the canonical digests of the decoded values decide (codec/canonical.ts: equal digests ⇔
 * indistinguishable clones). Keys are assigned against every earlier reply of the task, so bytes
 * and digests agree in any arrival order. A digest is computed only when first needed.
 */
import { createHash } from 'node:crypto';
import { canonicalDigest } from '../codec/canonical.js';
import { decodePayload } from '../codec/payload.js';
import type { RunReply } from '../transport/protocol.js';

let tokens = 0;
const UNDECODABLE = 'undecodable:';

/** Whether a digest stands for bytes the main thread could not decode (compared by their bytes only). */
export function isUndecodable(digest: string | undefined): boolean {
  return digest !== undefined && digest.startsWith(UNDECODABLE);
}

/** A finished replica as vote keys see it: its reply, if it sent one (a crashed or hung one did not). */
export interface Replied {
  readonly reply: RunReply | undefined;
}

/** Gives a reply its vote key, from the replies of the task's replicas that finished before it. */
export function assignVoteKey(reply: RunReply, earlier: readonly Replied[]): void {
  for (const { reply: other } of earlier) {
    if (other === undefined || other.handedOut === true) continue; // its memory belongs to the caller now; a group-mate stands in
    if (other.ok === reply.ok && (other.raw ?? 0) === (reply.raw ?? 0) && sameBytes(other.payload, reply.payload)) {
      reply.voteKey = voteKeyOf(other);
      return;
    }
  }
  let compared = false;
  for (const { reply: other } of earlier) {
    if (other === undefined || other.ok !== reply.ok || other.handedOut === true) continue;
    compared = true;
    if (digestOf(other) === digestOf(reply)) {
      reply.voteKey = voteKeyOf(other);
      return;
    }
  }
  // The task's first result: a fresh key, no hashing; otherwise it differs from all: its digest.
  reply.voteKey = compared ? digestOf(reply) : `bytes:${++tokens}`;
}

/**
 * The winner's payload is decoded for the caller without a copy, so the caller may modify it while
 * a late replica is still to be judged. From then on `mate` (another member of the winning group,
 * never handed out) stands in: comparisons skip `reply`, and its digest, if not computed yet, is
 * the mate's (same group: same value).
 */
export function handOut(reply: RunReply, mate: RunReply): void {
  reply.handedOut = true;
  if (reply.digest === undefined) reply.mate = mate;
}

/** What the voter groups by. */
export function voteKeyOf(reply: RunReply): string {
  return reply.voteKey ?? digestOf(reply);
}

/**
 * The canonical digest of a reply's outcome (computed once, on first use). An error is digested
 * without its stack (worker/errors.ts). A payload the main thread cannot decode (nested deeper
 * than its stack allows) is keyed by a hash of its bytes: equal bytes still agree, and the task
 * is rejected with a typed error if that group wins.
 */
export function digestOf(reply: RunReply): string {
  if (reply.digest !== undefined) return reply.digest;
  if (reply.mate !== undefined) return (reply.digest = digestOf(reply.mate));
  let digest: string;
  try {
    const decoded = decodePayload(reply.payload, reply.raw);
    digest = canonicalDigest(reply.ok ? decoded : (decoded as unknown[])[0]);
  } catch {
    digest = `${UNDECODABLE}${createHash('sha256').update(reply.payload).digest('base64')}`;
  }
  return (reply.digest = digest);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const length = a.byteLength;
  if (length !== b.byteLength) return false;
  if (length <= 64) {
    // Small results (most tasks): a loop beats creating two Buffer views.
    for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  return Buffer.from(a.buffer, a.byteOffset, length).equals(Buffer.from(b.buffer, b.byteOffset, length));
}
