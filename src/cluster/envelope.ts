/**
 * Sealed messages between the coordinator and its hosts. Every job payload and every result is
 * a JSON body plus the sha256 of that body: a bit flipped anywhere on the way (Redis, the network,
 * a host's memory) fails the check, and the replica is a fault charged to the host that sent or
 * received it, never a ballot. A digest detects corruption, not forgery: anyone who can write to
 * Redis can write a matching digest (secure Redis itself: AUTH, TLS, a private network).
 */
import { createHash } from 'node:crypto';
import type { DeterminismOrder, InjectOrder, RunReply, RunRequest } from '../transport/protocol.js';
import type { FlipRecord } from '../inject/flip.js';

/** What travels in Redis: the body and its digest. */
export interface Sealed {
  body: string;
  sha: string;
}

/** A replica job: which core of the host runs it, and the replica itself. */
export interface ReplicaJob {
  /** Job id, echoed in the reply: a reply can only answer the job it was computed for. */
  job: string;
  /** The host's local core index. */
  core: number;
  name: string;
  /** v8-serialized input, base64. */
  input: string;
  inject?: InjectOrder;
  det?: DeterminismOrder;
}

/** A replica's outcome as a host reports it. */
export interface ReplicaResult {
  job: string;
  /** The host's local core that ran the replica (per-core attribution within a host). */
  core: number;
  ok: boolean;
  /** The outcome's bytes (worker/payload.ts), base64. */
  payload: string;
  ms: number;
  cpu: number;
  raw?: number;
  flips?: FlipRecord[];
}

/** The message failed its digest check (or is not a sealed message at all). */
export class CorruptMessage extends Error {
  override name = 'CorruptMessage';
}

export function seal(value: unknown): Sealed {
  const body = JSON.stringify(value);
  return { body, sha: sha256(body) };
}

/** The body of a sealed message; throws CorruptMessage when its digest does not match. */
export function open<T>(sealed: unknown, what: string): T {
  const s = sealed as Partial<Sealed> | null;
  if (typeof s !== 'object' || s === null || typeof s.body !== 'string' || typeof s.sha !== 'string') {
    throw new CorruptMessage(`${what} is not a sealed message`);
  }
  if (sha256(s.body) !== s.sha) throw new CorruptMessage(`${what} failed its digest check (sha256 of the body differs from the one sent)`);
  try {
    return JSON.parse(s.body) as T;
  } catch {
    throw new CorruptMessage(`${what} has a matching digest but no JSON body`);
  }
}

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

export function jobOf(job: string, core: number, request: RunRequest): ReplicaJob {
  const out: ReplicaJob = {
    job,
    core,
    name: request.name,
    input: Buffer.from(request.input.buffer, request.input.byteOffset, request.input.byteLength).toString('base64'),
  };
  if (request.inject !== undefined) out.inject = request.inject;
  if (request.det !== undefined) out.det = request.det;
  return out;
}

export function requestOf(job: ReplicaJob): RunRequest {
  const request: RunRequest = { kind: 'run', name: job.name, input: new Uint8Array(Buffer.from(job.input, 'base64')) };
  if (job.inject !== undefined) request.inject = job.inject;
  if (job.det !== undefined) request.det = job.det;
  return request;
}

export function resultOf(job: string, core: number, reply: RunReply): ReplicaResult {
  const payload = Buffer.from(reply.payload.buffer, reply.payload.byteOffset, reply.payload.byteLength).toString('base64');
  const out: ReplicaResult = { job, core, ok: reply.ok, payload, ms: reply.ms, cpu: reply.cpu };
  if (reply.raw !== undefined) out.raw = reply.raw;
  if (reply.flips !== undefined) out.flips = reply.flips;
  return out;
}

export function replyOf(result: ReplicaResult): RunReply {
  const reply: RunReply = { ok: result.ok, payload: new Uint8Array(Buffer.from(result.payload, 'base64')), ms: result.ms, cpu: result.cpu };
  if (result.raw !== undefined) reply.raw = result.raw;
  if (result.flips !== undefined) reply.flips = result.flips;
  return reply;
}
