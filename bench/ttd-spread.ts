/**
 * Spread of the real pool's time to disable a stuck core, run after run (the sim-validate case
 * "tmr-dyn-6 stuck": TMR, dynamic binding, 6 cores on CPUs 0-1, maxBatch 1, warmed up, then core
 * 2 stuck, 24 lanes of ~1 ms tasks). A best-of-three comparison can only be as tight as this.
 *
 *   npm run build:bench && node dist-bench/ttd-spread.js [--runs 5]
 */
import { fileURLToPath } from 'node:url';
import { FaultInjector, Triplex } from '../dist/index.js';
import { arg } from './harness.js';
import { calibrate, machineInfo } from './machine.js';

const tasksFile = fileURLToPath(new URL('../bench/tasks.mjs', import.meta.url));
const { work } = (await import(tasksFile)) as { work: (n: number) => number };
const iterations = Math.round(1000 * calibrate(work));
const runs = arg('runs', 5);

console.log(machineInfo().line);
const times: number[] = [];
for (let run = 0; run < runs; run++) {
  const faults = new FaultInjector({ seed: run + 1 });
  const pool = new Triplex({ filename: tasksFile, redundancy: 'tmr', binding: 'dynamic', cores: 6, cpus: [0, 1], maxBatch: 1, faults, faultDomain: 'none' }); // 6 cores on 2 CPUs
  await pool.ready;
  await Promise.all(
    Array.from({ length: 12 }, async () => {
      for (let i = 0; i < 10; i++) await pool.run(iterations, { name: 'work' });
    }),
  );
  faults.stuck({ core: 2 });
  const start = performance.now();
  let ttd: number | undefined;
  pool.on('core-state', (e) => {
    if (e.to === 'disabled' && ttd === undefined) ttd = performance.now() - start;
  });
  let next = 0;
  await Promise.all(
    Array.from({ length: 24 }, async () => {
      while (next < 200) {
        next++;
        await pool.run(iterations, { name: 'work' });
      }
    }),
  );
  await pool.destroy();
  if (ttd !== undefined) times.push(ttd);
  console.log(`run ${run + 1}: core 2 disabled after ${ttd === undefined ? 'never' : `${ttd.toFixed(1)} ms`}`);
}
times.sort((a, b) => a - b);
if (times.length > 0) console.log(`min ${times[0]!.toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms over ${times.length} runs`);
