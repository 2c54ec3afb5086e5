/**
 * Vote keys for large results. Hashing a megabyte costs a worker ~0.6 ms of SHA-256, while
 * comparing two megabytes costs the main thread ~0.04 ms (memcmp), so replicas with large
 * results come back without a digest and the main thread compares their serialized bytes.
 *
 * Equal bytes (of the same payload format) are equal values. Different bytes are not always different values (V8 may write the
 * same number as int32 or as a double), so then the canonical digests decide, computed here on
 * that rare path. A result whose digest is read (audit log, fault evidence, detailed results)
 * gets it computed on first read, so every consumer still sees the canonical digest.
 */
import { canonicalDigest } from '../worker/canonical.js';
import { decodePayload } from '../worker/payload.js';
import type { RunReply } from '../worker/protocol.js';

/** Results at least this large (serialized) are voted on their bytes; smaller ones carry a digest. */
export const BYTE_VOTE_MIN = 16 * 1024;

let tokens = 0;

/** Gives a reply that came without a digest its vote key, from the task's earlier replies. */
export function assignVoteKey(reply: RunReply, earlier: Iterable<RunReply>): void {
  digestOnRead(reply);
  for (const other of earlier) {
    if (other.handedOut === true) continue; // its memory belongs to the caller now; a group-mate stands in
    if (other.ok === reply.ok && (other.raw ?? 0) === (reply.raw ?? 0) && sameBytes(other.payload, reply.payload)) {
      reply.voteKey = voteKeyOf(other);
      return;
    }
  }
  let compared = false;
  for (const other of earlier) {
    if (other.ok !== reply.ok || other.handedOut === true) continue;
    compared = true;
    if (other.digest === reply.digest) {
      reply.voteKey = voteKeyOf(other);
      return;
    }
  }
  // The task's first result: a fresh key, no hashing; otherwise it differs from all: its digest.
  reply.voteKey = compared ? reply.digest : `bytes:${++tokens}`;
}

/**
 * The winner's payload is decoded for the caller without a copy, so the caller may modify it while
 * a late replica is still to be judged. From then on `mate` (another member of the winning group,
 * never handed out) stands in: comparisons skip `reply`, and its digest, if not computed yet, is
 * the mate's (same group: same value).
 */
export function handOut(reply: RunReply, mate: RunReply): void {
  reply.handedOut = true;
  if (Object.getOwnPropertyDescriptor(reply, 'digest')?.get === undefined) return; // computed already
  Object.defineProperty(reply, 'digest', { configurable: true, enumerable: true, get: () => mate.digest });
}

/** What the voter groups by. */
export function voteKeyOf(reply: RunReply): string {
  return reply.voteKey ?? reply.digest;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Replaces the empty digest by one computed (once) when first read. */
function digestOnRead(reply: RunReply): void {
  Object.defineProperty(reply, 'digest', {
    configurable: true,
    enumerable: true,
    get(this: RunReply): string {
      const digest = canonicalDigest(decodePayload(this.payload, this.raw));
      Object.defineProperty(this, 'digest', { value: digest, enumerable: true, writable: true, configurable: true });
      return digest;
    },
  });
}
