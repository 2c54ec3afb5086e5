/**
 * The event loop: virtual time from a binary heap (CPU finishes, arrivals, self-test polls)
 * and a FIFO (replica timeouts). The clock fed to CoreHealth only moves here. Per-core state
 * lives in typed arrays so that the hot loop allocates nothing of its own.
 */
import type { BindingPolicy } from '../binding/types.js';
import type { CoreHealth } from '../health/core-health.js';
import type { ManualClock } from '../util/clock.js';
import { SeededRandom } from '../util/random.js';
import { majorityOf, type Ballot } from '../replication/voter.js';
import { OK_KEY } from './bridge.js';
import type { SimConfig } from './config.js';
import { CpuModel, EV_CPU, MAIN_DONE } from './cpu.js';
import { exponential, Normal, ServiceSampler } from './dist.js';
import { COMMON, CRASH, type FaultModel, HANG, OK, WRONG } from './faults.js';
import { Glue } from './glue.js';
import { GroupTracker } from './groups.js';
import { SelfTests } from './probes.js';
import type { Metrics } from './metrics.js';
import { EventHeap, PairFifo, TimeoutFifo } from './queue.js';
import { S_CRASH, S_TIMEOUT, S_VALUE, type SimCore, type SimTask } from './task.js';

const EV_ARRIVAL = 2;
const EV_POLL = 3;
const EV_SUBMIT = 4;
const EV_START = 5;
const IDLE = 0;
const RUN = 1;
const HUNG = 2;
const PROBE = 3;
const SENT = 4;
const REPLIED = 5;

const OK_BALLOT: Ballot = Object.freeze({ key: OK_KEY });
const COMMON_BALLOT: Ballot = Object.freeze({ key: 'common-mode-wrong' });
const NO_BALLOT: Ballot = Object.freeze({ key: undefined });

export class Engine extends Glue {
  private readonly heap = new EventHeap();
  private readonly fifo = new TimeoutFifo();
  private readonly cpu: CpuModel;
  private readonly slow: Float64Array;
  private readonly running: (SimTask | undefined)[];
  private readonly out: Int8Array;
  private readonly kind: Uint8Array;
  private readonly startAt: Float64Array;
  private readonly doneAt: Float64Array;
  private readonly serial: Int32Array;
  private readonly debt: Float64Array;
  private readonly selfTests: SelfTests | undefined;
  private readonly wrong: Ballot[];
  /** Static binding: which groups are wholly idle. */
  private readonly groups: GroupTracker | undefined;
  /** Dynamic binding: idle cores needed before a new task is placed (k when batching). */
  readonly batch: boolean;
  private readonly queue = new PairFifo();
  /** Replies waiting for the main thread: core and status. */
  private readonly replies = new PairFifo();
  private mainBusy = false;
  private nextId = 0;
  /** Closed-loop clients waiting out a backoff after a failed task. */
  private backingOff = 0;
  private readonly service: ServiceSampler;
  private readonly arrivals: SeededRandom;
  private readonly fraction: SeededRandom;
  private readonly kinds: SeededRandom;
  private readonly flakyShare: number;
  /** Per-replica noise: sigma of the log of a mean-1 lognormal factor, and its normal source. */
  private readonly jitter: number;
  private readonly noise: Normal;
  lastSettle = 0;
  events = 0;

  constructor(
    readonly cfg: SimConfig,
    cores: SimCore[],
    policy: BindingPolicy,
    health: CoreHealth,
    clock: ManualClock,
    faults: FaultModel,
    metrics: Metrics,
    k: number,
    random: SeededRandom,
  ) {
    super(cores, policy, health, clock, faults, metrics, k, majorityOf(k), cfg.maxAttempts, cfg.tasks.count);
    const n = cfg.cores;
    const cpuOf = Int32Array.from(cores, (c) => c.cpu);
    this.cpu = new CpuModel(cpuOf, cfg.cpus, this.heap);
    this.slow = new Float64Array(n).fill(1);
    const normal = new Normal(random.fork());
    if (cfg.speed.sigma > 0) for (let i = 0; i < n; i++) this.slow[i] = Math.exp(cfg.speed.sigma * normal.next());
    for (const { core, factor } of cfg.speed.slow) this.slow[core] = factor;
    this.running = new Array<SimTask | undefined>(n).fill(undefined);
    this.out = new Int8Array(n);
    this.kind = new Uint8Array(n);
    this.startAt = new Float64Array(n);
    this.doneAt = new Float64Array(n);
    this.serial = new Int32Array(n);
    this.debt = new Float64Array(n);
    const st = cfg.health.selfTest;
    this.selfTests =
      st === false
        ? undefined
        : new SelfTests(st, cores, health, faults, this.stats, {
            now: () => this.now,
            poll: (at) => this.heap.push(at, EV_POLL, 0, 0),
            start: (id, ms) => this.startProbe(id, ms),
            apply: (fx) => this.apply(fx),
          });
    this.wrong = cores.map((c) => Object.freeze({ key: `wrong-on-core-${c.id}` }));
    this.groups = this.dynamic ? undefined : new GroupTracker(cores, policy);
    // Waiting for k idle cores wastes about (k-1)/(2n) of the core time in a saturated pool:
    // negligible from a few hundred cores, where it saves two O(n) place calls per task.
    this.batch = this.dynamic && (cfg.batch === 'auto' ? n >= 100 * (k - 1) : cfg.batch);
    this.service = new ServiceSampler(cfg.tasks.service, random.fork());
    this.arrivals = random.fork();
    this.fraction = random.fork();
    this.jitter = Math.sqrt(Math.log(1 + cfg.speed.jitter * cfg.speed.jitter));
    this.noise = new Normal(random.fork());
    // Own stream, not forked from `random`: scenarios without a flaky kind keep their results.
    this.kinds = new SeededRandom((cfg.seed ^ 0x6b1d_f1a3) >>> 0);
    this.flakyShare = cfg.faults.flaky.share;
    this.steppedTasks = cfg.stepped !== false;
    this.idleEnabled = n;
    this.capacity = policy.capacity(cores);
    metrics.capacity(0, this.capacity);
    this.capacityChanged();
    for (let i = 0; i < n; i++) metrics.enabled(i, 0, true);
  }

  run(): void {
    const count = this.cfg.tasks.count;
    const arrival = this.cfg.tasks.arrival;
    if (arrival.kind === 'closed') this.toSubmit = Math.min(arrival.concurrency, count);
    else this.heap.push(this.interarrival(), EV_ARRIVAL, 0, 0);
    const heap = this.heap;
    const fifo = this.fifo;
    for (;;) {
      this.drain();
      if (this.stats.settled >= count) break;
      const th = heap.peek();
      const tf = fifo.peek();
      if (th === Number.POSITIVE_INFINITY && tf === Number.POSITIVE_INFINITY) break; // stuck: reported as lost
      if (tf <= th) {
        const id = fifo.shift();
        const kind = this.kind[id];
        if (this.serial[id] !== fifo.lastSerial || (kind !== RUN && kind !== HUNG && kind !== SENT)) continue; // answered in time
        this.setNow(tf);
        this.timeout(id);
        continue;
      }
      heap.pop();
      this.setNow(heap.t);
      this.events++;
      if (heap.k === EV_CPU) {
        const id = this.cpu.finish(heap.x, heap.y, heap.t);
        if (id >= 0) this.cpuDone(id);
        else if (id === MAIN_DONE) this.mainDone();
      } else if (heap.k === EV_ARRIVAL) {
        this.submitOne();
        if (this.nextId < count) heap.push(this.now + this.interarrival(), EV_ARRIVAL, 0, 0);
      } else if (heap.k === EV_POLL) this.selfTests?.poll();
      else if (heap.k === EV_START) {
        if (this.serial[heap.x] === heap.y && this.kind[heap.x] === SENT) this.begin(heap.x);
      } else if (heap.k === EV_SUBMIT) {
        this.backingOff--;
        this.submitOne();
      }
    }
    this.metrics.close(this.lastSettle, (id) => this.cores[id]!.enabled);
  }

  /** Everything the result builder reads. */
  view() {
    return {
      cfg: this.cfg,
      stats: this.stats,
      metrics: this.metrics,
      faults: this.faults,
      cores: this.cores,
      k: this.k,
      end: this.lastSettle,
      suspicions: this.suspicions,
      events: this.events,
      initialCapacity: this.metrics.capV[0]!,
    };
  }

  private setNow(t: number): void {
    this.now = t;
    this.clock.set(t);
  }

  private interarrival(): number {
    const a = this.cfg.tasks.arrival;
    return a.kind === 'poisson' ? exponential(this.arrivals, 1000 / a.rate) : 0;
  }

  private drain(): void {
    do {
      while (this.toSubmit > 0) {
        this.toSubmit--;
        this.submitOne();
      }
      this.pump();
    } while (this.toSubmit > 0);
  }

  private submitOne(): void {
    const id = this.nextId++;
    if (this.admit(id)) this.queue.push(id, this.now);
  }

  protected queuedCount(): number {
    return this.queue.length;
  }

  protected takeQueued(): SimTask | undefined {
    if (this.queue.length === 0) return undefined;
    this.queue.shift();
    const flaky = this.flakyShare > 0 && this.kinds.next() < this.flakyShare ? 1 : 0;
    const task = this.newTask().reset(this.queue.id, this.queue.submitAt, this.service.next(), this.k, flaky);
    if (this.cfg.stepped !== false) this.segment(task, task.work);
    return task;
  }

  protected segment(task: SimTask, left: number): void {
    const stepped = this.cfg.stepped as { interval: number; cost: number };
    const work = Math.min(stepped.interval, left);
    task.work = work + stepped.cost;
    task.remaining = left - work;
  }

  protected newWorkFits(): boolean {
    if (this.capacity < this.k) return true; // the policy will say impossible: fail the task
    if (this.groups !== undefined) return this.groups.ready > 0;
    return this.newDirty && this.idleEnabled >= (this.batch ? Math.min(this.k, this.head?.wanted ?? this.k) : 1);
  }

  protected capacityChanged(): void {
    this.groups?.recount();
  }

  protected settledHook(failed: boolean): void {
    this.lastSettle = this.now;
    const a = this.cfg.tasks.arrival;
    if (a.kind !== 'closed' || this.nextId + this.toSubmit + this.backingOff >= this.cfg.tasks.count) return;
    if (failed && a.backoff > 0) {
      this.backingOff++;
      this.heap.push(this.now + a.backoff, EV_SUBMIT, 0, 0);
    } else this.toSubmit++;
  }

  protected dispatch(task: SimTask, id: number): void {
    const core = this.cores[id]!;
    core.busy = true;
    if (core.enabled) {
      this.idleEnabled--;
      this.groups?.busier(id);
    }
    task.used.push(id);
    core.replicas++;
    task.inFlight++;
    this.stats.replicas++;
    const serial = ++this.serial[id]!;
    this.running[id] = task;
    const out = this.faults.outcome(id, this.now, task.kind === 1);
    this.out[id] = out;
    this.startAt[id] = this.now;
    if (out === HANG) this.kind[id] = HUNG;
    else if (this.cfg.latency > 0) {
      // The request is on its way: the core is taken but its CPU is not used yet.
      this.kind[id] = SENT;
      this.heap.push(this.now + this.cfg.latency, EV_START, id, serial);
    } else this.begin(id);
    if (this.cfg.taskTimeout !== Number.POSITIVE_INFINITY) this.fifo.push(this.now + this.cfg.taskTimeout, id, serial);
  }

  /** The replica starts using its CPU (its time, like a worker's reply.ms, counts from here). */
  private begin(id: number): void {
    const task = this.running[id]!;
    this.kind[id] = RUN;
    this.startAt[id] = this.now;
    let work = task.work;
    if (this.out[id] === CRASH) work *= this.fraction.next(); // the worker dies part-way through
    work += this.cfg.overhead + this.debt[id]!;
    this.debt[id] = 0;
    const noise = this.jitter > 0 ? Math.exp(this.jitter * this.noise.next() - (this.jitter * this.jitter) / 2) : 1;
    this.cpu.start(id, this.now, work * this.slow[id]! * noise);
  }

  /** scheduler.release: the core is free again; new work may fit. */
  private release(id: number): void {
    const core = this.cores[id]!;
    core.busy = false;
    this.kind[id] = IDLE;
    if (!core.enabled) return;
    this.idleEnabled++;
    this.newDirty = true;
    this.groups?.idler(id);
  }

  private cpuDone(id: number): void {
    if (this.kind[id] === PROBE) {
      this.kind[id] = IDLE;
      this.selfTests!.probeDone(id);
      return;
    }
    const out = this.out[id]!;
    if (out === CRASH) {
      this.stats.crashes++;
      this.debt[id] = this.cfg.restartMs;
    }
    const status = out === CRASH ? S_CRASH : S_VALUE;
    this.doneAt[id] = this.now;
    if (this.cfg.mainOverhead <= 0) {
      this.replicaDone(id, status);
      return;
    }
    // The pool's main thread handles replies one at a time; the core is busy until its turn.
    this.kind[id] = REPLIED;
    this.replies.push(id, status);
    if (!this.mainBusy) {
      this.mainBusy = true;
      this.cpu.mainWork(this.now, this.cfg.mainOverhead);
    }
  }

  /** The main thread finished handling the oldest reply. */
  private mainDone(): void {
    this.replies.shift();
    if (this.replies.length > 0) this.cpu.mainWork(this.now, this.cfg.mainOverhead);
    else this.mainBusy = false;
    this.replicaDone(this.replies.id, this.replies.submitAt);
  }

  private timeout(id: number): void {
    if (this.kind[id] === RUN) this.cpu.stop(id, this.now);
    this.stats.timeouts++;
    this.debt[id] = this.cfg.restartMs; // the hung worker is terminated and restarted
    this.doneAt[id] = this.now;
    this.replicaDone(id, S_TIMEOUT);
  }

  private replicaDone(id: number, status: number): void {
    const task = this.running[id]!;
    this.running[id] = undefined;
    this.release(id);
    const out = this.out[id]!;
    const ballot = status !== S_VALUE ? NO_BALLOT : out === OK ? OK_BALLOT : out === WRONG ? this.wrong[id]! : out === COMMON ? COMMON_BALLOT : NO_BALLOT;
    // The replica's own time, as a worker reports it (reply.ms): CPU start to finish.
    this.finished(task, id, status, this.doneAt[id]! - this.startAt[id]!, ballot);
  }

  protected enabledChanged(id: number, on: boolean): void {
    this.selfTests?.enabledChanged(id, on);
    if (!on) this.groups?.idler(id);
  }

  /** Starts `ms` of known-answer work on a disabled core (it runs on the core's CPU). */
  private startProbe(id: number, ms: number): void {
    this.kind[id] = PROBE;
    this.cpu.start(id, this.now, (ms + this.debt[id]!) * this.slow[id]!);
    this.debt[id] = 0;
  }
}
