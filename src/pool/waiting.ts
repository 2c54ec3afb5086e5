/**
 * Tasks waiting for cores: the retries (tie-breaks, re-executions, replicas lost with a killed
 * batch), always placed before new work, and the queue in submission order. A placement pass looks
 * at most SCAN_LIMIT blocked tasks past the queue's head, and placed or settled tasks leave the head
 * at once, so the queue never keeps them alive.
 */
import type { TaskRun } from './task.js';

/** How far past a blocked queue head a placement pass looks for a task that fits a free core. */
const SCAN_LIMIT = 64;
/** The queue drops its emptied head slots once they are this many and over half of it. */
const COMPACT_AT = 1024;

export class WaitingTasks {
  /** Slots before `head` are emptied. */
  private readonly queue: (TaskRun | undefined)[] = [];
  private head = 0;
  private readonly retries: TaskRun[] = [];

  push(task: TaskRun): void {
    this.queue.push(task);
  }

  /** The task wants more replicas placed (at most once in the list). */
  retry(task: TaskRun): void {
    if (!this.retries.includes(task)) this.retries.push(task);
  }

  /**
   * One placement pass: `place` returns true when none of the task's wanted replicas is left to
   * place. While `room()` is false only `everyTask` passes go on (tasks that can no longer be
   * served must fail, not wait).
   */
  placeEach(place: (task: TaskRun) => boolean, room: () => boolean, everyTask: boolean): void {
    for (let i = 0; i < this.retries.length && (everyTask || room());) {
      const task = this.retries[i]!;
      if (task.settled || task.wanted === 0 || place(task)) this.retries.splice(i, 1);
      else i++;
    }
    let scanned = 0;
    for (let i = this.head; i < this.queue.length && (everyTask || (scanned < SCAN_LIMIT && room())); i++) {
      const task = this.queue[i]!;
      if (task.settled || task.wanted === 0) continue;
      if (!place(task)) scanned++;
    }
    this.dropPlacedHead();
  }

  private dropPlacedHead(): void {
    while (this.head < this.queue.length) {
      const first = this.queue[this.head]!;
      if (!first.settled && first.wanted !== 0) break;
      this.queue[this.head++] = undefined;
    }
    if (this.head > COMPACT_AT && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.queue.length = 0;
    this.head = 0;
    this.retries.length = 0;
  }
}
