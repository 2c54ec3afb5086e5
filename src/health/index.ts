export * from './types.js';
export { CoreHealth } from './core-health.js';
export { SERVING_STATES, isServing, ServingCore, selfTestPollMs, type ServingView } from './serving.js';
export {
  DEFAULT_HEALTH,
  DEFAULT_SELF_TESTS,
  DEFAULT_SELF_TEST_OPTIONS,
  DEFAULT_FALSE_ALARM,
  NONDETERMINISTIC_BASE,
  SUSPECT_FRACTION,
  type KnownAnswerTest,
} from './defaults.js';
export { katTasks, katInt, katFloat, katString, katHash, KAT_INT, KAT_FLOAT, KAT_STRING, KAT_HASH } from './kat-tasks.js';
export type { KatIntInput, KatFloatInput, KatStringInput, KatHashInput } from './kat-tasks.js';
export { KindEvidence, CoreKindEvidence, STREAMS, MEMORY, type Observation } from './evidence.js';
export { alternative, increments, threshold, step, jeffreys, CHARTS, MIN_RATIO, CHART_STEP, P1_MAX, type Increments } from './sequential.js';
export { validateHealthOptions, validateSnapshot } from './validate.js';
