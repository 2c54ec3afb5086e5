/**
 * Where a pool's CPU goes: process CPU time (every thread) and the main thread's share, over
 * the measured iterations only. Node 20 has no per-thread CPU clock: the main thread's share is
 * its on-CPU time from Linux's schedstat where readable, and its event loop's active time
 * (`performance.eventLoopUtilization`) besides, which also counts time the thread was runnable but
 * preempted (on a loaded machine it overstates). The workers' share is the rest. Garbage
 * collection on the main thread is summed from `gc` performance entries.
 */
import { readFileSync } from 'node:fs';
import { PerformanceObserver, performance, type EventLoopUtilization } from 'node:perf_hooks';

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;

/** The main thread's on-CPU time, ms; NaN where the kernel does not say. */
function mainThreadCpuMs(): number {
  try {
    return Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

export interface CpuSplit {
  tasks: number;
  /** µs per task. */
  process: number;
  /** Main thread: on-CPU time (schedstat), else event-loop active time. */
  main: number;
  mainElu: number;
  workers: number;
  mainGc: number;
}

export class CpuMeter {
  private tasks = 0;
  private processUs = 0;
  private mainMs = 0;
  private mainCpuMs = 0;
  private mainCpu0 = 0;
  private gc = 0;
  private running = false;
  private cpu0: NodeJS.CpuUsage = process.cpuUsage();
  private elu0: EventLoopUtilization = performance.eventLoopUtilization();
  private gc0 = 0;

  start(): void {
    this.running = true;
    this.gc0 = gcMs;
    this.elu0 = performance.eventLoopUtilization();
    this.mainCpu0 = mainThreadCpuMs();
    this.cpu0 = process.cpuUsage();
  }

  /** Tasks finished (counted only while measuring). */
  done(tasks: number): void {
    if (this.running) this.tasks += tasks;
  }

  stop(): void {
    const cpu = process.cpuUsage(this.cpu0);
    this.processUs += cpu.user + cpu.system;
    this.mainMs += performance.eventLoopUtilization(this.elu0).active;
    this.mainCpuMs += mainThreadCpuMs() - this.mainCpu0;
    this.gc += gcMs - this.gc0;
    this.running = false;
  }

  /** CPU per task; `workUs` of task work per task (k × t) is subtracted from the workers' share. */
  split(workUs: number): CpuSplit {
    const n = Math.max(1, this.tasks);
    const mainElu = (this.mainMs * 1000) / n;
    const main = Number.isNaN(this.mainCpuMs) ? mainElu : (this.mainCpuMs * 1000) / n;
    const process = this.processUs / n - workUs;
    return { tasks: this.tasks, process, main, mainElu, workers: process - main, mainGc: (this.gc * 1000) / n };
  }
}
