/**
 * The pools a user would pick instead of triplex, and the naive "run it k times and
 * deep-compare" on top of each: what triplex must beat, measured side by side in one run.
 */
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import workerpool from 'workerpool';

export const tasksFile = fileURLToPath(new URL('../bench/tasks.mjs', import.meta.url));
const workerpoolFile = fileURLToPath(new URL('../bench/workerpool-worker.mjs', import.meta.url));

/** A plain pool: run one task by name. */
export interface Peer {
  name: string;
  run(name: string, input: unknown): Promise<unknown>;
  destroy(): Promise<unknown>;
}

/** Each in its default mode, with one thread per CPU in the benchmarks. */
export const PEER_NAMES = ['piscina', 'tinypool', 'workerpool'] as const;
export type PeerName = (typeof PEER_NAMES)[number];

/** One of the peers, with `threads` worker threads, in its default mode. */
export function startPeer(name: PeerName, threads: number): Peer {
  if (name === 'piscina') {
    const piscina = new Piscina({ filename: tasksFile, minThreads: threads, maxThreads: threads, idleTimeout: Infinity });
    return { name, run: (task, input) => piscina.run(input, { name: task }), destroy: () => piscina.destroy() };
  }
  if (name === 'tinypool') {
    const tinypool = new Tinypool({ filename: tasksFile, minThreads: threads, maxThreads: threads, idleTimeout: Infinity });
    return { name, run: (task, input) => tinypool.run(input, { name: task }), destroy: () => tinypool.destroy() };
  }
  const wp = workerpool.pool(workerpoolFile, { minWorkers: threads, maxWorkers: threads, workerType: 'thread' });
  return {
    name,
    run: (task, input) => wp.exec(task, [input]) as Promise<unknown>,
    destroy: async () => {
      await wp.terminate();
    },
  };
}

/**
 * What a user writes without triplex: k runs at once, the first value two of them deep-equal;
 * with k = 2 and a mismatch, a third run breaks the tie.
 */
export async function naive(peer: Peer, k: number, name: string, input: unknown): Promise<unknown> {
  const results = await Promise.all(Array.from({ length: k }, () => peer.run(name, input)));
  for (let i = 0; i < results.length; i++) for (let j = i + 1; j < results.length; j++) if (isDeepStrictEqual(results[i], results[j])) return results[i];
  if (k === 2) {
    const third = await peer.run(name, input);
    if (results.some((r) => isDeepStrictEqual(r, third))) return third;
  }
  throw new Error('no majority');
}
