/** Fault-injection campaigns: run, classify, measure coverage, report. */
export { campaign } from './runner.js';
export { expectProtected, ProtectionError, type ProtectionExpectation } from './expect.js';
export { wilson, leveugleSampleSize, achievedMargin, zFor, type Interval, type SampleSizeOptions } from './statistics.js';
export { formatSummary, formatModels, formatNotes, formatCoverage, goldenWarning, outOfCoresText } from './summary.js';
export { progressBar, type ProgressBar } from './progress.js';
export { renderHtml } from './html.js';
export { outcomeOf, isActivated, type TaskObservation, type TaskEvidence } from './classify.js';
export { OUTCOMES } from './types.js';
export type {
  Outcome,
  OutcomeCounts,
  CampaignOptions,
  CampaignTask,
  CampaignProgress,
  CampaignResult,
  ModelSummary,
  CoreSummary,
  Timeline,
  SdcExample,
} from './types.js';
