/** A mutable stand-in for the pool's core records, as binding policies see them (CoreView). */
export interface FakeCore {
  id: number;
  cpu: number;
  enabled: boolean;
  excludedKinds: Set<string>;
  busy: boolean;
  speed: number;
  lastFaultAt: number;
}
