// TriplexCluster on real processes: a redis-server on a free loopback port and 3–4 `triplex
// worker` hosts (separate Node processes, one core each, unpinned: see test/support/cluster.ts).
// Skipped, saying so, only where redis-server is not installed (.ci/run installs it).
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Queue, QueueEvents } from 'bullmq';
import { TriplexCluster, type HostEvent } from '../dist/cluster.js';
import { FaultInjector } from '../dist/index.js';
import { until } from './helpers.js';
import {
  CLUSTER_TASKS,
  exited,
  freePort,
  redisServerPath,
  spawnHost,
  startHost,
  startRedis,
  stopProcess,
  type HostProcess,
  type RedisServer,
} from './support/cluster.js';

const binary = redisServerPath();
if (binary === undefined) console.warn('redis-server is not installed: the cluster tests are skipped (.ci/run installs it with apt-get)');

let redis: RedisServer;
let prefixes = 0;
const hosts: HostProcess[] = [];
const clusters: TriplexCluster[] = [];

/** A fresh cluster name per test: hosts and queues of one test never meet another's. */
function prefix(): string {
  return `t${process.pid}-${prefixes++}`;
}

async function startHosts(p: string, ids: string[], env: Record<string, Record<string, string>> = {}, port = redis.port): Promise<HostProcess[]> {
  const started = await Promise.all(ids.map((id) => startHost({ port, prefix: p, id, env: env[id] ?? {} })));
  hosts.push(...started);
  return started;
}

function cluster(p: string, options: Record<string, unknown> = {}, port = redis.port): TriplexCluster {
  const c = new TriplexCluster({
    connection: { host: '127.0.0.1', port },
    filename: CLUSTER_TASKS,
    prefix: p,
    heartbeatInterval: 100,
    heartbeatTimeout: 1500,
    ...options,
  });
  clusters.push(c);
  return c;
}

function hostOf(c: TriplexCluster, core: number): string {
  return c.cores.find((info) => info.id === core)!.host;
}

const rows = (n: number): { amount: number; qty: number }[] => Array.from({ length: 3 }, (_, i) => ({ amount: n + i, qty: i + 1 }));
const totalOf = (n: number): number => rows(n).reduce((sum, row) => sum + row.amount * row.qty, 0);

describe.skipIf(binary === undefined)('TriplexCluster on real hosts (BullMQ on Redis)', () => {
  beforeAll(async () => {
    redis = await startRedis(binary!);
  });
  afterEach(async () => {
    await Promise.allSettled(clusters.splice(0).map((c) => c.destroy()));
    await Promise.allSettled(hosts.splice(0).map((h) => stopProcess(h.proc)));
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('TMR across 3 hosts: voted values, every replica of a task on a distinct host', async () => {
    const p = prefix();
    await startHosts(p, ['h1', 'h2', 'h3']);
    const c = cluster(p);
    await c.ready;
    const values = await Promise.all(Array.from({ length: 30 }, (_, n) => c.run(rows(n), { name: 'total' })));
    expect(values).toEqual(Array.from({ length: 30 }, (_, n) => totalOf(n)));
    for (let n = 0; n < 5; n++) {
      const detailed = await c.runDetailed(n + 20, { name: 'fib' });
      const voters = detailed.replicas.filter((r) => r.ok === true);
      expect(voters.length).toBeGreaterThanOrEqual(2);
      const hostsUsed = detailed.replicas.map((r) => hostOf(c, r.core));
      expect(new Set(hostsUsed).size).toBe(hostsUsed.length);
    }
    expect(c.hosts.map((h) => [h.id, h.state]).sort()).toEqual([
      ['h1', 'up'],
      ['h2', 'up'],
      ['h3', 'up'],
    ]);
    expect(c.hosts.every((h) => h.tasks > 0 && h.faults === 0)).toBe(true);
    expect(c.stats.faults).toBe(0);

    // A corrupted job (one character of its body changed on the way) is refused by the host, never run.
    const queue = new Queue('host.h1', { connection: { host: '127.0.0.1', port: redis.port }, prefix: p });
    // The events are read from the stream's start ('0'), not from BullMQ's default '$' (events after
    // its first XREAD): waitUntilReady() resolves before that XREAD is sent, and on a loaded machine
    // the host had failed the job before it, so the 'failed' event was never seen and the test hung.
    const events = new QueueEvents('host.h1', { connection: { host: '127.0.0.1', port: redis.port }, prefix: p, lastEventId: '0' });
    try {
      const body = JSON.stringify({ job: 'forged', core: 0, name: 'fib', input: Buffer.from([1]).toString('base64') });
      const failed = new Promise<string>((resolve) => events.on('failed', ({ jobId, failedReason }) => jobId === 'forged' && resolve(failedReason)));
      await queue.add('replica', { body: body.replace('fib', 'fia'), sha: createHash('sha256').update(body).digest('hex') }, { jobId: 'forged' });
      expect(await failed).toMatch(/failed its digest check/);
    } finally {
      await Promise.allSettled([queue.close(), events.close()]);
    }

    // A second coordinator on the same hosts (the first destroyed): a replica that hangs on one
    // host is a timeout fault, re-executed on another; the host is told to terminate it.
    await c.destroy();
    const hung = c.cores.find((core) => core.host === 'h2')!.id;
    const again = cluster(p, { taskTimeout: 1_000, faults: new FaultInjector({ seed: 3 }).hang({ core: hung, rate: 1 }) });
    await again.ready;
    await until(() => again.hosts.length === 3, 'three hosts');
    const slot = again.cores.find((core) => core.host === 'h2')!.id;
    expect(await Promise.all(Array.from({ length: 6 }, (_, n) => again.run(rows(n), { name: 'total' })))).toEqual(
      Array.from({ length: 6 }, (_, n) => totalOf(n)),
    );
    // TMR answered with the two other hosts; the hung replica times out after taskTimeout.
    await until(() => again.stats.timeouts >= 1, 'the hung replica timed out', 5_000);
    expect(slot).toBe(hung); // the registry lists hosts in the same order to both coordinators
    await again.destroy();
    // A third: h2 answers again (its hung worker thread was terminated on the coordinator's cancel).
    const third = cluster(p);
    await third.ready;
    await until(() => third.hosts.length === 3, 'three hosts');
    await Promise.all(Array.from({ length: 3 }, (_, n) => third.run(rows(n), { name: 'total' })));
    await until(() => third.cores.every((core) => !core.busy), 'every replica answered', 5_000);
    expect(third.hosts.find((h) => h.id === 'h2')!.tasks).toBeGreaterThan(0);
    expect(third.stats.timeouts + third.stats.faults).toBe(0);
  });

  it('kill -9 of a host mid-run loses no task: its replica in flight is re-executed on another host', async () => {
    const p = prefix();
    const started = await startHosts(p, ['k1', 'k2', 'k3', 'k4']);
    // DMR: both replicas are needed, so the victim's replica must be re-executed (TMR would answer without it).
    const c = cluster(p, { redundancy: 'dmr' });
    const events: HostEvent[] = [];
    c.on('host', (e) => events.push(e));
    await c.ready;
    await until(() => c.hosts.length === 4, 'four hosts');
    const runs = Array.from({ length: 24 }, (_, n) => c.run(rows(n), { name: 'total' }).then(() => c.run(150, { name: 'spin' })));
    const victim = started[0]!;
    await until(() => c.cores.some((core) => core.host === victim.id && core.busy), `a replica in flight on ${victim.id}`);
    victim.proc.kill('SIGKILL');
    const settled = await Promise.allSettled(runs);
    expect(settled.map((s) => s.status)).toEqual(runs.map(() => 'fulfilled'));
    expect(settled.every((s) => s.status === 'fulfilled' && s.value === 150)).toBe(true);
    expect(events).toContainEqual(expect.objectContaining({ host: victim.id, from: 'up', to: 'dead' }));
    expect(c.hosts.find((h) => h.id === victim.id)!.state).toBe('dead');
    expect(c.stats.crashes).toBeGreaterThanOrEqual(1);
    // The survivors keep serving.
    expect(await c.run(rows(7), { name: 'total' })).toBe(totalOf(7));
  });

  it('tasks already accepted when a host dies wait for another host (waitForHosts), as a new run() does', async () => {
    const p = prefix();
    const [victim] = await startHosts(p, ['w1', 'w2']);
    // DMR on exactly 2 hosts: once one dies no task can be served (or re-executed) until a host joins.
    const c = cluster(p, { redundancy: 'dmr', waitForHosts: 30_000 });
    await c.ready;
    await until(() => c.hosts.length === 2, 'two hosts');
    const runs = Array.from({ length: 4 }, () => c.run(300, { name: 'spin' }));
    await until(() => c.cores.some((core) => core.host === victim!.id && core.busy), `a replica in flight on ${victim!.id}`);
    victim!.proc.kill('SIGKILL');
    await until(() => c.hosts.find((h) => h.id === victim!.id)!.state === 'dead', `${victim!.id} dead`, 10_000);
    const late = c.run(rows(4), { name: 'total' });
    await startHosts(p, ['w3']);
    const settled = await Promise.allSettled([...runs, late]);
    expect(settled).toEqual([...runs.map(() => ({ status: 'fulfilled', value: 300 })), { status: 'fulfilled', value: totalOf(4) }]);
  });

  it('while the cluster waits for hosts, a run() is checked at once: abort, an aborted signal, a bad option or input', async () => {
    const c = cluster(prefix(), { waitForHosts: Number.POSITIVE_INFINITY }); // no host ever joins
    const controller = new AbortController();
    const aborted = c.run(5, { name: 'fib', signal: controller.signal });
    const detailed = c.runDetailed(5, { name: 'fib', signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await expect(detailed).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await expect(c.run(5, { name: 'fib', signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await expect(c.run(5, { nmae: 'fib' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('"nmae"') });
    await expect(c.run(() => 1, { name: 'fib' })).rejects.toMatchObject({ code: 'ERR_NOT_CLONEABLE' });
    expect(c.stats.aborted).toBe(2);
  });

  it('SIGTERM of a host mid-replica: it heart-beats until the replica is done, its result counts, nobody is charged', async () => {
    const p = prefix();
    const started = await startHosts(p, ['g1', 'g2', 'g3']);
    const c = cluster(p, { redundancy: 'dmr', determinism: false }); // spin reads the real clock
    const events: HostEvent[] = [];
    c.on('host', (e) => events.push(e));
    await c.ready;
    await until(() => c.hosts.length === 3, 'three hosts');
    // The replica outlasts the heartbeat's TTL (1.5 s): a host that stopped heart-beating first was lost as dead.
    const run = c.runDetailed(2_500, { name: 'spin' });
    await until(() => c.cores.some((core) => core.busy), 'a replica in flight');
    const victim = started.find((h) => c.cores.some((core) => core.host === h.id && core.busy))!;
    victim.proc.kill('SIGTERM');
    const r = await run;
    expect(r.value).toBe(2_500);
    expect(r.replicas.map((x) => x.status)).toEqual(['value', 'value']);
    expect(r.replicas.some((x) => hostOf(c, x.core) === victim.id)).toBe(true);
    expect((await exited(victim)).code).toBe(0);
    await until(() => c.hosts.find((h) => h.id === victim.id)!.state === 'left', `${victim.id} left`, 10_000);
    expect(events.filter((e) => e.host === victim.id && e.from === 'up')).toEqual([expect.objectContaining({ to: 'left' })]);
    expect(c.stats.crashes + c.stats.faults).toBe(0);
    expect(c.cores.every((core) => core.faults === 0)).toBe(true);
  });

  it('a stepped task across hosts: voted checkpoints, outputs once and in order, resumed elsewhere when a host is killed', async () => {
    const p = prefix();
    const started = await startHosts(p, ['c1', 'c2', 'c3', 'c4']);
    const c = cluster(p, { redundancy: 'dmr' }); // both replicas needed: the killed host's segment must move
    await c.ready;
    await until(() => c.hosts.length === 4, 'four hosts');
    const outputs: unknown[] = [];
    const checkpoints: number[] = [];
    c.on('checkpoint', (e) => checkpoints.push(e.step));
    const run = c.runDetailed<number>({ steps: 40, spin: 20 }, { name: 'counter', checkpoint: { steps: 5 }, onOutput: (x) => outputs.push(x) });
    await until(() => checkpoints.length >= 2, 'two checkpoints');
    const victim = started.find((h) => c.cores.some((core) => core.host === h.id && core.busy))!;
    victim.proc.kill('SIGKILL');
    const r = await run;
    expect(r.value).toBe((40 * 41) / 2);
    expect(outputs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(r.stepped!.checkpoints).toBe(8);
    // The killed host's segment was re-run from the last checkpoint on another host, not from step 0.
    const resumed = r.stepped!.segments.filter((s) => s.replicas.some((x) => x.status === 'crash'));
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    for (const s of resumed) expect(s.replicas.filter((x) => x.ok === true).every((x) => x.from === s.from && hostOf(c, x.core) !== victim.id)).toBe(true);
    expect(c.stats.crashes).toBeGreaterThanOrEqual(1);
    // A plain run() of the stepped export: taken over after its first step, the same value.
    expect(await c.run({ steps: 6 }, { name: 'counter' })).toBe(21);
  });

  it('a mercurial host (wrong values from its task module) is disabled and the work continues on the others', async () => {
    const p = prefix();
    await startHosts(p, ['m1', 'm2', 'm3', 'bad'], { bad: { TRIPLEX_TEST_MERCURIAL: '1' } });
    const c = cluster(p);
    await c.ready;
    await until(() => c.hosts.length === 4, 'four hosts');
    const deadline = Date.now() + 20_000;
    let n = 0;
    while (c.hosts.find((h) => h.id === 'bad')!.state !== 'disabled' && Date.now() < deadline) {
      const batch = Array.from({ length: 8 }, () => n++);
      expect(await Promise.all(batch.map((i) => c.run(rows(i), { name: 'total' })))).toEqual(batch.map(totalOf));
    }
    const bad = c.hosts.find((h) => h.id === 'bad')!;
    expect(bad.state).toBe('disabled');
    expect(bad.faults).toBeGreaterThan(0);
    expect(c.hosts.filter((h) => h.id !== 'bad').every((h) => h.state === 'up' && h.faults === 0)).toBe(true);
    const before = bad.tasks;
    const after = await Promise.all(Array.from({ length: 12 }, (_, i) => c.run(rows(i), { name: 'total' })));
    expect(after).toEqual(Array.from({ length: 12 }, (_, i) => totalOf(i)));
    expect(c.hosts.find((h) => h.id === 'bad')!.tasks).toBe(before);
  });

  it('a stalled host (SIGSTOP) is lost by heartbeat, its replicas are retried elsewhere, and it rejoins after SIGCONT', async () => {
    const p = prefix();
    const started = await startHosts(p, ['s1', 's2', 's3', 's4']);
    const c = cluster(p, { redundancy: 'dmr' }); // both replicas needed: the stalled one must be retried
    const events: HostEvent[] = [];
    c.on('host', (e) => events.push(e));
    await c.ready;
    await until(() => c.hosts.length === 4, 'four hosts');
    const runs = Array.from({ length: 16 }, () => c.run(120, { name: 'spin' }));
    const victim = started[1]!;
    await until(() => c.cores.some((core) => core.host === victim.id && core.busy), `a replica in flight on ${victim.id}`);
    victim.proc.kill('SIGSTOP');
    const t0 = Date.now();
    expect(await Promise.all(runs)).toEqual(runs.map(() => 120));
    expect(events).toContainEqual(expect.objectContaining({ host: victim.id, to: 'dead' }));
    expect(c.stats.crashes).toBeGreaterThanOrEqual(1);
    expect(Date.now() - t0).toBeLessThan(15_000); // heartbeatTimeout (1.5 s), not BullMQ's 30 s stalled check
    victim.proc.kill('SIGCONT');
    await until(() => c.hosts.find((h) => h.id === victim.id)!.state === 'up', `${victim.id} back up`, 10_000);
    expect(events).toContainEqual(expect.objectContaining({ host: victim.id, from: 'dead', to: 'up' }));
    expect(await c.run(rows(3), { name: 'total' })).toBe(totalOf(3));
  });

  it('Redis restarted empty with no taskTimeout: the replicas whose jobs it lost are re-run, nobody charged', async () => {
    // Only a timeout used to notice the lost jobs: with taskTimeout Infinity the tasks waited forever.
    const own = await startRedis(binary!);
    const stopOwn = { stop: () => own.stop() };
    try {
      const p = prefix();
      await startHosts(p, ['e1', 'e2', 'e3'], {}, own.port);
      const c = cluster(p, { taskTimeout: Number.POSITIVE_INFINITY, waitForHosts: 8_000 }, own.port);
      await c.ready;
      await until(() => c.hosts.length === 3, 'three hosts');
      const runs = Array.from({ length: 6 }, (_, n) => c.run(300, { name: 'spin' }).then(() => c.run(rows(n), { name: 'total' })));
      await until(() => c.cores.some((core) => core.busy), 'replicas in flight');
      await own.stop();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      stopOwn.stop = (await startRedis(binary!, own.port)).stop;
      expect(await Promise.all(runs)).toEqual(Array.from({ length: 6 }, (_, n) => totalOf(n)));
      expect(c.stats.faults).toBe(0);
      expect(c.stats.lost).toBeGreaterThan(0);
    } finally {
      await stopOwn.stop();
    }
  });

  it('Redis lost mid-run: nobody is charged, every task settles once it is back; away past waitForHosts, ERR_REDIS_UNREACHABLE', async () => {
    const own = await startRedis(binary!); // this test kills its Redis: not the shared one
    const stopOwn = { stop: () => own.stop() };
    try {
      const p = prefix();
      await startHosts(p, ['r1', 'r2', 'r3'], {}, own.port);
      const c = cluster(p, { taskTimeout: 1_000, waitForHosts: 8_000 }, own.port);
      await c.ready;
      await until(() => c.hosts.length === 3, 'three hosts');
      expect(await c.run(rows(1), { name: 'total' })).toBe(totalOf(1));
      // Replicas in flight when Redis dies (restarted empty 2 s later: their jobs are gone).
      const runs = Array.from({ length: 6 }, (_, n) => c.run(300, { name: 'spin' }).then(() => c.run(rows(n), { name: 'total' })));
      await until(() => c.cores.some((core) => core.busy), 'replicas in flight');
      await own.stop();
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // past taskTimeout and heartbeatTimeout
      stopOwn.stop = (await startRedis(binary!, own.port)).stop;
      expect(await Promise.all(runs)).toEqual(Array.from({ length: 6 }, (_, n) => totalOf(n)));
      // Timeouts and host losses while Redis was away are no evidence: re-run, never charged.
      expect(c.stats.faults).toBe(0);
      expect(c.stats.lost).toBeGreaterThan(0);
      expect(c.cores.every((core) => core.faults === 0 && core.state !== 'disabled')).toBe(true);
      await until(() => c.hosts.every((h) => h.state === 'up'), 'the hosts back up', 10_000);

      // Away for good: a task in flight gives up after waitForHosts with a typed error, and so does run().
      const t0 = Date.now();
      const pending = c.run(300, { name: 'spin' });
      await until(() => c.cores.some((core) => core.busy), 'a replica in flight');
      await stopOwn.stop();
      await expect(pending).rejects.toMatchObject({
        code: 'ERR_REDIS_UNREACHABLE',
        message: expect.stringMatching(/has not answered for \d+ ms \(waitForHosts 8000 ms\)/),
      });
      expect(Date.now() - t0).toBeLessThan(20_000);
      await expect(c.run(rows(2), { name: 'total' })).rejects.toMatchObject({ code: 'ERR_REDIS_UNREACHABLE' });
      expect(c.stats.faults).toBe(0);
    } finally {
      await stopOwn.stop();
    }
  });

  it('bad input: unreachable Redis, another task module, a host id used twice: typed errors', async () => {
    const closed = await freePort();
    const p = prefix();
    // The processes that must fail run side by side with the ones that must start (a slow machine).
    const lost = spawnHost({ port: closed, prefix: prefix(), id: 'lost' });
    hosts.push(lost);
    const [lostExit] = await Promise.all([exited(lost), startHosts(p, ['d1'])]);
    expect(lostExit.code).toBe(1);
    expect(lostExit.stderr).toMatch(/ERR_REDIS_UNREACHABLE/);

    const nowhere = new TriplexCluster({ connection: { host: '127.0.0.1', port: closed }, filename: CLUSTER_TASKS, connectTimeout: 2_000 });
    clusters.push(nowhere);
    await expect(nowhere.ready).rejects.toMatchObject({ code: 'ERR_REDIS_UNREACHABLE', message: expect.stringContaining(`127.0.0.1:${closed}`) });
    await expect(nowhere.run(1, { name: 'fib' })).rejects.toMatchObject({ code: 'ERR_REDIS_UNREACHABLE' });

    const c = cluster(p, { redundancy: 'dmr', waitForHosts: 500 });
    const events: HostEvent[] = [];
    c.on('host', (e) => events.push(e));
    const other = spawnHost({ port: redis.port, prefix: p, id: 'other', filename: CLUSTER_TASKS.replace('cluster-tasks.mjs', 'tasks.mjs') });
    const twin = spawnHost({ port: redis.port, prefix: p, id: 'd1' });
    hosts.push(other, twin);
    const [otherExit, twinExit] = await Promise.all([exited(other), exited(twin)]);
    expect(otherExit.code).toBe(1);
    expect(otherExit.stderr).toMatch(/ERR_MODULE_MISMATCH/);
    expect(events).toContainEqual(expect.objectContaining({ host: 'other', to: 'rejected', error: expect.objectContaining({ code: 'ERR_MODULE_MISMATCH' }) }));
    expect(c.hosts.find((h) => h.id === 'other')).toMatchObject({ state: 'rejected', error: { code: 'ERR_MODULE_MISMATCH' } });
    expect(twinExit.code).toBe(1);
    expect(twinExit.stderr).toMatch(/ERR_HOST_ID_TAKEN.*"d1"/);
    // One host cannot give DMR two domains: run() waits waitForHosts, then the pool answers.
    await expect(c.run(5, { name: 'fib' })).rejects.toMatchObject({ code: 'ERR_NOT_ENOUGH_CORES' });
  });

  it('a host heart-beating too seldom for the coordinator is rejected, typed, instead of flapping and being charged', async () => {
    const p = prefix();
    await startHosts(p, ['f1', 'f2']);
    const c = cluster(p, { redundancy: 'dmr' }); // heartbeatTimeout 1500 ms, a look every 100 ms
    const events: HostEvent[] = [];
    c.on('host', (e) => events.push(e));
    await c.ready;
    const slow = spawnHost({ port: redis.port, prefix: p, id: 'seldom', heartbeat: [2_000, 10_000] });
    hosts.push(slow);
    const exit = await exited(slow);
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/ERR_INVALID_OPTION.*"heartbeatInterval".*below 1400 ms.*received 2000/);
    expect(events).toContainEqual(
      expect.objectContaining({ host: 'seldom', from: 'new', to: 'rejected', error: expect.objectContaining({ code: 'ERR_INVALID_OPTION' }) }),
    );
    expect(c.hosts.find((h) => h.id === 'seldom')).toMatchObject({ state: 'rejected', cores: [] });
    expect(await c.run(rows(1), { name: 'total' })).toBe(totalOf(1));
    expect(c.stats.faults).toBe(0);
  });

  it('rejects invalid options with TypeError/RangeError naming the option', () => {
    const base = { connection: { host: '127.0.0.1', port: redis.port }, filename: CLUSTER_TASKS };
    expect(() => new TriplexCluster({ ...base, cores: 4 } as never)).toThrow(RangeError);
    expect(() => new TriplexCluster({ ...base, cores: 4 } as never)).toThrow(/Option "cores" must be a TriplexCluster option/);
    expect(() => new TriplexCluster({ ...base, heartbeatInterval: 500, heartbeatTimeout: 400 })).toThrow(
      /Option "heartbeatTimeout" must be more than heartbeatInterval/,
    );
    expect(() => new TriplexCluster({ ...base, connection: 42 as never })).toThrow(TypeError);
    expect(() => new TriplexCluster({ ...base, connection: 'http://x' })).toThrow(/redis:\/\//);
    expect(() => new TriplexCluster({ ...base, filename: '/nonexistent/tasks.mjs' })).toThrow(/Option "filename" must be a readable task module file/);
    expect(() => new TriplexCluster({ ...base, prefix: 'a:b' })).toThrow(/Option "prefix"/);
  });
});
