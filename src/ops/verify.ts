/**
 * State scan: each core's intended state (the pool's records) against its actual state (asked
 * from inside its worker thread: sched_getcpu, sched_getaffinity, thread id). A worker re-pinned
 * by a task, a disabled core whose thread still runs, or a scheduler view that disagrees with the
 * health model all show up as drift.
 */
import type { OpsCore as Core, OpsHost, OpsProbeReply as ProbeReply } from './host.js';
import type { ActualCoreState, CoreCheck, IntendedCoreState, VerifyReport } from './types.js';

function list(cpus: readonly number[]): string {
  return `[${cpus.join(', ')}]`;
}

function sameSet<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** The probe's answer, or undefined when there is no worker, it died, or it stayed busy past `timeout`. */
async function ask(core: Core, timeout: number): Promise<ProbeReply | undefined> {
  const probe = core.probe();
  if (probe === undefined) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeout);
    timer.unref();
  });
  try {
    return await Promise.race([probe.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

function intendedOf(host: OpsHost, core: Core, wantPinned: boolean): IntendedCoreState {
  const record = host.record(core.id);
  const enabled = core.enabled; // read from the health model: the scheduler serves exactly these
  let worker: boolean | null;
  if (enabled) worker = true;
  else if (record.state === 'offline' || core.busy)
    worker = null; // offline keeps its worker; a disabled one finishes its replica first
  else if (record.state === 'disabled' && host.options.health.selfTest !== false)
    worker = null; // may be running known-answer tests
  else worker = false;
  return { cpu: core.cpu, pinned: wantPinned, state: host.state(core.id), enabled, worker, excludedKinds: [...record.excludedKinds].sort() };
}

function driftOf(intended: IntendedCoreState, actual: ActualCoreState, processMask: number[] | null, timeout: number): string[] {
  // Whether the scheduler serves a core is read from the health model itself: only the
  // operating system's side (worker threads, affinity) can drift from it.
  const drift: string[] = [];
  if (intended.worker === true && !actual.worker) drift.push('worker: the core is enabled but no worker thread runs');
  if (intended.worker === false && actual.worker) drift.push(`worker: the core is ${intended.state} but its worker thread still runs`);
  if (actual.worker && !actual.answered && !actual.busy) drift.push(`worker: the idle worker did not answer a probe within ${timeout} ms`);
  if (!actual.answered) return drift;
  if (intended.pinned) {
    if (actual.affinity !== null && !(actual.affinity.length === 1 && actual.affinity[0] === intended.cpu)) {
      drift.push(`affinity: the worker thread may run on CPUs ${list(actual.affinity)}, intended CPU ${intended.cpu} only`);
    }
    if (actual.cpu >= 0 && actual.cpu !== intended.cpu) drift.push(`cpu: the worker thread runs on CPU ${actual.cpu}, intended CPU ${intended.cpu}`);
  } else if (actual.affinity !== null && processMask !== null && !sameSet(actual.affinity, processMask)) {
    drift.push(
      `affinity: the worker thread is restricted to CPUs ${list(actual.affinity)} though it is meant to be unpinned (process mask ${list(processMask)})`,
    );
  }
  return drift;
}

/** Probes every core (in parallel) and compares. Waits for the pool to be ready first. */
export async function verifyCores(host: OpsHost, timeout: number): Promise<VerifyReport> {
  await host.ready;
  const { processMask, available } = host.pinning();
  const wantPinned = host.options.pin !== 'off' && available;
  const cores: CoreCheck[] = await Promise.all(
    host.cores.map(async (core) => {
      const busyBefore = core.busy;
      const reply = await ask(core, timeout);
      // Intended state is read after the probe so a state change during the probe is seen.
      const intended = intendedOf(host, core, wantPinned);
      const actual: ActualCoreState = {
        worker: core.started,
        answered: reply !== undefined,
        busy: busyBefore || core.busy,
        threadId: reply?.threadId ?? null,
        cpu: reply?.cpu ?? -1,
        affinity: reply?.affinity ?? null,
        enabled: core.enabled,
        excludedKinds: [...core.excludedKinds].sort(),
      };
      return { id: core.id, intended, actual, drift: driftOf(intended, actual, processMask, timeout) };
    }),
  );
  return { ok: cores.every((c) => c.drift.length === 0), at: new Date().toISOString(), cores };
}
