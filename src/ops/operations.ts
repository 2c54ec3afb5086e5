/** The operations layer of one pool: audit log, metrics, state scan. Triplex delegates to it. */
import { invalidOption, TriplexError } from '../errors.js';
import { AuditLog } from './audit-log.js';
import type { OpsHost } from './host.js';
import { MetricsCollector } from './metrics.js';
import { auditLevel } from './options.js';
import type { AuditLevel, PoolMetrics, VerifyOptions, VerifyReport } from './types.js';
import { verifyCores } from './verify.js';
import { DEFAULT_VERIFY_TIMEOUT } from '../options/defaults.js';
import { numberOption } from '../options/validate.js';

export class Operations {
  private readonly origin = performance.now();
  private readonly audit: AuditLog | undefined;
  private readonly metricsCollector: MetricsCollector;
  private scanTimer: NodeJS.Timeout | undefined;
  private scanning = false;
  private closed = false;

  constructor(private readonly host: OpsHost) {
    const o = host.options;
    // The audit log first: opening its file is the only step that can fail.
    this.audit = o.audit === undefined ? undefined : new AuditLog(host, o.audit, this.origin);
    this.metricsCollector = new MetricsCollector(host, this.origin, o.metrics, () => host.clock.now());
    if (o.scanInterval > 0) {
      this.scanTimer = setInterval(() => this.scan(), o.scanInterval);
      this.scanTimer.unref();
    }
  }

  get auditLevel(): AuditLevel {
    return this.audit?.level ?? 'off';
  }

  setAuditLevel(level: unknown): void {
    const checked = auditLevel('setAuditLevel(level)', level);
    if (this.audit === undefined) {
      throw new TriplexError(
        'ERR_INVALID_OPTION',
        "The pool has no audit log: construct it with the option audit: { file | stream } (level 'off' to start silent)",
        { option: 'audit' },
      );
    }
    this.audit.setLevel(checked);
  }

  metrics(): PoolMetrics {
    return this.metricsCollector.snapshot();
  }

  async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    if (typeof options !== 'object' || options === null) throw invalidOption('verify(options)', 'an object { timeout? }', options, 'type');
    const timeout = numberOption('verify(options).timeout', options.timeout, DEFAULT_VERIFY_TIMEOUT, 1);
    if (this.host.destroyed()) throw new TriplexError('ERR_DESTROYED', 'The pool is destroyed');
    return verifyCores(this.host, timeout);
  }

  /** One periodic scan; never two at once, nothing after destroy. */
  private scan(): void {
    if (this.scanning || this.closed || this.host.destroyed()) return;
    this.scanning = true;
    verifyCores(this.host, Math.min(DEFAULT_VERIFY_TIMEOUT, this.host.options.scanInterval)).then(
      (report) => {
        this.scanning = false;
        if (this.closed || this.host.destroyed()) return;
        this.audit?.scan(report);
        if (!report.ok && this.host.events.has('drift')) this.host.events.emit('drift', report);
      },
      () => {
        this.scanning = false; // the pool failed to start or is going away: nothing to scan
      },
    );
  }

  /** destroy(): stop the scan and the clocks, write the pool-stop line, flush and close the log. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.scanTimer !== undefined) clearInterval(this.scanTimer);
    this.metricsCollector.close();
    await this.audit?.close();
  }
}
