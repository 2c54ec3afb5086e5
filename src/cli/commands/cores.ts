/** `triplex cores`: what the machine offers and whether pinning really works, verified per core. */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseCommandArgs } from '../usage.js';
import { affinityMask, domainsOf, pinningUnavailableReason, readTopology, Triplex, type Topology } from '../../index.js';

/** What redundancy the topology can honestly give: replicas in distinct physical cores. */
export function honestRedundancy(topology: Topology): { physicalCores: number; cpus: number; verdict: string } {
  const physical = new Set(domainsOf(topology, 'physical-core')!.values()).size;
  const cpus = topology.cpus.length;
  let verdict: string;
  if (physical >= 3) verdict = `TMR and DMR with tie-breaks: ${physical} physical cores, every replica in its own`;
  else if (physical === 2) {
    verdict =
      'DMR only, and a disagreement is only detected (ERR_NO_MAJORITY): no third physical core for a tie-break; ' +
      "TMR needs faultDomain 'none' (replicas share a core)";
  } else verdict = "none: one physical core, every replica shares it (faultDomain 'none' only; no protection from a mercurial core)";
  return { physicalCores: physical, cpus, verdict };
}

const emptyTasks = fileURLToPath(new URL('../../health/kat-tasks.js', import.meta.url));

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('cores', {
    args: argv,
    options: { cores: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    console.log(
      'Usage: triplex cores [--cores N] [--json]\n\nPrints the CPU topology (fault domains) and the redundancy it can honestly give,\n' +
        'then starts N pinned cores (default: one per CPU), asks each for sched_getcpu and prints the result.',
    );
    return 0;
  }
  const mask = affinityMask();
  const reason = pinningUnavailableReason();
  const cpus = mask ?? Array.from({ length: os.availableParallelism() }, (_, i) => i);
  const count = values.cores === undefined ? Math.max(cpus.length, 2) : Number(values.cores);
  // The built-in known-answer tasks module doubles as a task module with no side effects.
  const topology = readTopology(cpus);
  const honest = honestRedundancy(topology);
  // Pinning is checked per core, not replicas: 'none' lets any number of cores start here.
  const pool = new Triplex({ filename: emptyTasks, cores: count, redundancy: 'dmr', pin: 'auto', faultDomain: 'none' });
  try {
    await pool.ready;
    const cores = pool.cores.map((c) => ({
      core: c.id,
      cpu: c.cpu,
      pinned: c.pinned,
      observedCpu: c.observedCpu,
      verified: c.pinned === true && c.observedCpu === c.cpu,
    }));
    const report = {
      platform: `${process.platform} ${os.release()}`,
      cpusOnline: os.cpus().length,
      availableParallelism: os.availableParallelism(),
      affinityMask: mask,
      pinning: reason ?? 'available (sched_setaffinity via koffi)',
      topology: { source: topology.source, cpus: topology.cpus, physicalCores: honest.physicalCores },
      redundancy: honest.verdict,
      cores,
    };
    if (values.json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      console.log(`platform:        ${report.platform}`);
      console.log(`CPUs online:     ${report.cpusOnline} (available parallelism ${report.availableParallelism})`);
      console.log(`affinity mask:   ${mask === null ? 'unknown' : `[${mask.join(', ')}]`}`);
      console.log(`pinning:         ${report.pinning}`);
      console.log(`topology:        ${topology.source === 'sysfs' ? 'from sysfs' : 'unknown (no sysfs): one domain per CPU assumed'}`);
      for (const c of topology.cpus) console.log(`  CPU ${c.cpu}: package ${c.pkg}, core ${c.core}, SMT siblings [${c.siblings.join(', ')}]`);
      console.log(`fault domains:   ${honest.physicalCores} physical core(s), ${honest.cpus} CPU(s)`);
      console.log(`redundancy:      ${honest.verdict}`);
      console.table(cores);
    }
    return cores.every((c) => c.verified) || reason !== undefined ? 0 : 1;
  } finally {
    await pool.destroy();
  }
}
