/** The discrete-event simulator: scenarios in, metrics out. */
import type { Scenario } from './config.js';
import { simulate } from './simulate.js';
import type { ScenarioResult, SimResult } from './result.js';

export type { Scenario, SimConfig, RunSpec, ServiceDist, LifetimeDist, Arrival, FaultsConfig, HealthConfig, FailureMode } from './config.js';
export type { SimResult, ScenarioResult } from './result.js';
export type { DisableRecord } from './metrics.js';
export { simulate } from './simulate.js';
export { parseScenario, loadScenario, resolveConfig, MAX_CORES } from './scenario.js';
export { formatTable, tableRows } from './table.js';
export { renderHtml } from './html.js';

/** Runs every variant at every sweep point, in file order. `onRun` reports progress. */
export function runScenario(scenario: Scenario, onRun?: (result: SimResult, index: number, total: number) => void): ScenarioResult {
  const results: SimResult[] = [];
  scenario.runs.forEach((run, i) => {
    const result = simulate(run.config, { variant: run.variant, point: run.point });
    results.push(result);
    onRun?.(result, i, scenario.runs.length);
  });
  return { name: scenario.name, description: scenario.description, sweep: scenario.sweep, variants: scenario.variants, results };
}
