export { Triplex, type RunOptions, type CoreInfo, type ThreadInfo, type Movable, type AbortSignalAny } from './pool/triplex.js';
export type { PoolHistogram, TimingSummary } from './pool/surface.js';
export type { PiscinaCompatOptions } from './pool/compat-options.js';
export { typedTasks, type TypedRun, type TaskName, type TaskInput, type TaskOutput } from './pool/typed.js';
export type { TriplexOptions, HealthOptions, SelfTestOptions, Redundancy, BindingName } from './pool/options.js';
export type { DetailedResult, ReplicaReport, ReplicaStatus } from './pool/task.js';
export type * from './pool/events.js';
export type { StatsSnapshot } from './pool/stats.js';
export { TriplexError, isTriplexError, TriplexTypeError, TriplexRangeError, type TriplexErrorCode } from './errors.js';
export { FaultInjector, type InjectionRecord, type ReplicaContext, type FaultModelName } from './inject/injector.js';
export { flipBits, type FlipRecord } from './inject/flip.js';
export { decide, groupBallots, majorityOf, type Ballot, type Verdict, type VoteGroup, type Equals } from './replication/voter.js';
export { affinityMask, availableCpus, pinningUnavailableReason } from './worker/affinity.js';
export type { HealthSnapshot, HealthState, FaultKind } from './health/types.js';
export { ManualClock, systemClock, type Clock } from './util/clock.js';
export { SeededRandom, type Random } from './util/random.js';
// Fault-injection campaigns.
export * from './campaign/index.js';
export type { FaultModelSpec, MaintenanceTarget } from './inject/injector.js';
export type { AuditLevel, AuditOptions, AuditLine, PoolMetrics, HistogramSnapshot, CoreMetrics, ReliabilitySnapshot, CoreReliability, VerifyReport, VerifyOptions, CoreCheck, DriftEvent } from './ops/types.js';
export { parseAuditLog, summarizeAudit } from './ops/audit-replay.js';

// piscina users write `import Piscina from 'piscina'`: the pool is the default export here too.
import { Triplex as DefaultPool } from './pool/triplex.js';
export default DefaultPool;
