/**
 * What a binding policy sees of a core. The pool passes its live core records (read-only to
 * the policy); the simulator passes its own. Policies must not keep references across calls
 * other than core ids.
 */
export interface CoreView {
  readonly id: number;
  /** The CPU the core is pinned to: replicas are spread over CPUs to balance load. */
  readonly cpu: number;
  /**
   * Fault domain: no two replicas of one task may share one. Undefined: none declared (only
   * distinct cores are required; CPUs are still preferred distinct).
   */
  readonly domain?: number | undefined;
  /** Enabled for user tasks at all (not disabled, retired or offline). */
  readonly enabled: boolean;
  /** Task kinds this core is excluded from (software core salvaging). */
  readonly excludedKinds: ReadonlySet<string>;
  /** Running a replica now. */
  readonly busy: boolean;
  /**
   * Relative slowness estimate: 1 = as fast as the fastest replica of the same tasks,
   * 3 = three times slower. Starts at 1.
   */
  readonly speed: number;
  /** Time of the last charge against this core, -Infinity if none. */
  readonly lastFaultAt: number;
}

export interface PlacementRequest {
  taskId: number;
  /** The task's kind (salvage excludes cores per kind): the run option `kind`, else the task name. */
  taskName: string;
  /** Planned replicas (2 for DMR, 3 for TMR). */
  k: number;
  /** How many replicas to place now (k for a new task, 1+ for a tie-break / re-execution). */
  count: number;
  /** Cores that already ran, or are running, this task: never placed on again. */
  used: readonly number[];
  /**
   * Cores whose replica of this task votes: running, or answered with a value or an error. Their
   * fault domains are taken. A crashed or timed-out replica casts no vote, so its domain may serve
   * the task again (on another core). @default used
   */
  voters?: readonly number[];
  /** Static binding: the group the task first ran on (undefined for a new task). */
  group: number | undefined;
}

export type Placement =
  /** Run on these cores now (length = request.count, or k for a static whole-group re-execution). */
  | { kind: 'place'; cores: number[]; group?: number }
  /** Possible later, when a core or group becomes idle. */
  | { kind: 'wait' }
  /**
   * Can never succeed with the current enabled cores: `not-enough-cores` for a new task when
   * fewer than k cores (or no group) can serve it, `exhausted` when no unused core is left.
   */
  | { kind: 'impossible'; reason: 'not-enough-cores' | 'exhausted' };

export type CoreRole = 'member' | 'spare' | 'stranded' | 'free';

/** A change of roles, reported as the `spare` event (and `stranded` state in pool.cores). */
export interface BindingChange {
  type: 'spare-promoted' | 'group-stranded' | 'group-restored' | 'spare-assigned';
  group: number;
  /** The spare promoted, or the cores stranded/restored. */
  cores: number[];
  /** The core the spare replaced, for spare-promoted. */
  replaced?: number;
}

export interface CoreBinding {
  role: CoreRole;
  group?: number;
}

/** Small interface in the spirit of piscina's balancer function: pure placement decisions. */
export interface BindingPolicy {
  readonly name: 'static' | 'dynamic';
  /**
   * Decide where the next replica(s) of a task run. Must never return a core in `used`, a
   * busy core, a disabled core, or a core excluded from the task kind, and never the same
   * core twice.
   */
  place(request: PlacementRequest, cores: readonly CoreView[]): Placement;
  /** Re-evaluate roles after a core's enabled state changed (static: promote spares, strand groups). */
  update(cores: readonly CoreView[]): BindingChange[];
  /** Role of a core now (static groups, spares, stranded cores; dynamic: member or free). */
  binding(core: number): CoreBinding;
  /** Cores that can serve tasks now (dynamic: enabled cores; static: cores of in-service groups). */
  capacity(cores: readonly CoreView[]): number;
}
