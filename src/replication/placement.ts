/**
 * Placement of a task's wanted replicas through the binding policy: the one loop the pool and
 * the simulator both run. It decides how many replicas to ask for per call and what an
 * impossible placement means for the task; the adapter starts the replicas.
 */
import type { BindingPolicy, CoreView, Placement, PlacementRequest } from '../binding/types.js';
import type { ReplicationState } from './step.js';

/** What placement reads of a task beyond its vote state. */
export interface PlacedTask extends ReplicationState {
  readonly id: number;
  /** Cores that ran or run the task: never placed on again. */
  readonly used: readonly number[];
  /** Cores whose replica votes (running or answered); undefined when all used ones do. */
  voters(): readonly number[] | undefined;
  group: number | undefined;
  readonly started: boolean;
  /**
   * Cores the task kept out of `used` by choice (a stepped task's segment avoids the cores that
   * failed its run) are given back when placement finds nothing else: true when some were.
   */
  relax?(): boolean;
}

/** What placing ended with. `fail`: the task can never run (`not-enough-cores`) or never reach a majority. */
export type PlaceResult = 'done' | 'wait' | 'not-enough-cores' | 'no-majority' | 'stopped';

export interface PlacementHost<T extends PlacedTask> {
  readonly policy: Pick<BindingPolicy, 'name' | 'place'>;
  readonly cores: readonly CoreView[];
  /** Starts one replica of `task` on the core at index `core` (it adds the core to `task.used`). */
  dispatch(task: T, core: number): void;
  /** Replicas were placed (the pool reports tie-breaks and re-executions). */
  placed?(task: T, placement: Extract<Placement, { kind: 'place' }>): void;
  /** Idle cores that could take a replica now, when the adapter knows it cheaply (else Infinity). */
  idleHint(): number;
  /** False when placement can only wait now (the adapter knows without asking the policy). */
  mayPlace?(): boolean;
  /**
   * True when a placement the cores cannot serve now waits for more instead of failing the task
   * (a cluster whose hosts ran short expects them back).
   */
  holds?(task: T): boolean;
}

/**
 * Places as many of `task.wanted` as fit now. Under dynamic binding a task's first k replicas go
 * in one call for as many idle cores as there are, and tie-breaks and re-executions one at a time;
 * when the fault-domain cap blocks a multi-core pick, one core is asked for instead. Static binding
 * places whole groups.
 */
export function placeWanted<T extends PlacedTask>(task: T, kind: string, host: PlacementHost<T>, request: PlacementRequest): PlaceResult {
  const dynamic = host.policy.name === 'dynamic';
  while (task.wanted > 0) {
    if (host.mayPlace?.() === false) return 'wait';
    let count = task.wanted;
    if (dynamic) count = task.extra > 0 ? 1 : Math.max(1, Math.min(count, host.idleHint()));
    fill(request, task, kind, count);
    let placement = host.policy.place(request, host.cores);
    if (placement.kind === 'wait' && count > 1 && dynamic) {
      request.count = 1;
      placement = host.policy.place(request, host.cores);
    }
    if (placement.kind === 'wait') return 'wait';
    if (placement.kind === 'impossible') {
      if (task.relax?.() === true) continue;
      if (host.holds?.(task) === true) return 'wait';
      task.wanted = 0;
      if (!task.started && placement.reason === 'not-enough-cores') return 'not-enough-cores';
      // Replicas still running may yet agree: the task waits for them.
      return task.inFlight === 0 ? 'no-majority' : 'stopped';
    }
    if (placement.group !== undefined) task.group = placement.group;
    for (const core of placement.cores) host.dispatch(task, core);
    task.wanted = Math.max(0, task.wanted - placement.cores.length);
    host.placed?.(task, placement);
  }
  return 'done';
}

/** Refills the adapter's request object (policies keep no references across calls). */
function fill(request: PlacementRequest, task: PlacedTask, kind: string, count: number): void {
  request.taskId = task.id;
  request.taskName = kind;
  request.k = task.k;
  request.count = count;
  request.used = task.used;
  request.voters = task.voters();
  request.group = task.group;
}

/** A request object for an adapter to reuse. */
export function newPlacementRequest(): PlacementRequest {
  return { taskId: 0, taskName: '', k: 0, count: 0, used: [], voters: undefined, group: undefined };
}
