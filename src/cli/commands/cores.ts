/** `triplex cores`: what the machine offers and whether pinning really works, verified per core. */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseCommandArgs } from '../usage.js';
import { affinityMask, pinningUnavailableReason } from '../../cores/affinity.js';
import { Triplex } from '../../pool/triplex.js';

const emptyTasks = fileURLToPath(new URL('../../health/kat-tasks.js', import.meta.url));

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('cores', {
    args: argv,
    options: { cores: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    console.log('Usage: triplex cores [--cores N] [--json]\n\nStarts N pinned cores (default: one per CPU), asks each for sched_getcpu and prints the result.');
    return 0;
  }
  const mask = affinityMask();
  const reason = pinningUnavailableReason();
  const cpus = mask ?? Array.from({ length: os.availableParallelism() }, (_, i) => i);
  const count = values.cores === undefined ? Math.max(cpus.length, 2) : Number(values.cores);
  // The built-in known-answer tasks module doubles as a task module with no side effects.
  const pool = new Triplex({ filename: emptyTasks, cores: count, redundancy: 'dmr', pin: 'auto' });
  try {
    await pool.ready;
    const cores = pool.cores.map((c) => ({ core: c.id, cpu: c.cpu, pinned: c.pinned, observedCpu: c.observedCpu, verified: c.pinned === true && c.observedCpu === c.cpu }));
    const report = {
      platform: `${process.platform} ${os.release()}`,
      cpusOnline: os.cpus().length,
      availableParallelism: os.availableParallelism(),
      affinityMask: mask,
      pinning: reason ?? 'available (sched_setaffinity via koffi)',
      cores,
    };
    if (values.json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      console.log(`platform:        ${report.platform}`);
      console.log(`CPUs online:     ${report.cpusOnline} (available parallelism ${report.availableParallelism})`);
      console.log(`affinity mask:   ${mask === null ? 'unknown' : `[${mask.join(', ')}]`}`);
      console.log(`pinning:         ${report.pinning}`);
      console.table(cores);
    }
    return cores.every((c) => c.verified) || reason !== undefined ? 0 : 1;
  } finally {
    await pool.destroy();
  }
}
