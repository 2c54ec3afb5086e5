/**
 * Maintenance faults: cores taken offline and brought back at a task count or a time. The
 * injector cannot reach the pool's cores, so the pool hands itself over on every submitted
 * task (only when an injector is set). Task-counted events need no state (task ids are
 * unique per pool); ms-scheduled ones start timers on the pool's first task.
 */
import type { FaultModelSpec } from './models.js';
import type { InjectionRecord } from './injector.js';

/** What the schedule needs of a pool (Triplex has it). */
export interface MaintenanceTarget {
  setOffline(coreId: number): void;
  setOnline(coreId: number): void;
  /** Timers are cleared when the pool is destroyed. */
  once?(event: 'destroy', listener: () => void): unknown;
}

interface Event {
  spec: FaultModelSpec;
  modelIndex: number;
}

export class MaintenanceSchedule {
  private readonly byTask = new Map<number, Event[]>();
  private readonly timed: Event[] = [];
  /** Pools whose ms-scheduled events are started: their start time and timers. */
  private readonly started = new WeakMap<MaintenanceTarget, { t0: number; timers: NodeJS.Timeout[] }>();

  constructor(private readonly record: (record: InjectionRecord) => void) {}

  add(spec: FaultModelSpec, modelIndex: number): void {
    const event = { spec, modelIndex };
    if (spec.unit === 'ms') {
      this.timed.push(event);
      return;
    }
    const at = spec.at!;
    const list = this.byTask.get(at);
    if (list === undefined) this.byTask.set(at, [event]);
    else list.push(event);
  }

  get empty(): boolean {
    return this.byTask.size === 0 && this.timed.length === 0;
  }

  beforeTask(taskId: number, pool: MaintenanceTarget): void {
    if (this.empty) return;
    if (!this.started.has(pool)) this.start(pool);
    const due = this.byTask.get(taskId);
    if (due === undefined) return;
    const t0 = this.started.get(pool)!.t0;
    for (const event of due) this.apply(pool, event, taskId, performance.now() - t0);
  }

  private start(pool: MaintenanceTarget): void {
    const t0 = performance.now();
    const timers = this.timed.map((event) => {
      const timer = setTimeout(() => this.apply(pool, event, -1, performance.now() - t0), event.spec.at);
      // A schedule must never keep a process alive on its own.
      timer.unref();
      return timer;
    });
    this.started.set(pool, { t0, timers });
    if (timers.length > 0) {
      pool.once?.('destroy', () => {
        for (const timer of timers) clearTimeout(timer);
      });
    }
  }

  private apply(pool: MaintenanceTarget, event: Event, taskId: number, atMs: number): void {
    const core = event.spec.core!;
    let applied = true;
    try {
      if (event.spec.model === 'offline') pool.setOffline(core);
      else pool.setOnline(core);
    } catch {
      // An unknown core is rejected by validateFor when the pool is built; anything else is logged, not thrown into submit().
      applied = false;
    }
    this.record({
      taskId,
      taskName: '',
      replica: -1,
      core,
      model: event.spec.model,
      modelIndex: event.modelIndex,
      target: 'core',
      applied,
      atMs: Math.round(atMs),
    });
  }
}
