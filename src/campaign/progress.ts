/** A one-line progress bar on a TTY stream (stderr), redrawn at most ~10 times a second; silent when not a TTY. */
import type { CampaignProgress } from './types.js';

export interface ProgressBar {
  update(progress: CampaignProgress): void;
  /** Clears the line. */
  done(): void;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!stream.isTTY) return { update() {}, done() {} };
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = performance.now();
      if (now - last < 100 && p.done < p.total) return;
      last = now;
      // Sizing by margin may stop well before the cap: show whichever end is nearer.
      const fraction = p.required !== null && p.required > 0 ? Math.max(p.done / p.total, p.injected / p.required) : p.done / p.total;
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 70));
      const filled = Math.round(Math.min(1, fraction) * width);
      const rate = p.elapsedMs > 0 ? Math.round((p.done / p.elapsedMs) * 1000) : 0;
      const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total} ${rate}/s sdc ${p.outcomes.sdc} detected ${p.outcomes.detected}`;
      stream.write(`\r${line.slice(0, (stream.columns ?? 120) - 1)}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
