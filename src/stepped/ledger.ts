/**
 * The book of a stepped run: its segments, the cores that failed it (avoided by later segments,
 * as a re-execution never reuses a core that failed the task), the migrations of their work to
 * other cores, the work lost to faults, and the `checkpoint` and `migrate` events.
 */
import type { SegmentHandle, SegmentReplica, SegmentResult, SteppedHost } from './host.js';
import type { MigrateEvent, SegmentReport, SteppedReport } from './types.js';

type Reason = MigrateEvent['reason'];

export class SegmentLedger {
  /** Cores that crashed, hung or were out-voted in a segment of this run. */
  readonly avoid: number[] = [];
  private readonly segments: SegmentReport[] = [];
  private readonly replicas: SegmentReplica[] = [];
  /**
   * Failed replicas whose work no core has taken over yet, with the cores of their segment: a
   * later segment's replica on any other core takes it over.
   */
  private pending: { core: number; reason: Reason; cores: number[] }[] = [];
  /** Failed replicas of the current segment already replaced inside it (re-executions). */
  private replaced = 0;
  private from = 0;
  private attempts = 0;
  private corrected = false;
  migrations = 0;
  checkpoints = 0;
  faults = 0;
  lostSteps = 0;
  lostMs = 0;

  constructor(
    private readonly host: SteppedHost,
    private readonly id: number,
    private readonly name: string,
    /** Keep every segment's report (runDetailed): a long run with short intervals would hold thousands otherwise. */
    private readonly keep: boolean,
  ) {}

  beginSegment(from: number): void {
    this.from = from;
    this.replaced = 0;
  }

  /** A replica of the current segment was placed: it may take over a failed replica's work. */
  dispatched(core: number, index: number, segment: SegmentHandle | undefined): void {
    if (index >= this.host.k) {
      // A re-execution inside the segment: it replaces the next crashed or hung replica (a DMR tie-break replaces nobody).
      const failed = segment?.failed()[this.replaced];
      if (failed === undefined) return;
      this.replaced++;
      this.migrate(failed.core, core, failed.status);
      return;
    }
    const i = this.pending.findIndex((p) => !p.cores.includes(core));
    if (i < 0) return;
    const [from] = this.pending.splice(i, 1);
    this.migrate(from!.core, core, from!.reason);
  }

  private migrate(from: number, to: number, reason: Reason): void {
    this.migrations++;
    if (this.host.has('migrate')) this.host.emit('migrate', { taskId: this.id, taskName: this.name, from, to, step: this.from, reason });
  }

  /**
   * A replica that failed after its segment was voted (TMR's third crashed or was out-voted late):
   * its core is avoided from now on, and the next replica placed elsewhere takes over its work.
   */
  lateFault(core: number, status: string, cores: number[], ms: number, steps: number): void {
    // Its majority answered first: the replica had run about its whole segment (half, stopped by an injected crash or hang).
    this.faults++;
    this.lostMs += ms;
    this.lostSteps += steps;
    if (!this.avoid.includes(core)) this.avoid.push(core);
    this.addPending({ core, reason: reasonOf(status), cores });
  }

  private addPending(entry: { core: number; reason: Reason; cores: number[] }): void {
    if (!this.pending.some((p) => p.core === entry.core)) this.pending.push(entry);
  }

  /** A segment of `steps` steps was voted: book its replicas, failures and lost work. */
  settled(result: SegmentResult, steps: number): void {
    const winners = result.replicas.filter((r) => r.ok === true);
    const fastest = Math.max(1e-3, Math.min(...winners.map((r) => r.ms)));
    let failedInside = 0;
    const cores = result.replicas.map((r) => r.core);
    for (const replica of result.replicas) {
      // Lost (killed with another's batch before it ran, re-run elsewhere) or aborted: never charged, no fault, no work lost.
      if (replica.ok !== false || replica.status === 'lost' || replica.status === 'aborted') continue;
      this.faults++;
      if (!this.avoid.includes(replica.core)) this.avoid.push(replica.core);
      const reason = reasonOf(replica.status);
      this.lostMs += replica.ms;
      this.lostSteps += lostStepsOf(replica, reason, steps, fastest);
      if (reason !== 'wrong-result' && failedInside++ < this.replaced) continue; // replaced inside the segment
      this.addPending({ core: replica.core, reason, cores });
    }
    this.attempts += result.attempts;
    this.corrected ||= result.corrected;
    this.checkpoints++;
    if (!this.keep) return;
    this.replicas.push(...result.replicas);
    this.segments.push(this.segmentReport(result, winners));
  }

  private segmentReport(result: SegmentResult, winners: SegmentReplica[]): SegmentReport {
    const value = result.value;
    return {
      from: value.from,
      to: value.step,
      corrected: result.corrected,
      replicas: result.replicas.map((r) => ({ core: r.core, status: r.status, ok: r.ok, from: winners.includes(r) ? value.from : undefined, ms: r.ms })),
    };
  }

  /** The `checkpoint` event of the segment just voted. */
  checkpoint(result: SegmentResult, wallMs: number, nextSteps: number): void {
    if (!this.host.has('checkpoint')) return;
    const value = result.value;
    const cores = result.replicas.filter((r) => r.ok === true).map((r) => r.core);
    this.host.emit('checkpoint', {
      taskId: this.id,
      taskName: this.name,
      step: value.step,
      checkpoints: this.checkpoints,
      cores,
      outputs: value.outputs.length,
      corrected: result.corrected,
      ms: wallMs,
      nextSteps,
    });
  }

  report(steps: number): SteppedReport {
    return {
      steps,
      checkpoints: this.checkpoints,
      migrations: this.migrations,
      faults: this.faults,
      lostSteps: this.lostSteps,
      lostMs: this.lostMs,
      segments: this.segments,
    };
  }

  /** runDetailed's answer: every segment's replicas, and the stepped report. */
  detailed(value: unknown, steps: number): { value: unknown; replicas: SegmentReplica[]; attempts: number; corrected: boolean; stepped: SteppedReport } {
    return { value, replicas: this.replicas, attempts: this.attempts, corrected: this.corrected, stepped: this.report(steps) };
  }
}

/**
 * Work lost: a wrong replica's whole segment; a crashed or hung one's as far as it got: half the
 * segment when an injected fault stopped it there, else estimated from its run time (which counts
 * its wait for the worker too, so it may reach the whole segment).
 */
function lostStepsOf(replica: SegmentReplica, reason: Reason, steps: number, fastest: number): number {
  if (reason === 'wrong-result') return steps;
  if (replica.injectedStop === true) return Math.floor(steps / 2);
  return Math.min(steps, Math.round((steps * replica.ms) / fastest));
}

function reasonOf(status: string): Reason {
  return status === 'crash' ? 'crash' : status === 'timeout' ? 'timeout' : 'wrong-result';
}
