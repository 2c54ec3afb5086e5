/** Resolution of the `health` option: decay, self-tests, salvage, blame concentration, restore. */
import { invalidOption } from '../errors.js';
import { DEFAULT_HEALTH, DEFAULT_SELF_TESTS } from '../health/defaults.js';
import type { HealthSnapshot, ResolvedHealthOptions, ResolvedSelfTestOptions } from '../health/types.js';
import { isObject, numberOption } from './options.js';

function resolveSelfTest(value: unknown): false | ResolvedSelfTestOptions {
  if (value === undefined || value === false) return false;
  const given = value === true ? {} : value;
  if (!isObject(given)) throw invalidOption('health.selfTest', 'a boolean or an object', value, 'type');
  const tasks = given.tasks ?? DEFAULT_SELF_TESTS;
  if (!Array.isArray(tasks) || tasks.length === 0) throw invalidOption('health.selfTest.tasks', 'a non-empty array of { name, input, expected }', tasks, 'type');
  tasks.forEach((task: unknown, i) => {
    if (!isObject(task) || typeof task.name !== 'string' || !('expected' in task)) {
      throw invalidOption(`health.selfTest.tasks[${i}]`, 'an object { name: string, input, expected }', task, 'type');
    }
  });
  return {
    tasks: tasks as ResolvedSelfTestOptions['tasks'],
    after: numberOption('health.selfTest.after', given.after, 10_000, 0),
    passes: numberOption('health.selfTest.passes', given.passes, 3, 1, { integer: true }),
    maxProbations: numberOption('health.selfTest.maxProbations', given.maxProbations, 2, 0, { integer: true }),
    probationTasks: numberOption('health.selfTest.probationTasks', given.probationTasks, 50, 1, { integer: true }),
  };
}

export function resolveHealth(value: unknown): { health: ResolvedHealthOptions; restore: HealthSnapshot | undefined } {
  if (value === undefined) return { health: DEFAULT_HEALTH, restore: undefined };
  if (!isObject(value)) throw invalidOption('health', 'an object', value, 'type');
  for (const key of Object.keys(value)) {
    if (!['disableAt', 'halfLife', 'salvage', 'selfTest', 'restore', 'blame'].includes(key)) throw invalidOption(`health.${key}`, 'a known health option (disableAt, halfLife, salvage, selfTest, restore, blame)', value[key], 'range');
  }
  let salvage: ResolvedHealthOptions['salvage'] = false;
  if (value.salvage === true) salvage = { maxKinds: 2 };
  else if (isObject(value.salvage)) salvage = { maxKinds: numberOption('health.salvage.maxKinds', value.salvage.maxKinds, 2, 1, { integer: true }) };
  else if (value.salvage !== undefined && value.salvage !== false) throw invalidOption('health.salvage', 'a boolean or { maxKinds }', value.salvage, 'type');
  const restore = value.restore;
  if (restore !== undefined && (!isObject(restore) || restore.version !== 1 || !Array.isArray(restore.cores))) {
    throw invalidOption('health.restore', 'a snapshot from pool.health.export()', restore, 'type');
  }
  let blame: ResolvedHealthOptions['blame'] = DEFAULT_HEALTH.blame;
  if (value.blame === false) blame = false;
  else if (isObject(value.blame)) {
    const base = DEFAULT_HEALTH.blame === false ? { window: 20, minCores: 3, maxShare: 0.4 } : DEFAULT_HEALTH.blame;
    blame = {
      window: numberOption('health.blame.window', value.blame.window, base.window, 2, { integer: true }),
      minCores: numberOption('health.blame.minCores', value.blame.minCores, base.minCores, 2, { integer: true }),
      maxShare: numberOption('health.blame.maxShare', value.blame.maxShare, base.maxShare, 0, { max: 1 }),
    };
  } else if (value.blame !== undefined) throw invalidOption('health.blame', 'false or { window, minCores, maxShare }', value.blame, 'type');
  return {
    health: {
      ...DEFAULT_HEALTH,
      blame,
      disableAt: numberOption('health.disableAt', value.disableAt, DEFAULT_HEALTH.disableAt, 1),
      halfLife: numberOption('health.halfLife', value.halfLife, DEFAULT_HEALTH.halfLife, 1, { infinity: true }),
      salvage,
      selfTest: resolveSelfTest(value.selfTest),
    },
    restore: restore as HealthSnapshot | undefined,
  };
}

