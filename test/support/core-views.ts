/** A mutable stand-in for the pool's core records, as binding policies see them (CoreView). */
export interface FakeCore {
  id: number;
  cpu: number;
  enabled: boolean;
  excludedKinds: Set<string>;
  busy: boolean;
  speed: number;
  lastFaultAt: number;
  /** Fault domain; absent: none declared. */
  domain?: number;
}

/** n idle, enabled cores; core i on CPU i % cpus (how the pool deals cores over CPUs). */
export function fakeCores(n: number, cpus = n): FakeCore[] {
  return Array.from({ length: n }, (_, id) => ({
    id,
    cpu: id % cpus,
    enabled: true,
    excludedKinds: new Set<string>(),
    busy: false,
    speed: 1,
    lastFaultAt: -Infinity,
  }));
}
