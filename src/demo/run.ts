/**
 * The demo: a real workload (SHA-256 chains feeding a float kernel) on 6 logical cores with a
 * stuck core, an intermittent core and 1 % transient upsets, run under DMR and TMR with static
 * and dynamic binding, plus one run with common-mode faults to show where voting stops helping.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { campaign, FaultInjector, formatSummary, progressBar, renderHtml, type BindingName, type CampaignResult, type Redundancy } from '../index.js';
import { invalidOption } from '../errors.js';
import type { BlockInput } from './tasks.js';

export interface DemoConfig {
  redundancy: Redundancy;
  binding: BindingName;
  /** Add common-mode faults (the same wrong value on two replicas) at this rate per task. */
  commonMode?: number;
}

export interface DemoOptions {
  /** Tasks per configuration. @default 7000 (about a minute for the five configurations on 2 CPUs) */
  tasks?: number;
  /** Logical cores. @default 6 */
  cores?: number;
  seed?: number;
  /** Work per task. @default { rounds: 400, steps: 6000 } */
  work?: { rounds: number; steps: number };
  configs?: DemoConfig[];
  /** Where to write the HTML report (false: nowhere). @default 'triplex-report.html' */
  html?: string | false;
  /** Where to write the JSON results (false: nowhere). @default false */
  json?: string | false;
  /** Progress bar on stderr when it is a TTY. @default true */
  progress?: boolean;
  /** Where lines of text go. @default console.log */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface DemoResult {
  results: CampaignResult[];
  table: string;
  htmlPath: string | undefined;
  elapsedMs: number;
}

export const DEFAULT_CONFIGS: readonly DemoConfig[] = Object.freeze([
  { redundancy: 'dmr', binding: 'static' },
  { redundancy: 'dmr', binding: 'dynamic' },
  { redundancy: 'tmr', binding: 'static' },
  { redundancy: 'tmr', binding: 'dynamic' },
  { redundancy: 'tmr', binding: 'dynamic', commonMode: 0.005 },
]);

/**
 * The demo runs 6 logical cores whatever the machine: on fewer than 6 physical cores their
 * replicas share CPUs, which is fine for showing voting and attribution but is not independent
 * hardware. It says so when it starts.
 */
export const DEMO_FAULT_DOMAIN = 'none' as const;

const TASKS_MODULE = fileURLToPath(new URL('./tasks.js', import.meta.url));
const STUCK = 1;
const INTERMITTENT = 4;

function injector(seed: number, tasks: number, commonMode: number | undefined): FaultInjector {
  // Two faulty phases per campaign, each a sixteenth of it long: the first one should get the core disabled.
  const period = Math.max(2, Math.floor(tasks / 2));
  const faults = new FaultInjector({ seed })
    .stuck({ core: STUCK })
    .intermittent({ core: INTERMITTENT, period, burst: Math.max(1, Math.floor(period / 8)), rate: 0.5 })
    .transient({ rate: 0.01 });
  return commonMode === undefined ? faults : faults.commonMode({ rate: commonMode });
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const tasks = options.tasks ?? 7000;
  if (typeof tasks !== 'number' || !Number.isInteger(tasks) || tasks < 1)
    throw invalidOption('tasks', 'an integer >= 1', tasks, typeof tasks === 'number' ? 'range' : 'type');
  const cores = options.cores ?? 6;
  if (typeof cores !== 'number' || !Number.isInteger(cores) || cores < 5)
    throw invalidOption('cores', 'an integer >= 5 (the demo injects faults into cores 1 and 4)', cores, typeof cores === 'number' ? 'range' : 'type');
  const seed = options.seed ?? 1;
  const work = options.work ?? { rounds: 400, steps: 6000 };
  const log = options.log ?? ((line: string) => console.log(line));
  const inputs: BlockInput[] = Array.from({ length: 256 }, (_, id) => ({ id, rounds: work.rounds, steps: work.steps }));
  const started = performance.now();
  const results: CampaignResult[] = [];
  for (const config of options.configs ?? DEFAULT_CONFIGS) {
    if (options.signal?.aborted) break;
    const label = `${config.redundancy.toUpperCase()} ${config.binding}${config.commonMode === undefined ? '' : ` + common-mode ${config.commonMode * 100}%`}`;
    const bar = options.progress === false ? undefined : progressBar(label.padEnd(30));
    const configStarted = performance.now();
    const faults = injector(seed, tasks, config.commonMode);
    try {
      const result = await campaign({
        label,
        // faultDomain 'none': 6 logical cores on a small machine share CPUs (see DEMO_FAULT_DOMAIN).
        pool: { filename: TASKS_MODULE, cores, redundancy: config.redundancy, binding: config.binding, faultDomain: DEMO_FAULT_DOMAIN },
        task: { name: 'block', inputs },
        tasks,
        faults,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(bar === undefined ? {} : { onProgress: bar.update }),
      });
      results.push(result);
    } finally {
      bar?.done();
    }
    const seconds = (since: number): string => ((performance.now() - since) / 1000).toFixed(1);
    log(`${label.padEnd(34)} done in ${seconds(configStarted)} s (${seconds(started)} s since the demo started)`);
  }
  const table = formatSummary(results);
  let htmlPath: string | undefined;
  if (options.html !== false && results.length > 0) {
    htmlPath = options.html ?? 'triplex-report.html';
    await writeFile(htmlPath, renderHtml(results, { title: 'triplex demo: fault injection on a pinned pool' }));
  }
  if (options.json !== undefined && options.json !== false) await writeFile(options.json, `${JSON.stringify(results, null, 2)}\n`);
  return { results, table, htmlPath, elapsedMs: performance.now() - started };
}
