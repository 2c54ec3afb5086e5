/**
 * Fault domains from the CPU topology: what one hardware fault can corrupt at once. Linux sysfs
 * says which logical CPUs are SMT siblings of one physical core (thread_siblings_list, core_id,
 * physical_package_id); siblings share execution units, so a mercurial core corrupts both.
 *
 * Parsing is pure (a `read(path)` function is injected, so tests use fixture trees); reading
 * sysfs is one small function. Without sysfs (other systems, containers hiding it) every CPU is
 * its own domain, and the topology says so (`source: 'fallback'`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { invalidOption } from '../errors.js';

export type FaultDomainMode = 'physical-core' | 'cpu' | 'none';
export const FAULT_DOMAIN_MODES: readonly FaultDomainMode[] = ['physical-core', 'cpu', 'none'];

export interface CpuInfo {
  cpu: number;
  /** Package (socket) and core id within it; -1 when unknown. */
  pkg: number;
  core: number;
  /** SMT siblings, this CPU included, sorted. */
  siblings: number[];
}

export interface Topology {
  cpus: CpuInfo[];
  /** Where the facts came from. */
  source: 'sysfs' | 'fallback';
}

const SYSFS_CPU = '/sys/devices/system/cpu';

/** "0-3,8,10-11" → [0, 1, 2, 3, 8, 10, 11]; undefined for anything else. */
export function parseCpuList(text: string): number[] | undefined {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (m === null) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 65_536) return undefined;
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out.length === 0 ? undefined : [...new Set(out)].sort((a, b) => a - b);
}

/** The topology of `cpus` from files under a sysfs-like tree read through `read` (undefined: missing). */
function parseTopology(cpus: readonly number[], read: (file: string) => string | undefined): Topology {
  const infos: CpuInfo[] = [];
  for (const cpu of cpus) {
    const dir = `cpu${cpu}/topology`;
    const siblings = parseCpuList(read(`${dir}/thread_siblings_list`) ?? '');
    const core = Number.parseInt(read(`${dir}/core_id`) ?? '', 10);
    const pkg = Number.parseInt(read(`${dir}/physical_package_id`) ?? '', 10);
    if (siblings === undefined || !siblings.includes(cpu)) return fallback(cpus);
    infos.push({ cpu, pkg: Number.isNaN(pkg) ? -1 : pkg, core: Number.isNaN(core) ? -1 : core, siblings });
  }
  return { cpus: infos, source: 'sysfs' };
}

function fallback(cpus: readonly number[]): Topology {
  return { cpus: cpus.map((cpu) => ({ cpu, pkg: -1, core: -1, siblings: [cpu] })), source: 'fallback' };
}

/** Reads the topology of `cpus` from sysfs (`root` for tests). Never throws. */
export function readTopology(cpus: readonly number[], root = SYSFS_CPU): Topology {
  return parseTopology(cpus, (file) => {
    try {
      return readFileSync(path.join(root, file), 'utf8');
    } catch {
      return undefined;
    }
  });
}

/**
 * Domain id of each CPU: dense 0, 1, … in order of first appearance. `physical-core`: SMT
 * siblings (same package and sibling set) share one; `cpu`: one per CPU; `none`: no domains.
 */
export function domainsOf(topology: Topology, mode: FaultDomainMode): Map<number, number> | undefined {
  if (mode === 'none') return undefined;
  const keys = new Map<string, number>();
  const out = new Map<number, number>();
  for (const info of topology.cpus) {
    const key = mode === 'cpu' ? `cpu${info.cpu}` : `${info.pkg}:${info.siblings.join(',')}`;
    let id = keys.get(key);
    if (id === undefined) keys.set(key, (id = keys.size));
    out.set(info.cpu, id);
  }
  return out;
}

/**
 * `cpus` reordered so that consecutive CPUs lie in distinct domains (round-robin over the
 * domains), so cores assigned round-robin to CPUs spread over domains first.
 */
export function spreadCpus(cpus: readonly number[], domains: ReadonlyMap<number, number> | undefined): number[] {
  if (domains === undefined) return [...cpus];
  const byDomain = new Map<number, number[]>();
  for (const cpu of cpus) {
    const d = domains.get(cpu) ?? -1 - cpu;
    const list = byDomain.get(d);
    if (list === undefined) byDomain.set(d, [cpu]);
    else list.push(cpu);
  }
  const lists = [...byDomain.values()];
  const out: number[] = [];
  for (let i = 0; out.length < cpus.length; i++) for (const list of lists) if (i < list.length) out.push(list[i]!);
  return out;
}

/** Distinct domains the first `cores` cores land on (they take `cpus` round-robin). */
export function domainCount(cpus: readonly number[], cores: number, domains: ReadonlyMap<number, number>): number {
  const seen = new Set<number>();
  for (let i = 0; i < Math.min(cores, cpus.length); i++) seen.add(domains.get(cpus[i]!) ?? -1 - cpus[i]!);
  return seen.size;
}

/** Throws ERR_INVALID_OPTION naming faultDomain when the cores span fewer domains than k replicas need. */
export function checkDomains(mode: FaultDomainMode, found: number, k: number, cpus: readonly number[]): void {
  if (mode === 'none' || found >= k) return;
  const what = mode === 'physical-core' ? 'physical cores (SMT siblings count as one)' : 'CPUs';
  throw invalidOption(
    'faultDomain',
    `a mode giving at least ${k} fault domains for ${k === 3 ? 'TMR' : 'DMR'} (each replica of a task runs in its own domain); ` +
      `'${mode}' finds ${found} ${what} among CPUs [${cpus.join(', ')}]. Use ` +
      (k === 3 && found === 2 ? `redundancy 'dmr' (with exactly 2 domains a disagreement is only detected), ` : '') +
      `more CPUs, or faultDomain 'none' (--fault-domain none on the CLI; replicas share CPUs: tests and demos only)`,
    mode,
    'range',
  );
}
