/** Resolution of the `health` option: the false-alarm budget, declared non-deterministic kinds, self-tests, salvage, restore. */
import { invalidOption, messageOf } from '../errors.js';
import { DEFAULT_HEALTH, DEFAULT_SELF_TESTS } from '../health/defaults.js';
import type { HealthSnapshot, ResolvedHealthOptions, ResolvedSelfTestOptions } from '../health/types.js';
import { isObject, numberOption, rejectUnknown, stringListOption } from '../options/validate.js';
import * as D from '../options/defaults.js';

function resolveSelfTest(value: unknown): false | ResolvedSelfTestOptions {
  if (value === undefined || value === false) return false;
  const given = value === true ? {} : value;
  if (!isObject(given)) throw invalidOption('health.selfTest', 'a boolean or an object', value, 'type');
  rejectUnknown('health.selfTest', given, ['tasks', 'after', 'passes', 'maxProbations', 'probationTasks']);
  const tasks = given.tasks ?? DEFAULT_SELF_TESTS;
  if (!Array.isArray(tasks) || tasks.length === 0)
    throw invalidOption('health.selfTest.tasks', 'a non-empty array of { name, input, expected }', tasks, 'type');
  tasks.forEach((task: unknown, i) => {
    if (!isObject(task) || typeof task.name !== 'string' || !('expected' in task)) {
      throw invalidOption(`health.selfTest.tasks[${i}]`, 'an object { name: string, input, expected }', task, 'type');
    }
  });
  return {
    tasks: ownTasks(tasks),
    after: numberOption('health.selfTest.after', given.after, D.DEFAULT_SELF_TEST_AFTER, 0),
    passes: numberOption('health.selfTest.passes', given.passes, D.DEFAULT_SELF_TEST_PASSES, 1, { integer: true }),
    maxProbations: numberOption('health.selfTest.maxProbations', given.maxProbations, D.DEFAULT_MAX_PROBATIONS, 0, { integer: true }),
    probationTasks: numberOption('health.selfTest.probationTasks', given.probationTasks, D.DEFAULT_PROBATION_TASKS, 1, { integer: true }),
  };
}

/** A copy: the caller's array (or its entries) changed later must not change the self-tests. */
function ownTasks(tasks: unknown[]): ResolvedSelfTestOptions['tasks'] {
  try {
    return structuredClone(tasks) as ResolvedSelfTestOptions['tasks'];
  } catch (error) {
    throw invalidOption('health.selfTest.tasks', `cloneable { name, input, expected } entries (${messageOf(error)})`, tasks, 'type');
  }
}

/** Options of earlier versions and what replaced them (a clear error beats a silently ignored knob). */
const REPLACED: Record<string, string> = {
  disableAt: "health.falseAlarm (a sequential test per replica against the fleet's base rate replaced the fault score)",
  halfLife: 'health.falseAlarm (evidence is counted per replica, not decayed per unit of time)',
  blame: 'the sequential test itself (a kind whose cores all disagree alike disables nobody) and health.nondeterministic (kinds never charged)',
};
const KNOWN_HEALTH = ['falseAlarm', 'nondeterministic', 'salvage', 'selfTest', 'restore'];

function resolveKinds(value: unknown): readonly string[] {
  if (value === undefined) return DEFAULT_HEALTH.nondeterministic;
  return Object.freeze([...stringListOption('health.nondeterministic', value, 'an array of task kinds (strings)')]);
}

export function resolveHealth(value: unknown): { health: ResolvedHealthOptions; restore: HealthSnapshot | undefined } {
  if (value === undefined) return { health: DEFAULT_HEALTH, restore: undefined };
  if (!isObject(value)) throw invalidOption('health', 'an object', value, 'type');
  for (const key of Object.keys(value)) {
    const replaced = REPLACED[key];
    if (replaced !== undefined) throw invalidOption(`health.${key}`, `absent: it was replaced by ${replaced}`, value[key], 'range');
    if (!KNOWN_HEALTH.includes(key)) throw invalidOption(`health.${key}`, `a known health option (${KNOWN_HEALTH.join(', ')})`, value[key], 'range');
  }
  let salvage: ResolvedHealthOptions['salvage'] = false;
  if (value.salvage === true) salvage = { maxKinds: D.DEFAULT_SALVAGE_MAX_KINDS };
  else if (isObject(value.salvage)) {
    rejectUnknown('health.salvage', value.salvage, ['maxKinds']);
    salvage = { maxKinds: numberOption('health.salvage.maxKinds', value.salvage.maxKinds, D.DEFAULT_SALVAGE_MAX_KINDS, 1, { integer: true }) };
  } else if (value.salvage !== undefined && value.salvage !== false) throw invalidOption('health.salvage', 'a boolean or { maxKinds }', value.salvage, 'type');
  const restore = value.restore;
  if (restore !== undefined && (!isObject(restore) || restore.version !== 1 || !Array.isArray(restore.cores))) {
    throw invalidOption('health.restore', 'a snapshot from pool.health.export()', restore, 'type');
  }
  return {
    health: {
      ...DEFAULT_HEALTH,
      falseAlarm: numberOption('health.falseAlarm', value.falseAlarm, DEFAULT_HEALTH.falseAlarm, 0, { max: 0.5 }),
      nondeterministic: resolveKinds(value.nondeterministic),
      salvage,
      selfTest: resolveSelfTest(value.selfTest),
    },
    restore: restore as HealthSnapshot | undefined,
  };
}
