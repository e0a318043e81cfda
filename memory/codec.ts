/**
 * Compact storage of passage memories (the LM's key/value vectors), in groups of 32 values; a group never
 * mixes two key or value vectors when the head dim is a multiple of 32 (64 here).
 * - `q8`: int8 values with one fp32 scale per group (the group's largest magnitude maps to 127): 36 bytes
 *   per 32 values.
 * - `q4`: 4-bit codes with an fp16 minimum and step per group (the group's range in 15 steps), after a
 *   4-byte count: 20 bytes per 32 values, 0.56x of q8.
 */
import { CODECS, type Codec, type StoredMemory } from './types.ts';

export { CODECS, type Codec };

const GROUP = 32;

export function encodeModulation(values: Float32Array, codec: Codec): Buffer {
  if (codec === 'fp32') return Buffer.from(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  if (codec === 'q8') {
    const groups = Math.ceil(values.length / GROUP);
    const out = Buffer.alloc(values.length + groups * 4);
    for (let g = 0; g < groups; g++) {
      const start = g * GROUP;
      const end = Math.min(start + GROUP, values.length);
      let max = 0;
      for (let i = start; i < end; i++) max = Math.max(max, Math.abs(values[i]));
      const scale = Math.fround(max / 127); // the scale as it will be read back
      out.writeFloatLE(scale, values.length + g * 4);
      for (let i = start; i < end; i++) out.writeInt8(scale > 0 ? Math.max(-127, Math.min(127, Math.round(values[i] / scale))) : 0, i);
    }
    return out;
  }
  if (codec === 'q4') return encodeQ4(values);
  const out = Buffer.alloc(values.length * 2);
  for (let i = 0; i < values.length; i++) out.writeUInt16LE(toHalf(values[i]), i * 2);
  return out;
}

export function decodeModulation(stored: Uint8Array, codec: Codec): Float32Array {
  const blob = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  if (codec === 'fp32') return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
  if (codec === 'q8') {
    // n values + 4 bytes per group of 32: the group count g = ceil(length / 36), n = length - 4g.
    // Typed views, not Buffer reads: this runs for every memory an answer reads (~800k values each).
    const n = blob.length - 4 * Math.ceil(blob.length / (GROUP + 4));
    const values = new Int8Array(blob.buffer, blob.byteOffset, n);
    const scales = new DataView(blob.buffer, blob.byteOffset + n, blob.length - n);
    const out = new Float32Array(n);
    for (let g = 0; g * GROUP < n; g++) {
      const scale = scales.getFloat32(g * 4, true);
      const end = Math.min((g + 1) * GROUP, n);
      for (let i = g * GROUP; i < end; i++) out[i] = values[i] * scale;
    }
    return out;
  }
  if (codec === 'q4') return decodeQ4(blob);
  const out = new Float32Array(blob.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = HALF[blob.readUInt16LE(i * 2)];
  return out;
}

/** Layout: uint32 count n, then per group an fp16 minimum and an fp16 step, then the codes, two per byte (low nibble first). */
function encodeQ4(values: Float32Array): Buffer {
  const n = values.length;
  const groups = Math.ceil(n / GROUP);
  const codes = 4 + groups * 4;
  const out = Buffer.alloc(codes + Math.ceil(n / 2));
  out.writeUInt32LE(n, 0);
  for (let g = 0; g < groups; g++) {
    const start = g * GROUP;
    const end = Math.min(start + GROUP, n);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = start; i < end; i++) {
      const v = values[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    // quantize against the minimum and step as they will be read back
    const minHalf = toHalf(lo);
    const min = HALF[minHalf];
    const stepHalf = toHalf(Math.max(0, hi - min) / 15);
    const step = HALF[stepHalf];
    out.writeUInt16LE(minHalf, 4 + g * 4);
    out.writeUInt16LE(stepHalf, 6 + g * 4);
    if (step === 0) continue; // every code 0: the group is its minimum
    const inv = 1 / step;
    for (let i = start; i < end; i++) {
      // values[i] - min >= 0 up to fp16's rounding of the minimum: rounding is flooring x + 0.5
      const q = Math.max(0, Math.min(15, ((values[i] - min) * inv + 0.5) | 0));
      out[codes + (i >> 1)] |= i & 1 ? q << 4 : q;
    }
  }
  return out;
}

function decodeQ4(blob: Buffer): Float32Array {
  const n = blob.readUInt32LE(0);
  const groups = Math.ceil(n / GROUP);
  const codes = new Uint8Array(blob.buffer, blob.byteOffset + 4 + groups * 4, Math.ceil(n / 2));
  const out = new Float32Array(n);
  for (let g = 0; g < groups; g++) {
    const min = HALF[blob.readUInt16LE(4 + g * 4)];
    const step = HALF[blob.readUInt16LE(6 + g * 4)];
    const end = Math.min((g + 1) * GROUP, n);
    // two values per byte (groups start at even offsets, so a byte never spans two groups)
    let i = g * GROUP;
    for (; i + 1 < end; i += 2) {
      const byte = codes[i >> 1];
      out[i] = min + (byte & 15) * step;
      out[i + 1] = min + (byte >> 4) * step;
    }
    if (i < end) out[i] = min + (codes[i >> 1] & 15) * step;
  }
  return out;
}

/** Values as a memory is stored: their bytes in `codec`. */
export const storedMemory = (values: Float32Array, codec: Codec): StoredMemory => ({ codec, bytes: encodeModulation(values, codec) });

export const float32ToBlob = (v: Float32Array) => encodeModulation(v, 'fp32');
export const blobToFloat32 = (b: Buffer) => decodeModulation(b, 'fp32');

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mantissa = x & 0x7fffff;
  if (exp <= 0) return sign; // underflow to signed zero (values here are far from the subnormal range)
  if (exp >= 31) return sign | 0x7c00;
  const rounded = (exp << 10) | (mantissa >>> 13);
  return sign | (rounded + ((mantissa >>> 12) & 1));
}

/** Every fp16 bit pattern's value, so decoding reads a table instead of computing powers. */
const HALF = Float32Array.from({ length: 65536 }, (_, h) => fromHalf(h));

function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (mantissa / 1024);
  if (exp === 31) return mantissa ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + mantissa / 1024);
}
