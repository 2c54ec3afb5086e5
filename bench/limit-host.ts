/**
 * The process one contender of bench:limit runs in (isolated.ts starts it): it builds the pool,
 * then answers the parent's requests one at a time: warm up, measure a round, report CPU per task.
 */
import { Ceiling } from './ceiling.js';
import { CpuMeter, type CpuSplit } from './cpu-meter.js';
import { measureRound, warmFor, type Measurement, type RoundOptions, type Runner } from './harness.js';
import { naive, startPeer, type PeerName } from './peers.js';

export type ContenderSpec =
  | { kind: 'ceiling'; cpus: number[] }
  /** k = 1: the plain pool; else the naive "run it k times and deep-compare" on it. */
  | { kind: 'peer'; peer: PeerName; k: number; threads: number }
  /** `dist`: another build of triplex (the baseline of an A/B run). */
  | { kind: 'triplex'; dist?: string; options: Record<string, unknown> };

export type HostRequest =
  | { type: 'start'; spec: ContenderSpec }
  | { type: 'warm'; input: unknown; ms: number; window: number }
  | { type: 'round'; task: string; meter: string; input: unknown; options: RoundOptions }
  | { type: 'split'; meter: string; workUs: number }
  | { type: 'close' };

export type HostReply =
  | { type: 'ready'; pinError?: string }
  | { type: 'warmed' }
  | { type: 'measured'; measurement: Measurement }
  | { type: 'split'; split: CpuSplit }
  | { type: 'closed' }
  | { type: 'error'; message: string };

interface Contender {
  run(task: string, input: unknown): Promise<unknown>;
  runBatch?(task: string, input: unknown, batch: number): Promise<void>;
  destroy(): Promise<unknown>;
  pinError?: string;
}

async function build(spec: ContenderSpec): Promise<Contender> {
  if (spec.kind === 'ceiling') {
    const ceiling = await Ceiling.start(spec.cpus);
    return {
      run: async (task, input) => ceiling.runBatch(task, input, 1),
      runBatch: (task, input, batch) => ceiling.runBatch(task, input, batch),
      destroy: () => ceiling.destroy(),
      ...(ceiling.pinError === undefined ? {} : { pinError: ceiling.pinError }),
    };
  }
  if (spec.kind === 'peer') {
    const peer = startPeer(spec.peer, spec.threads);
    return { run: spec.k === 1 ? (task, input) => peer.run(task, input) : (task, input) => naive(peer, spec.k, task, input), destroy: () => peer.destroy() };
  }
  const { Triplex } = (await import(spec.dist ?? '../dist/index.js')) as typeof import('../dist/index.js');
  const pool = new Triplex(spec.options as ConstructorParameters<typeof Triplex>[0]);
  await pool.ready;
  return { run: (task, input) => pool.run(input, { name: task }), destroy: () => pool.destroy() };
}

let contender: Contender | undefined;
const meters = new Map<string, CpuMeter>();

async function handle(request: HostRequest): Promise<HostReply> {
  if (request.type === 'start') {
    contender = await build(request.spec);
    return { type: 'ready', ...(contender.pinError === undefined ? {} : { pinError: contender.pinError }) };
  }
  const pool = contender;
  if (pool === undefined) throw new Error(`${request.type} before start`);
  switch (request.type) {
    case 'warm':
      await warmFor((x) => pool.run('work', x), request.input, request.ms, request.window);
      return { type: 'warmed' };
    case 'round': {
      const meter = meters.get(request.meter) ?? new CpuMeter();
      meters.set(request.meter, meter);
      const runner: Runner = { name: request.task, k: 1, meter, run: (x) => pool.run(request.task, x) };
      if (pool.runBatch !== undefined) runner.runBatch = (x, batch) => pool.runBatch!(request.task, x, batch);
      return { type: 'measured', measurement: await measureRound(runner, request.input, request.options) };
    }
    case 'split':
      return { type: 'split', split: (meters.get(request.meter) ?? new CpuMeter()).split(request.workUs) };
    case 'close':
      await pool.destroy();
      return { type: 'closed' };
  }
}

// A host whose benchmark died must not live on with its pool's threads.
process.on('disconnect', () => process.exit(0));

process.on('message', (request: HostRequest) => {
  handle(request).then(
    (reply) => {
      process.send!(reply);
      if (reply.type === 'closed') process.disconnect();
    },
    (error: unknown) => process.send!({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
