// The bridge between the pure health model and the live cores, driven by scripted state changes.
import { describe, expect, it } from 'vitest';
import { createBinding } from '../dist/binding/index.js';
import { CoreHealth } from '../dist/health/core-health.js';
import { DEFAULT_HEALTH } from '../dist/health/defaults.js';
import { TypedEmitter } from '../dist/pool/events.js';
import { HealthBridge } from '../dist/pool/health-bridge.js';
import { resolveOptions } from '../dist/pool/options.js';
import { Stats } from '../dist/pool/stats.js';
import { systemClock } from '../dist/util/clock.js';
import { SeededRandom } from '../dist/util/random.js';
import { FakeCore } from './support/fake-core.js';

function bridgeOn(count: number) {
  const options = resolveOptions({ filename: '/dev/null/tasks.mjs', redundancy: 'dmr', cores: count, health: { selfTest: false } });
  const random = new SeededRandom(1);
  // The health model's records, scripted: the transitions below are applied to them as a model would.
  const views = Array.from({ length: count }, () => ({ serving: true, excluded: new Set<string>(), lastFaultAt: null }));
  const cores = views.map((view, id) => new FakeCore(id, id, () => 'ok', random.fork(), view));
  const health = new CoreHealth(
    cores.map((c) => c.id),
    DEFAULT_HEALTH,
    systemClock,
  );
  const policy = createBinding('dynamic', cores, options.k, 0, random.fork());
  const bridge = new HealthBridge(health, policy, cores, options, new TypedEmitter(), new Stats());
  const load = new Map<number, number>();
  bridge.loadOf = (core) => load.get(core.id) ?? 0;
  const effects = (core: number, from: string, to: string) => {
    views[core]!.serving = ['healthy', 'suspect', 'probation'].includes(to);
    return transition(core, from, to);
  };
  return { bridge, cores, load, effects };
}

const transition = (core: number, from: string, to: string) =>
  ({
    transitions: [{ core, from, to, reason: 'scripted', at: 0 }],
    exclusions: [],
    suspicions: [],
    charged: true,
  }) as never;

describe('health bridge', () => {
  it('a core disabled with replicas queued and re-enabled before they drained keeps its worker', () => {
    const { bridge, cores, load, effects } = bridgeOn(3);
    const core = cores[0]!;
    load.set(0, 2); // replicas still queued on it
    bridge.apply(effects(0, 'healthy', 'disabled'));
    expect(core.enabled).toBe(false);
    expect(core.started).toBe(true); // stopped only once idle
    bridge.apply(effects(0, 'disabled', 'probation'));
    expect(core.enabled).toBe(true);
    load.set(0, 0);
    bridge.coreIdle(core); // its queue drained: it serves again, so its worker must not be stopped
    expect(core.started).toBe(true);
    bridge.close();
  });

  it('a core disabled with replicas queued is stopped once they drained', () => {
    const { bridge, cores, load, effects } = bridgeOn(3);
    const core = cores[1]!;
    load.set(1, 1);
    bridge.apply(effects(1, 'healthy', 'disabled'));
    load.set(1, 0);
    bridge.coreIdle(core);
    expect(core.started).toBe(false);
    bridge.close();
  });
});
