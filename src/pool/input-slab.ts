/** Queued tasks keep their small serialized inputs in shared slabs (util/slab.ts): see Slab. */
import { Slab } from '../util/slab.js';

const inputs = new Slab();

/** `bytes` (own buffer), or an identical view into a shared slab when it is small. */
export function compactInput(bytes: Uint8Array): Uint8Array {
  return bytes.byteLength > 1024 ? bytes : inputs.copy(bytes);
}
