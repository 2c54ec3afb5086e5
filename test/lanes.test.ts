// Lanes: a core's ring is filled in two batches of half its depth (double buffering), and the
// replica its worker runs now is found in whichever batch it belongs to.
import { describe, expect, it } from 'vitest';
import { ABORT_GRACE_MS, Lanes } from '../dist/pool/lanes.js';
import { ManualTimers } from '../dist/util/clock.js';
import { WorkerDied } from '../dist/transport/channel.js';
import type { ReplicaRecord } from '../dist/pool/task.js';
import type { ExecutingCore } from '../dist/cores/types.js';
import type { RunReply, RunRequest } from '../dist/transport/protocol.js';

/** A core whose worker never answers; the test sets how many replicas it has started. */
function stalledCore(): ExecutingCore & { started_: number; batches: RunRequest[][]; terminations: number } {
  const core = {
    id: 0,
    cpu: 0,
    enabled: true,
    excludedKinds: new Set<string>(),
    lastFaultAt: Number.NEGATIVE_INFINITY,
    busy: false,
    speed: 1,
    tasks: 0,
    busyMs: 0,
    deaths: 0,
    started: true,
    started_: 0,
    batches: [] as RunRequest[][],
    terminations: 0,
    start: () => Promise.resolve({ pinned: false, cpu: 0, exports: [] }),
    execute: () => new Promise<RunReply>(() => {}),
    executeBatch(requests: RunRequest[]) {
      core.batches.push(requests);
      return new Promise<RunReply[]>(() => {});
    },
    startedCount: () => core.started_,
    latestStart: () => 0,
    terminateCurrent: () => {
      core.terminations++;
      return true;
    },
    stop: () => Promise.resolve(),
  };
  return core;
}

const noEvents = { reply() {}, failed() {}, lost() {}, settled() {}, sent() {}, handle: (work: () => void) => work() };

describe('lanes', () => {
  it('sends a full ring as two batches, and finds the running replica in the second one', () => {
    const core = stalledCore();
    const lanes = new Lanes([core], Number.POSITIVE_INFINITY, noEvents);
    lanes.setDepth(4);
    const replicas = Array.from({ length: 4 }, (_, index) => ({ index, core, status: 'running' }) as unknown as ReplicaRecord);
    for (const replica of replicas) lanes.enqueue(replica, { kind: 'run', name: 't', input: new Uint8Array() });
    lanes.flush();
    expect(core.batches.map((batch) => batch.length)).toEqual([2, 2]);
    expect(core.busy).toBe(true); // full: 4 placed at depth 4
    core.started_ = 1;
    expect(replicas.map((r) => lanes.isRunning(r))).toEqual([true, false, false, false]);
    // The worker finished the first batch and runs the second before the main thread handled the answer.
    core.started_ = 3;
    expect(replicas.map((r) => lanes.isRunning(r))).toEqual([false, false, true, false]);
    core.started_ = 0;
    expect(replicas.map((r) => lanes.isRunning(r))).toEqual([false, false, false, false]);
    lanes.close();
  });

  it('holds a short outbox while the worker has more than a batch queued, and sends it once the queue runs down', async () => {
    const answers: ((replies: RunReply[]) => void)[] = [];
    const core = stalledCore();
    core.executeBatch = (requests: RunRequest[]) => {
      core.batches.push(requests);
      return new Promise<RunReply[]>((resolve) => answers.push(resolve));
    };
    let settled = 0;
    const lanes = new Lanes([core], Number.POSITIVE_INFINITY, { ...noEvents, settled: () => settled++ });
    lanes.setDepth(8); // batches of 4
    const request: RunRequest = { kind: 'run', name: 't', input: new Uint8Array() };
    const place = (n: number): void => {
      for (let i = 0; i < n; i++) lanes.enqueue({ index: i, core, status: 'running' } as unknown as ReplicaRecord, request);
      lanes.flush();
    };
    place(8);
    expect(core.batches.map((batch) => batch.length)).toEqual([4, 4]);
    place(1); // 8 queued on the worker: this one waits for company instead of costing a wake of its own
    place(2);
    expect(core.batches.length).toBe(2);
    expect(lanes.load(core)).toBe(11); // held replicas are placed: they count against the depth
    place(1); // a full batch
    expect(core.batches.map((batch) => batch.length)).toEqual([4, 4, 4]);
    place(1);
    expect(core.batches.length).toBe(3);
    answers[0]!(Array.from({ length: 4 }, () => ({ ok: true, payload: new Uint8Array(), ms: 0, cpu: 0 }) as unknown as RunReply));
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(1);
    place(0); // the next pump: 8 queued is one batch over, so the last replica still waits
    expect(core.batches.length).toBe(3);
    answers[1]!(Array.from({ length: 4 }, () => ({ ok: true, payload: new Uint8Array(), ms: 0, cpu: 0 }) as unknown as RunReply));
    await Promise.resolve();
    await Promise.resolve();
    place(0); // 4 queued: no more than a batch, so what waited goes out before the worker runs dry
    expect(core.batches.map((batch) => batch.length)).toEqual([4, 4, 4, 1]);
    lanes.close();
  });

  it('an aborted replica still running after the grace has its worker terminated; one that finished in time does not', () => {
    const timers = new ManualTimers();
    const core = stalledCore();
    const lanes = new Lanes([core], Number.POSITIVE_INFINITY, noEvents, timers);
    lanes.setDepth(4);
    const replicas = Array.from({ length: 4 }, (_, index) => ({ index, core, status: 'running' }) as unknown as ReplicaRecord);
    for (const replica of replicas) lanes.enqueue(replica, { kind: 'run', name: 't', input: new Uint8Array() });
    lanes.flush();
    core.started_ = 1;
    expect(lanes.terminateIfRunning(replicas[0]!, 'abort')).toBe(true);
    expect(lanes.terminateIfRunning(replicas[1]!, 'abort')).toBe(false); // queued behind: it runs on, ignored
    expect(core.terminations).toBe(0); // not at once: a short replica finishes instead
    core.started_ = 2; // it finished within the grace; the worker runs the next one
    expect(timers.runNext()).toBe(true);
    expect(timers.now()).toBe(ABORT_GRACE_MS);
    expect(core.terminations).toBe(0);
    expect(lanes.terminateIfRunning(replicas[1]!, 'abort')).toBe(true);
    expect(timers.runNext()).toBe(true); // still running after the grace: its worker is terminated
    expect(core.terminations).toBe(1);
    lanes.close();
  });
});

describe('replies handed over before their batch is answered (long replicas)', () => {
  /** A core whose one batch the test answers early, whole, or with a crash. */
  function answeringCore() {
    const core = Object.assign(stalledCore(), {
      early: undefined as ((replies: readonly RunReply[]) => void) | undefined,
      resolve: undefined as ((replies: RunReply[]) => void) | undefined,
      reject: undefined as ((error: Error) => void) | undefined,
    });
    core.executeBatch = (requests: RunRequest[], early?: (replies: readonly RunReply[]) => void) => {
      core.batches.push(requests);
      core.early = early;
      return new Promise<RunReply[]>((resolve, reject) => Object.assign(core, { resolve, reject }));
    };
    return core;
  }
  const reply = (ms: number): RunReply => ({ ok: true, payload: new Uint8Array(), ms, cpu: 0 }) as RunReply;

  function setup() {
    const core = answeringCore();
    const seen: string[] = [];
    const events = {
      ...noEvents,
      reply: (r: ReplicaRecord, answer: RunReply) => seen.push(`reply ${(r as unknown as { index: number }).index} ${answer.ms}`),
      failed: (r: ReplicaRecord, status: string) => seen.push(`${status} ${(r as unknown as { index: number }).index}`),
      lost: (r: ReplicaRecord, ran: boolean, queued: boolean) => seen.push(`lost ${(r as unknown as { index: number }).index}${queued ? ' queued' : ''}`),
    };
    const lanes = new Lanes([core], Number.POSITIVE_INFINITY, events);
    lanes.setDepth(8);
    const replicas = Array.from({ length: 4 }, (_, index) => ({ index, core, status: 'running' }) as unknown as ReplicaRecord);
    for (const replica of replicas) lanes.enqueue(replica, { kind: 'run', name: 't', input: new Uint8Array() });
    lanes.flush();
    expect(core.batches.map((batch) => batch.length)).toEqual([4]);
    return { core, seen, lanes, replicas };
  }

  it('each reply is taken once, early or with the answer, and the load follows', async () => {
    const { core, seen, lanes, replicas } = setup();
    core.started_ = 2;
    core.early!([reply(10)]);
    expect(seen).toEqual(['reply 0 10']);
    expect(lanes.load(core)).toBe(3);
    expect(replicas.map((r) => lanes.isRunning(r))).toEqual([false, true, false, false]);
    core.started_ = 3;
    core.early!([reply(11)]);
    expect(replicas.map((r) => lanes.isRunning(r))).toEqual([false, false, true, false]);
    core.resolve!([reply(10), reply(11), reply(12), reply(13)]);
    await Promise.resolve();
    expect(seen).toEqual(['reply 0 10', 'reply 1 11', 'reply 2 12', 'reply 3 13']);
    expect(lanes.load(core)).toBe(0);
    lanes.close();
  });

  it('a crash after early replies blames the replica that was running, not one taken already', async () => {
    const { core, seen, lanes } = setup();
    core.started_ = 2;
    core.early!([reply(10)]);
    core.started_ = 3; // replica 1 finished (its reply not taken yet), replica 2 runs and crashes
    (core as { deaths: number }).deaths = 1;
    core.reject!(new WorkerDied(new Error('exit 1'), [reply(10), reply(11)]));
    await Promise.resolve();
    expect(seen).toEqual(['reply 0 10', 'reply 1 11', 'crash 2', 'lost 3 queued']);
    expect(lanes.load(core)).toBe(0);
    lanes.close();
  });
});

describe('which cores wake the main thread', () => {
  const request: RunRequest = { kind: 'run', name: 't', input: new Uint8Array() };

  /** A core that records the lanes' choices (wantReplies) and answers when the test says; `armed`: a wake is pending for it. */
  function wakingCore(id: number) {
    const answers: ((replies: RunReply[]) => void)[] = [];
    const core = Object.assign(stalledCore(), { id, wants: [] as boolean[], armed: false, answers });
    core.executeBatch = (requests: RunRequest[]) => {
      core.batches.push(requests);
      return new Promise<RunReply[]>((resolve) => answers.push(resolve));
    };
    return Object.assign(core, {
      wantReplies: (on: boolean) => void core.wants.push(on),
      awaited: () => core.armed,
    });
  }
  type WakingCore = ReturnType<typeof wakingCore>;
  interface FakeTask {
    k: number;
    settled: boolean;
    finished: ReplicaRecord[];
    replicas: ReplicaRecord[];
  }

  /** `n` tasks of k replicas, one on each core, sent as one batch per core. */
  function place(lanes: Lanes, cores: WakingCore[], n: number): FakeTask[] {
    const tasks = Array.from({ length: n }, (): FakeTask => ({ k: cores.length, settled: false, finished: [], replicas: [] }));
    for (const core of cores)
      for (const task of tasks) {
        const replica = { index: task.replicas.length, core, status: 'running', task } as unknown as ReplicaRecord;
        task.replicas.push(replica);
        lanes.enqueue(replica, request);
      }
    lanes.flush();
    return tasks;
  }

  /** The core answers its oldest batch; the scheduler's part (the replicas finish) is done here. */
  async function answer(core: WakingCore, tasks: FakeTask[]): Promise<void> {
    for (const task of tasks) {
      const replica = task.replicas.find((r) => r.core === core)!;
      replica.status = 'value';
      task.finished.push(replica);
    }
    core.answers.shift()!(tasks.map(() => ({ ok: true, payload: new Uint8Array(), ms: 0, cpu: 0 }) as unknown as RunReply));
    await Promise.resolve();
    await Promise.resolve();
  }

  const choice = (core: WakingCore): boolean | undefined => core.wants.at(-1);

  /** Two waking cores in lanes of depth 8 (batches of 4). */
  function twoCores(taskTimeout = Number.POSITIVE_INFINITY, laneTimers?: ManualTimers) {
    const a = wakingCore(0);
    const b = wakingCore(1);
    const lanes = new Lanes([a, b], taskTimeout, noEvents, laneTimers);
    lanes.setDepth(8);
    return { a, b, lanes };
  }

  it('DMR: while no batch can settle a task, the core least far into its batch wakes it and the other rests until its answer counts', async () => {
    const { a, b, lanes } = twoCores();
    const tasks = place(lanes, [a, b], 4);
    a.started_ = 3; // a is ahead
    lanes.flush(); // the next pump chooses again
    expect([choice(a), choice(b)]).toEqual([false, true]);
    await answer(b, tasks); // each task now has one answer: a's would complete it
    expect([choice(a), choice(b)]).toEqual([true, true]);
    lanes.close();
  });

  it('TMR: no core rests while two that do not wake the main thread could still make a majority', () => {
    const cores = [wakingCore(0), wakingCore(1), wakingCore(2)];
    const lanes = new Lanes(cores, Number.POSITIVE_INFINITY, noEvents);
    lanes.setDepth(8);
    place(lanes, cores, 4);
    cores[0]!.started_ = 3;
    cores[1]!.started_ = 2;
    lanes.flush();
    // Only core 2 (least far) would wake it: cores 0 and 1 could agree without it, so they wake it too.
    expect(cores.map(choice)).toEqual([true, true, true]);
    lanes.close();
  });

  it('a wake already armed counts (it cannot be taken back): no other core is woken for nothing', () => {
    const { a, b, lanes } = twoCores();
    place(lanes, [a, b], 4);
    a.armed = true;
    lanes.flush();
    expect([choice(a), choice(b)]).toEqual([false, false]); // a wakes the main thread once more, then b's answer counts
    lanes.close();
  });

  it('a batch with a late replica (its task settled) or a task one answer from a majority always wakes it', () => {
    const { a, b, lanes } = twoCores();
    const tasks = place(lanes, [a, b], 4);
    a.started_ = 3;
    tasks[2]!.settled = true;
    lanes.flush();
    expect([choice(a), choice(b)]).toEqual([true, true]);
    lanes.close();
  });

  it("the watchdog takes a resting core's unread replies before it calls a replica hung", async () => {
    const timers = new ManualTimers();
    const { a, b, lanes } = twoCores(100, timers);
    const tasks = place(lanes, [a, b], 4);
    a.started_ = 4; // a ran its whole batch: its replies wait in the ring
    lanes.flush();
    expect(choice(a)).toBe(false);
    while (timers.now() < 100) expect(timers.runNext()).toBe(true);
    expect(a.terminations).toBe(0);
    expect(choice(a)).toBe(true); // asked for its replies instead
    await answer(a, tasks);
    while (timers.now() < 300 && timers.runNext());
    expect(a.terminations).toBe(0);
    // b's replica really hangs: asked for its replies, it has none, and is terminated on the next look.
    b.started_ = 1;
    while (b.terminations === 0 && timers.now() < 1_000) expect(timers.runNext()).toBe(true);
    expect(b.terminations).toBe(1);
    lanes.close();
  });

  it('a pool of one core chooses nothing', () => {
    const a = wakingCore(0);
    const lanes = new Lanes([a], Number.POSITIVE_INFINITY, noEvents);
    lanes.setDepth(8);
    lanes.enqueue({ index: 0, core: a, status: 'running', task: { k: 1, settled: false, finished: [], replicas: [] } } as unknown as ReplicaRecord, request);
    lanes.flush();
    expect(a.wants).toEqual([]);
    lanes.close();
  });
});
