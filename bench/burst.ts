/**
 * Attribution under a burst, on real pools: 4 cores, TMR, 400 tasks of a kind that diverges on
 * 5 % of its executions submitted at once (Promise.all). Counts the trials in which a healthy core
 * was disabled. Under such a backlog an out-voted replica is judged long after its core's later
 * replicas; the health model judges each core's replicas in the order they came back
 * (health/order.ts), so the burst of late verdicts is not read as a fault that just began.
 *
 *   npm run bench:burst -- [--trials 100] [--tasks 400] [--cores 4]
 */
import { fileURLToPath } from 'node:url';
import { Triplex } from '../dist/index.js';
import { arg } from './harness.js';
import { machineInfo, saveResults } from './machine.js';

const tasksFile = fileURLToPath(new URL('../bench/tasks.mjs', import.meta.url));
const machine = machineInfo();
const trials = arg('trials', 100);
const tasks = arg('tasks', 400);
const cores = arg('cores', 4);

console.log(machine.line);
console.log(`${cores} cores (faultDomain 'none': they share ${machine.cpus} CPUs), TMR, ${tasks} tasks of a 5 %-divergent kind at once, ${trials} trials`);
let disabledTrials = 0;
const reasons: string[] = [];
let outVoted = 0;
let replicas = 0;
for (let trial = 0; trial < trials; trial++) {
  const pool = new Triplex({ filename: tasksFile, cores, faultDomain: 'none' });
  pool.on('core-state', (e) => {
    if (e.to === 'disabled') reasons.push(`trial ${trial}: core ${e.core}: ${e.reason}`);
  });
  await Promise.allSettled(Array.from({ length: tasks }, (_, i) => pool.run(i, { name: 'flaky' })));
  await new Promise((resolve) => setTimeout(resolve, 100)); // late replicas
  if (pool.cores.some((c) => c.state === 'disabled')) disabledTrials++;
  outVoted += pool.stats.faults;
  replicas += pool.stats.replicas;
  await pool.destroy();
}
console.log(`trials with a healthy core disabled: ${disabledTrials} of ${trials}; out-voted replicas ${((100 * outVoted) / replicas).toFixed(1)} %`);
for (const reason of reasons) console.log(`  ${reason}`);
const file = saveResults('burst', { machine, cores, tasks, trials, disabledTrials, outVotedShare: outVoted / replicas, reasons });
console.log(`results: ${file}`);
