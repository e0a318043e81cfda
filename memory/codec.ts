/**
 * Compact storage of modulations. The amortizer ends in tanh, so every value is in [-1, 1] and int8
 * with a fixed scale loses nothing to clipping: T*M bytes per passage (2 KB for 16 x 128).
 */
export type Codec = 'int8' | 'fp16' | 'fp32';

export function encodeModulation(values: Float32Array, codec: Codec): Buffer {
  if (codec === 'fp32') return Buffer.from(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  if (codec === 'int8') {
    const out = Buffer.alloc(values.length);
    for (let i = 0; i < values.length; i++) out.writeInt8(Math.max(-127, Math.min(127, Math.round(values[i] * 127))), i);
    return out;
  }
  const out = Buffer.alloc(values.length * 2);
  for (let i = 0; i < values.length; i++) out.writeUInt16LE(toHalf(values[i]), i * 2);
  return out;
}

export function decodeModulation(blob: Buffer, codec: Codec): Float32Array {
  if (codec === 'fp32') return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
  if (codec === 'int8') {
    const out = new Float32Array(blob.length);
    for (let i = 0; i < blob.length; i++) out[i] = blob.readInt8(i) / 127;
    return out;
  }
  const out = new Float32Array(blob.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = fromHalf(blob.readUInt16LE(i * 2));
  return out;
}

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

function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (mantissa / 1024);
  if (exp === 31) return mantissa ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + mantissa / 1024);
}
