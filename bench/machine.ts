/** What every benchmark prints first: the machine it ran on. */
import os from 'node:os';
import { affinityMask, pinningUnavailableReason } from '../dist/index.js';

export interface MachineInfo {
  cpus: number;
  affinity: number[] | null;
  cpuModel: string;
  pinning: string;
  node: string;
  date: string;
}

export function machineInfo(): MachineInfo {
  const affinity = affinityMask();
  return {
    cpus: affinity?.length ?? os.availableParallelism(),
    affinity,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    pinning: pinningUnavailableReason() ?? 'available (sched_setaffinity via koffi)',
    node: process.version,
    date: new Date().toISOString(),
  };
}

/** Fixed work per µs of CPU, measured on this thread, so tasks are sized in work not wall time. */
export function calibrate(work: (n: number) => number): number {
  const n = 2_000_000;
  work(n); // warm up the JIT
  const start = performance.now();
  work(n);
  return n / ((performance.now() - start) * 1000);
}
