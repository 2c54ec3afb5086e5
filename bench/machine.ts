/** What every benchmark prints first (the machine), and where raw results go. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { affinityMask, pinningUnavailableReason } from '../dist/index.js';
import { domainsOf, readTopology } from '../dist/cores/topology.js';

export interface MachineInfo {
  cpus: number;
  affinity: number[] | null;
  cpuModel: string;
  pinning: string;
  /** Fault domains of 'physical-core' (SMT siblings share one): the physical cores among `cpus`. */
  physicalCores: number;
  node: string;
  date: string;
  line: string;
}

export function machineInfo(): MachineInfo {
  const affinity = affinityMask();
  const cpus = affinity?.length ?? os.availableParallelism();
  const cpuModel = os.cpus()[0]?.model ?? 'unknown';
  const pinning = pinningUnavailableReason() ?? 'available (sched_setaffinity via koffi)';
  const physicalCores = new Set(domainsOf(readTopology(affinity ?? os.cpus().map((_, i) => i)), 'physical-core')?.values()).size;
  return {
    cpus,
    affinity,
    cpuModel,
    pinning,
    physicalCores,
    node: process.version,
    date: new Date().toISOString(),
    line: `machine: ${cpus} CPUs (${cpuModel}) on ${physicalCores} physical cores (fault domains), affinity [${affinity?.join(',') ?? '?'}], Node ${process.version}, pinning ${pinning}`,
  };
}

/**
 * The fastest of `rounds` timings of `run`, ms on the process CPU clock (every thread: call it while
 * no other thread of the process works), so other processes on a busy machine do not inflate it.
 * `run` is called once before, untimed, to warm up the JIT.
 */
export function fastestCpuMs(run: () => void, rounds: number): number {
  const cpuMs = (): number => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  };
  run();
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    const start = cpuMs();
    run();
    best = Math.min(best, cpuMs() - start);
  }
  return best;
}

/**
 * Fixed work per µs of CPU, so tasks are sized in work, not wall time: the fastest of 5 timed runs
 * on the process CPU clock (call it before any thread starts). A single run on the wall clock once
 * caught the VM at a slow moment, and the "10 µs" task then took 7.8 µs.
 */
export function calibrate(work: (n: number) => number): number {
  const n = 2_000_000;
  return n / (fastestCpuMs(() => work(n), 5) * 1000);
}

/** Writes bench/results/<name>-<cpus>cpu.json and returns its path. */
export function saveResults(name: string, data: { machine: MachineInfo } & Record<string, unknown>): string {
  const dir = new URL('../bench/results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}-${data.machine.cpus}cpu.json`, dir);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return fileURLToPath(file);
}
