import { invalidOption } from '../errors.js';
import type { Random } from '../util/random.js';
import { DynamicBinding } from './dynamic.js';
import { StaticBinding } from './static.js';
import type { BindingPolicy, CoreView } from './types.js';

export * from './types.js';
export { StaticBinding } from './static.js';
export { DynamicBinding, type DynamicBindingOptions } from './dynamic.js';

/**
 * The binding policy named by the `binding` option. `spares` only matters to static binding:
 * under dynamic binding every enabled core is a spare for every task.
 */
export function createBinding(name: 'static' | 'dynamic', cores: readonly CoreView[], k: number, spares: number, random: Random): BindingPolicy {
  if (name === 'static') return new StaticBinding(cores, k, spares);
  if (name === 'dynamic') {
    const policy = new DynamicBinding({ random });
    policy.update(cores);
    return policy;
  }
  throw invalidOption('binding', "'static' or 'dynamic'", name);
}
