/**
 * The core of the public API: the pool, its options, events and errors, the fault injector and
 * the helpers a user of the pool can call. `triplex` (src/index.ts) re-exports all of it, so
 * every name here is public. It is its own module so that the layers built on the pool
 * (campaigns, the CLI, the demo) depend on the public API without depending on themselves:
 * src/index.ts also re-exports the campaign layer, which imports from here.
 */
export {
  Triplex,
  type RunOptions,
  type CoreInfo,
  type ThreadInfo,
  type Movable,
  type AbortSignalAny,
  type SteppedStream,
  type SteppedDetailedResult,
} from '../pool/triplex.js';
// Stepped tasks: what a task module exports, the checkpoint option, runDetailed's stepped report.
export type { SteppedTask, Emit, CheckpointOption, SteppedReport, SegmentReport } from '../stepped/types.js';
export type { PoolHistogram, TimingSummary } from '../pool/surface.js';
export type { PiscinaCompatOptions } from '../pool/compat-options.js';
export { typedTasks, type TypedRun, type TaskName, type TaskInput, type TaskOutput } from '../pool/typed.js';
export type { TriplexOptions, HealthOptions, SelfTestOptions, Redundancy, BindingName } from '../pool/options.js';
// What `pool.resolvedOptions` would be, without starting a worker: tools validate a configuration up front with it.
export { resolveOptions, type ResolvedOptions } from '../pool/options.js';
export type { DetailedResult, ReplicaReport, ReplicaStatus } from '../pool/task.js';
export type * from '../pool/events.js';
export type { StatsSnapshot } from '../pool/stats.js';
export { TriplexError, isTriplexError, TriplexTypeError, TriplexRangeError, type TriplexErrorCode } from '../errors.js';
export { FaultInjector, wasInjected, type InjectionRecord, type ReplicaContext, type FaultModelName } from '../inject/injector.js';
export type { FaultModelSpec, MaintenanceTarget } from '../inject/injector.js';
export { flipBits, type FlipRecord } from '../inject/flip.js';
export { decide, groupBallots, majorityOf, type Ballot, type Verdict, type VoteGroup, type Equals } from '../replication/voter.js';
// The digest replicas vote with (runDetailed's replicas[].digest): a user computes the expected one with it.
export { canonicalDigest } from '../codec/canonical.js';
// What a replica receives for an input (typed arrays on buffers of their own): a golden answer is computed on it.
export { cloneForReplica } from '../codec/own-buffers.js';
export { affinityMask, availableCpus, pinningUnavailableReason } from '../worker/affinity.js';
// The CPU topology the pool reads for `faultDomain`: which CPUs one hardware fault can corrupt together.
export { readTopology, domainsOf, type Topology, type CpuInfo, type FaultDomainMode } from '../cores/topology.js';
export type { HealthSnapshot, HealthState, FaultKind } from '../health/types.js';
export { SERVING_STATES, isServing } from '../health/serving.js';
export { ManualClock, systemClock, type Clock } from '../util/clock.js';
export { SeededRandom, type Random } from '../util/random.js';
export type {
  AuditLevel,
  AuditOptions,
  AuditLine,
  AuditSummary,
  PoolMetrics,
  HistogramSnapshot,
  CoreMetrics,
  ReliabilitySnapshot,
  CoreReliability,
  VerifyReport,
  VerifyOptions,
  CoreCheck,
  DriftEvent,
} from '../ops/types.js';
export { parseAuditLog, summarizeAudit } from '../ops/audit-replay.js';
