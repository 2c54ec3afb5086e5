/**
 * Thread affinity through koffi (an optional dependency): sched_setaffinity(0, …) pins the
 * calling thread, so it must run synchronously inside the worker that is to be pinned.
 * Everything degrades to `null` / `false` where koffi or Linux is missing.
 */
import { createRequire } from 'node:module';
import os from 'node:os';

const MASK_BYTES = 128; // 1,024 CPUs, the kernel's default cpu_set_t size

interface Libc {
  setAffinity(pid: number, size: number, mask: Uint8Array): number;
  getAffinity(pid: number, size: number, mask: Uint8Array): number;
  getCpu(): number;
}

let libc: Libc | null | undefined;
let loadError: string | undefined;

function load(): Libc | null {
  if (libc !== undefined) return libc;
  if (process.platform !== 'linux') {
    loadError = `thread pinning needs Linux (this is ${process.platform})`;
    return (libc = null);
  }
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as typeof import('koffi');
    const lib = koffi.load('libc.so.6');
    libc = {
      setAffinity: lib.func('int sched_setaffinity(int pid, size_t size, const uint8_t *mask)') as Libc['setAffinity'],
      getAffinity: lib.func('int sched_getaffinity(int pid, size_t size, _Out_ uint8_t *mask)') as Libc['getAffinity'],
      getCpu: lib.func('int sched_getcpu(void)') as Libc['getCpu'],
    };
  } catch (error) {
    loadError = `koffi could not load libc: ${(error as Error).message}`;
    libc = null;
  }
  return libc;
}

/**
 * Makes this thread never load koffi (every call degrades as if koffi were missing). A worker
 * that starts while its pool closes calls this: it may be terminated at any moment, and a thread
 * terminated inside koffi's native initialisation aborts the whole process.
 */
export function disableAffinity(reason: string): void {
  if (libc !== undefined) return;
  loadError = reason;
  libc = null;
}

/** Loads koffi now (if available), so that later calls never load it lazily. */
export function preloadAffinity(): void {
  load();
}

/** Why pinning is unavailable, or undefined when it is available. */
export function pinningUnavailableReason(): string | undefined {
  return load() === null ? loadError : undefined;
}

/** CPUs in the calling thread's affinity mask (the process mask on the main thread), or null if unknown. */
export function affinityMask(): number[] | null {
  const lib = load();
  if (lib === null) return null;
  const mask = new Uint8Array(MASK_BYTES);
  if (lib.getAffinity(0, MASK_BYTES, mask) !== 0) return null;
  const cpus: number[] = [];
  for (let byte = 0; byte < MASK_BYTES; byte++) {
    const bits = mask[byte]!;
    if (bits === 0) continue;
    for (let bit = 0; bit < 8; bit++) if (bits & (1 << bit)) cpus.push(byte * 8 + bit);
  }
  return cpus;
}

/** The CPUs triplex may use: the affinity mask, else 0 … availableParallelism-1. */
export function availableCpus(): number[] {
  return affinityMask() ?? Array.from({ length: os.availableParallelism() }, (_, i) => i);
}

/** Pins the calling thread to one CPU. Returns an error message, or undefined on success. */
export function pinCurrentThread(cpu: number): string | undefined {
  const lib = load();
  if (lib === null) return loadError;
  const mask = new Uint8Array(MASK_BYTES);
  mask[cpu >> 3] = 1 << (cpu & 7);
  if (lib.setAffinity(0, MASK_BYTES, mask) !== 0) return `sched_setaffinity to CPU ${cpu} failed`;
  return undefined;
}

/** The CPU the calling thread runs on now (sched_getcpu), or -1 when unknown. */
export function currentCpu(): number {
  const lib = load();
  return lib === null ? -1 : lib.getCpu();
}
