/**
 * v8.deserialize, except that every typed array, Buffer and DataView it rebuilds sits on an
 * ArrayBuffer of its own, exactly its size. Node's deserializer returns views into the bytes it
 * reads (or into Buffer's shared 8 KB pool when unaligned), so a task that read its input's
 * `.buffer` saw the serialization header, or other values' bytes, and computed a wrong answer that
 * every replica agreed on. A structured clone (what piscina sends) gives a task buffers of its own.
 */
import { DefaultDeserializer, serialize } from 'node:v8';

/** The deserializer's hook for host objects (typed arrays, Buffers, DataViews), which @types/node leaves out. */
interface HostObjectReader {
  _readHostObject(): unknown;
}
const readView = (DefaultDeserializer.prototype as unknown as HostObjectReader)._readHostObject;

class OwnBuffersDeserializer extends DefaultDeserializer {
  _readHostObject(): unknown {
    const view = readView.call(this);
    return ArrayBuffer.isView(view) ? ownView(view) : view;
  }
}

/** The value `bytes` (v8.serialize output) encodes; shares no memory with `bytes`. */
export function deserializeOwned(bytes: Uint8Array): unknown {
  const reader = new OwnBuffersDeserializer(bytes);
  reader.readHeader();
  return reader.readValue();
}

/** A copy of `view` of the same class over a new ArrayBuffer of exactly its bytes (offset 0). */
export function ownView(view: ArrayBufferView): ArrayBufferView {
  const buffer = new ArrayBuffer(view.byteLength);
  new Uint8Array(buffer).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  if (Buffer.isBuffer(view)) return Buffer.from(buffer);
  if (view instanceof DataView) return new DataView(buffer);
  return new (view.constructor as new (buffer: ArrayBuffer) => ArrayBufferView)(buffer);
}

/**
 * The value a replica receives for `value`: serialized as run() does, decoded as the worker does
 * (typed arrays on buffers of their own). Campaigns compute their golden answers on it.
 */
export function cloneForReplica<T>(value: T): T {
  return deserializeOwned(serialize(value)) as T;
}
