export * from './types.js';
export { CoreHealth } from './core-health.js';
export {
  DEFAULT_HEALTH,
  DEFAULT_SELF_TESTS,
  DEFAULT_SELF_TEST_OPTIONS,
  HEALTHY_EPSILON,
  REACH_SLACK,
  BLAME_HORIZON_HALF_LIVES,
  type KnownAnswerTest,
} from './defaults.js';
export { katTasks, katInt, katFloat, katString, katHash, KAT_INT, KAT_FLOAT, KAT_STRING, KAT_HASH } from './kat-tasks.js';
export type { KatIntInput, KatFloatInput, KatStringInput, KatHashInput } from './kat-tasks.js';
export { BlameWindow, type BlameOptions } from './blame.js';
export { validateHealthOptions, validateSnapshot } from './validate.js';
