/** Resolution of the `faultDomain` option: the topology read once, CPUs spread over domains, the domain count checked. */
import { invalidOption } from '../errors.js';
import { DEFAULT_FAULT_DOMAIN } from '../options/defaults.js';
import { checkDomains, domainCount, domainsOf, FAULT_DOMAIN_MODES, readTopology, spreadCpus, type FaultDomainMode, type Topology } from '../cores/topology.js';

export interface ResolvedDomains {
  faultDomain: FaultDomainMode;
  /** The CPUs in the order cores take them (round-robin), spread over domains first. */
  cpus: number[];
  /** Fault domain of cpus[i]; undefined with faultDomain 'none'. */
  cpuDomains: number[] | undefined;
}

const ONE_OF = `one of ${FAULT_DOMAIN_MODES.map((m) => `'${m}'`).join(', ')}`;

/** `topology` is injected for tests (fixture trees); the pool reads sysfs. */
export function resolveDomains(
  value: unknown,
  cpus: readonly number[],
  cores: number,
  k: number,
  topology: (cpus: readonly number[]) => Topology = readTopology,
): ResolvedDomains {
  if (value !== undefined && typeof value !== 'string') throw invalidOption('faultDomain', ONE_OF, value, 'type');
  const mode = (value ?? DEFAULT_FAULT_DOMAIN) as FaultDomainMode;
  if (!FAULT_DOMAIN_MODES.includes(mode)) throw invalidOption('faultDomain', ONE_OF, value, 'range');
  const domains = domainsOf(topology(cpus), mode);
  if (domains === undefined) return { faultDomain: mode, cpus: [...cpus], cpuDomains: undefined };
  const spread = spreadCpus(cpus, domains);
  checkDomains(mode, domainCount(spread, cores, domains), k, spread);
  return { faultDomain: mode, cpus: spread, cpuDomains: spread.map((cpu) => domains.get(cpu)!) };
}
