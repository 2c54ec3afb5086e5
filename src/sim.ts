/**
 * `triplex/sim`: the discrete-event simulator as a library. It drives the same binding policies,
 * health machine and voter as the pool, on virtual time, for fleets of 2 to 1,024 cores.
 *
 *   import { loadScenario, runScenario, formatTable } from 'triplex/sim';
 *   const result = runScenario(loadScenario('bench/scenarios/static-vs-dynamic-16.json'));
 *
 * The `triplex sim <scenario.json>` CLI is a thin wrapper over this entry.
 */
export * from './sim/index.js';
