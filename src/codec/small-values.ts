/**
 * The commonest task inputs and results — numbers, booleans, null, undefined — in the
 * v8.serialize format, without a Serializer or Deserializer object. Node builds one of those
 * per call (~1–2 µs and a few hundred bytes of garbage), against ~0.1 µs for these few bytes;
 * a 10 µs task paid it four times (input on the main thread, input and result in each
 * worker, result again on the main thread).
 *
 * Exactness: `v8.deserialize` reads every encoding written here back as the same value
 * (Object.is), and `decodeSmall` returns exactly what `v8.deserialize` returns for the bytes it
 * accepts (property-tested). The encoding is a function of the value alone, so replicas that
 * agree write equal bytes; bytes that differ still go to the digest comparison, as before.
 */
import { serialize } from 'node:v8';

/** What v8.serialize writes first: 0xFF and the format version of this Node. */
const VERSION = serialize(null)[1]!;
const TAG_INT = 0x49; // 'I': zigzag varint int32
const TAG_DOUBLE = 0x4e; // 'N': float64, little-endian
const CONSTANTS = new Map<number, unknown>([
  [0x54, true], // 'T'
  [0x46, false], // 'F'
  [0x30, null], // '0'
  [0x5f, undefined], // '_'
]);
const TAGS = new Map<unknown, number>([...CONSTANTS].map(([tag, value]) => [value, tag]));

/** Returned by decodeSmall for bytes it does not handle (decode them with v8.deserialize). */
export const NOT_SMALL = Symbol('not small');

/** The bytes of a number, boolean, null or undefined; undefined for any other value. */
export function encodeSmall(value: unknown): Uint8Array | undefined {
  const length = smallLength(value);
  if (length === 0) return undefined;
  const bytes = new Uint8Array(length);
  writeSmall(value, bytes);
  return bytes;
}

/**
 * The length of a number's, boolean's, null's or undefined's bytes; 0 for any other value. With
 * `writeSmall`, a caller writes them where they are kept (a slab) with no buffer of their own.
 */
export function smallLength(value: unknown): number {
  if (typeof value === 'number') return isInt32(value) ? 3 + varintLength(zigzag(value)) : 11;
  return TAGS.has(value) ? 3 : 0;
}

/** Writes the bytes of a value that `smallLength` measured (non-zero) into `out[0, length)`. */
export function writeSmall(value: unknown, out: Uint8Array): void {
  out[0] = 0xff;
  out[1] = VERSION;
  if (typeof value !== 'number') out[2] = TAGS.get(value)!;
  else if (isInt32(value)) writeInt(zigzag(value), out);
  else writeDouble(value, out);
}

function isInt32(value: number): boolean {
  return (value | 0) === value && !Object.is(value, -0);
}

function zigzag(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

function varintLength(zigzag: number): number {
  let length = 1;
  for (; zigzag >= 0x80; zigzag >>>= 7) length++;
  return length;
}

function writeInt(zigzag: number, out: Uint8Array): void {
  out[2] = TAG_INT;
  let at = 3;
  for (; zigzag >= 0x80; zigzag >>>= 7) out[at++] = (zigzag & 0x7f) | 0x80;
  out[at] = zigzag;
}

/** A double's 8 bytes, little-endian, through one scratch view (no DataView per value). */
const DOUBLE = new DataView(new ArrayBuffer(8));

function writeDouble(value: number, out: Uint8Array): void {
  out[2] = TAG_DOUBLE;
  DOUBLE.setFloat64(0, value, true);
  for (let i = 0; i < 8; i++) out[3 + i] = DOUBLE.getUint8(i);
}

/** The value of a number, boolean, null or undefined payload; NOT_SMALL for anything else. */
export function decodeSmall(bytes: Uint8Array): unknown {
  const length = bytes.byteLength;
  if (length < 3 || length > 11 || bytes[0] !== 0xff || bytes[1] !== VERSION) return NOT_SMALL;
  const tag = bytes[2]!;
  if (length === 3) return CONSTANTS.has(tag) ? CONSTANTS.get(tag) : NOT_SMALL;
  if (tag === TAG_DOUBLE) return length === 11 ? new DataView(bytes.buffer, bytes.byteOffset, length).getFloat64(3, true) : NOT_SMALL;
  return tag === TAG_INT ? decodeInt(bytes) : NOT_SMALL;
}

/** A zigzag varint that fills the payload exactly and fits 32 bits, as V8 writes an int32. */
function decodeInt(bytes: Uint8Array): unknown {
  let zigzag = 0;
  let shift = 0;
  for (let i = 3; i < bytes.byteLength; i++, shift += 7) {
    const byte = bytes[i]!;
    const last = i === bytes.byteLength - 1;
    if (shift > 28 || (shift === 28 && byte > 0x0f)) return NOT_SMALL; // beyond 32 bits: V8 decides
    zigzag |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return last ? (zigzag >>> 1) ^ -(zigzag & 1) : NOT_SMALL;
  }
  return NOT_SMALL;
}
