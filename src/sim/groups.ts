/**
 * Static binding book-keeping for the glue: busy enabled cores per group, which groups are in
 * service, and how many in-service groups are wholly idle. A new task fits exactly when one
 * is, so the O(groups) place call is made only then, once per task. Group ids come from the
 * policy's public binding(core).group, which never changes for a core under static binding.
 */
import type { BindingPolicy } from '../binding/types.js';
import type { SimCore } from './task.js';

export class GroupTracker {
  private readonly groupOf: Int32Array;
  private readonly busy: Int32Array;
  private readonly inService: Uint8Array;
  /** Group a busy core was counted in, -1 when not counted. */
  private readonly counted: Int32Array;
  ready = 0;

  constructor(
    private readonly cores: readonly SimCore[],
    private readonly policy: BindingPolicy,
  ) {
    const n = cores.length;
    this.groupOf = Int32Array.from(cores, (c) => policy.binding(c.id).group ?? -1);
    this.busy = new Int32Array(n);
    this.inService = new Uint8Array(n);
    this.counted = new Int32Array(n).fill(-1);
  }

  /** An enabled core took a replica. */
  busier(id: number): void {
    const g = this.groupOf[id]!;
    if (g < 0) return;
    this.counted[id] = g;
    if (this.busy[g]!++ === 0 && this.inService[g] === 1) this.ready--;
  }

  /** A counted core freed, or was disabled while busy. */
  idler(id: number): void {
    const g = this.counted[id]!;
    if (g < 0) return;
    this.counted[id] = -1;
    if (--this.busy[g]! === 0 && this.inService[g] === 1) this.ready++;
  }

  /** Re-reads which groups are in service after the policy's update (rare: O(n)). */
  recount(): void {
    this.inService.fill(0);
    for (const c of this.cores) {
      const g = this.groupOf[c.id]!;
      if (g < 0 || !c.enabled) continue;
      const role = this.policy.binding(c.id).role;
      if (role === 'member' || role === 'spare') this.inService[g] = 1;
    }
    this.ready = 0;
    for (let g = 0; g < this.inService.length; g++) if (this.inService[g] === 1 && this.busy[g] === 0) this.ready++;
  }
}
