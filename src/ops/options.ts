/** Validation of the operations options (called from resolveOptions, the single place options are resolved). */
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { invalidOption } from '../errors.js';
import { DEFAULT_AUDIT_LEVEL, DEFAULT_METRICS, DEFAULT_SCAN_INTERVAL } from '../options/defaults.js';
import { booleanOption, enumOption, isObject } from '../options/validate.js';
import { AUDIT_LEVELS, type AuditLevel, type ResolvedAuditOptions } from './types.js';

export function auditLevel(name: string, value: unknown): AuditLevel {
  // No fallback: a level asked for explicitly (setAuditLevel) must be given.
  if (value === undefined) throw invalidOption(name, `one of ${AUDIT_LEVELS.map((l) => `'${l}'`).join(', ')}`, value, 'type');
  return enumOption(name, value, AUDIT_LEVELS, DEFAULT_AUDIT_LEVEL);
}

function auditFile(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (value instanceof URL) {
    if (value.protocol !== 'file:') throw invalidOption('audit.file', 'a path or a file: URL', value.href, 'range');
    return fileURLToPath(value);
  }
  if (typeof value !== 'string') throw invalidOption('audit.file', 'a path or a file: URL', value, 'type');
  if (value.length === 0) throw invalidOption('audit.file', 'a non-empty path', value, 'range');
  return value.startsWith('file:') ? fileURLToPath(value) : path.resolve(value);
}

/** `audit: { file?, stream?, level? }`; undefined or false means no audit log at all. */
export function resolveAudit(value: unknown): ResolvedAuditOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (!isObject(value)) throw invalidOption('audit', 'an object { file?, stream?, level? }', value, 'type');
  for (const key of Object.keys(value)) {
    if (!['file', 'stream', 'level'].includes(key)) throw invalidOption(`audit.${key}`, 'a known audit option (file, stream, level)', value[key], 'range');
  }
  const file = auditFile(value.file);
  const stream = value.stream;
  if (stream !== undefined && !(stream instanceof Writable) && !(isObject(stream) && typeof stream.write === 'function')) {
    throw invalidOption('audit.stream', 'a Writable stream', stream, 'type');
  }
  if (file === undefined && stream === undefined) throw invalidOption('audit', 'an object with a file or a stream to write to', value, 'range');
  const level = value.level === undefined ? DEFAULT_AUDIT_LEVEL : auditLevel('audit.level', value.level);
  const resolved = { file, level } as ResolvedAuditOptions;
  // Non-enumerable: the resolved options travel in the `start` event and must stay JSON-safe.
  Object.defineProperty(resolved, 'stream', { value: stream as Writable | undefined, enumerable: false });
  return resolved;
}

/** `scanInterval`: ms between state scans, 0 (the default) for none. */
export function resolveScanInterval(value: unknown): number {
  if (value === undefined) return DEFAULT_SCAN_INTERVAL;
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalidOption('scanInterval', 'a number of ms (0 = off)', value, 'type');
  if (!Number.isFinite(value) || value < 0 || (value > 0 && value < 10) || value > 2 ** 31 - 1) {
    throw invalidOption('scanInterval', '0 (off) or a number of ms from 10 to 2147483647', value, 'range');
  }
  return value;
}

export function resolveMetricsFlag(value: unknown): boolean {
  return booleanOption('metrics', value, DEFAULT_METRICS);
}
