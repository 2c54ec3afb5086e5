/**
 * The campaign's side of the golden run: one unpinned thread with the pool's worker options (env,
 * argv, execArgv, resourceLimits, the user's workerData), asked for one input's answer at a time.
 * An answer that outlasts taskTimeout, or a thread that dies, stops the campaign with
 * ERR_GOLDEN_RUN: computed on the campaign's own thread, such a task hung or killed it for good.
 */
import { Worker } from 'node:worker_threads';
import { messageOf, TriplexError, type TriplexErrorCode } from '../errors.js';
import type { ResolvedOptions } from '../api/index.js';
import { goldenAnswer, type GoldenAnswer, type GoldenReply } from './golden.js';

export type GoldenRequest = { type: 'load'; moduleUrl: string; name: string } | { type: 'run'; index: number; input: unknown };

export type GoldenMessage =
  { type: 'loaded' } | { type: 'answer'; reply: GoldenReply } | { type: 'failed'; code: TriplexErrorCode; message: string; data?: Record<string, unknown> };

type ThreadOptions = ResolvedOptions['compat']['worker'];

interface Pending {
  what: string;
  index: number | null;
  resolve(message: GoldenMessage): void;
  reject(error: TriplexError): void;
  timer: NodeJS.Timeout | undefined;
}

/** Golden answers per input, computed fault-free in a thread of their own, and the slowest computation (ms). */
export async function computedAnswers(inputs: readonly unknown[], o: ResolvedOptions, name: string): Promise<{ answers: GoldenAnswer[]; slowestMs: number }> {
  const thread = new GoldenThread(o.compat.worker, o.taskTimeout);
  try {
    await thread.ask({ type: 'load', moduleUrl: o.moduleUrl, name }, 'loading the task module', null);
    const answers: GoldenAnswer[] = [];
    let slowestMs = 0;
    for (let i = 0; i < inputs.length; i++) {
      const message = await thread.ask({ type: 'run', index: i, input: inputs[i] }, `of input ${i}`, i);
      if (message.type !== 'answer') throw new TriplexError('ERR_INTERNAL', `The golden thread answered input ${i} with "${message.type}"`);
      slowestMs = Math.max(slowestMs, message.reply.ms);
      answers.push(goldenAnswer(message.reply));
    }
    return { answers, slowestMs };
  } finally {
    await thread.close();
  }
}

class GoldenThread {
  private readonly worker: Worker;
  private pending: Pending | undefined;
  /** Why the thread can answer no more (it died); undefined while it lives. */
  private ended: string | undefined;
  private closing = false;

  constructor(
    options: ThreadOptions,
    private readonly timeoutMs: number,
  ) {
    const { workerData, niceIncrement: _nice, ...threadOptions } = options;
    this.worker = new Worker(new URL('./golden-worker.js', import.meta.url), { ...threadOptions, ...('workerData' in options ? { workerData } : {}) });
    this.worker.on('message', (message: GoldenMessage) => this.answered(message));
    // An uncaught error outside the task's own call (a stray callback that throws), then the exit.
    this.worker.on('error', (error) => this.died(`threw outside the task: ${messageOf(error)}`));
    this.worker.on('exit', (code) => this.died(`ended its thread (exit code ${code})`));
  }

  ask(request: GoldenRequest, what: string, index: number | null): Promise<GoldenMessage> {
    if (this.ended !== undefined) return Promise.reject(this.crashed(what, index, this.ended));
    return new Promise((resolve, reject) => {
      const timer = Number.isFinite(this.timeoutMs) ? setTimeout(() => this.timedOut(), this.timeoutMs) : undefined;
      this.pending = { what, index, resolve, reject, timer };
      this.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  private take(): Pending | undefined {
    const pending = this.pending;
    this.pending = undefined;
    if (pending?.timer !== undefined) clearTimeout(pending.timer);
    return pending;
  }

  private answered(message: GoldenMessage): void {
    const pending = this.take();
    if (pending === undefined) return;
    if (message.type === 'failed') pending.reject(new TriplexError(message.code, message.message, message.data));
    else pending.resolve(message);
  }

  private died(why: string): void {
    if (this.closing) return;
    this.ended ??= why;
    const pending = this.take();
    pending?.reject(this.crashed(pending.what, pending.index, why));
  }

  private crashed(what: string, index: number | null, why: string): TriplexError {
    return new TriplexError(
      'ERR_GOLDEN_RUN',
      `The fault-free golden run ${what} ${why}: there is no right answer to check the pool's against (fix the task, or supply \`golden\`)`,
      {
        index,
        reason: 'crash',
      },
    );
  }

  private timedOut(): void {
    const pending = this.take();
    if (pending === undefined) return;
    this.ended = 'was stopped after a hang';
    pending.reject(
      new TriplexError(
        'ERR_GOLDEN_RUN',
        `The fault-free golden run ${pending.what} did not finish within taskTimeout (${this.timeoutMs} ms): a task that hangs without faults has no right answer to check the pool's against (fix the task, raise taskTimeout, or supply \`golden\`)`,
        { index: pending.index, reason: 'timeout', taskTimeout: this.timeoutMs },
      ),
    );
  }
}
