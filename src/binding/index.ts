import { invalidOption } from '../errors.js';
import type { Random } from '../util/random.js';
import { DynamicBinding } from './dynamic.js';
import { StaticBinding } from './static.js';
import type { BindingPolicy, CoreView } from './types.js';

export * from './types.js';
export { StaticBinding } from './static.js';
export { DynamicBinding, type DynamicBindingOptions } from './dynamic.js';

/**
 * Static binding needs one whole group of k cores beside its spares: more spares are refused
 * (ERR_INVALID_OPTION naming `spares`). The pool's options and the simulator's scenarios both ask here.
 */
export function checkSpares(binding: 'static' | 'dynamic', cores: number, k: number, spares: number): void {
  if (binding === 'static' && cores - spares < k) {
    throw invalidOption('spares', `at most ${cores - k} (static binding needs one group of ${k} cores beside the spares)`, spares, 'range');
  }
}

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
