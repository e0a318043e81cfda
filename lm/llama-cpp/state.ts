/**
 * llama.cpp's sequence state file (`llama_state_seq_save_file` / `_load_file`, format 3), the documented way
 * to put a KV cache into a llama.cpp sequence: here, the memory prefix. Layout, little-endian:
 *
 *   u32 magic 'ggsq', u32 version 3, u32 n_tokens, u32 tokens[n_tokens]
 *   u32 n_streams (the context's), then per stream: u32 cells (0: the sequence is not in it), and if any
 *   u32 cells, per cell { i32 position, u32 n_seq (1), i32 seq_id }
 *   u32 v_trans, u32 layers
 *   per layer: i32 key type, u64 row bytes, rows[cells]              (a row: every kv head's key, head-major)
 *   per layer, v_trans 0: i32 value type, u64 row bytes, rows[cells]
 *   per layer, v_trans 1: i32 value type, u32 element bytes, u32 row width, then column by column
 *
 * On loading, llama.cpp moves the cells into whichever stream the loading sequence uses; the stream count
 * must be the context's, so it is part of the layout read from a state the context wrote.
 *
 * Keys differ from the ONNX LM's in one way: the GGUF stores Q and K projections permuted so that llama.cpp's
 * rotary embedding, which rotates adjacent pairs (2i, 2i+1), equals the Hugging Face one, which rotates
 * (i, i + D/2). A key written here moves dimension i + h*D/2 (h = 0, 1) to 2i + h; values are as they are.
 */

const MAGIC = 0x67677371;
const VERSION = 3;
/** ggml types a cache row may have: the only two whose bytes are plain floats. */
const F32 = 0;
const F16 = 1;

/** How a llama.cpp context stores its cache, read from a state it wrote (see `stateLayout`). */
export interface StateLayout {
  streams: number;
  layers: number;
  keyType: number;
  valueType: number;
  vTrans: boolean;
}

/** A KV cache per layer as the ONNX LM holds it: [H, P, D] floats (the batch axis of 1 dropped). */
export interface KvPrefix {
  keys: Float32Array[];
  values: Float32Array[];
  length: number;
}

export interface Dims {
  heads: number;
  headDim: number;
}

/** The layout of a state file llama.cpp wrote (any length): read once at start-up from a one-token state. */
export function stateLayout(file: Uint8Array): StateLayout {
  const r = new Reader(file);
  const { streams } = header(r);
  let cells = 0;
  for (let s = 0; s < streams && !cells; s++) cells = r.u32();
  if (!cells) throw new Error('a llama.cpp sequence state with no cells: its layout cannot be read');
  for (let c = 0; c < cells; c++) r.skip(4 + 4 * r.at(4) + 4); // position, n_seq, seq ids
  const vTrans = r.u32() === 1;
  const layers = r.u32();
  const keyType = r.i32();
  const keyRow = Number(r.u64());
  r.skip(cells * keyRow);
  for (let l = 1; l < layers; l++) r.skip(4 + 8 + cells * Number(r.at(4, 8)));
  const valueType = r.i32();
  for (const [name, type] of [['key', keyType], ['value', valueType]] as const) {
    if (type !== F16 && type !== F32) throw new Error(`llama.cpp keeps its ${name} cache as ggml type ${type}; the memory prefix needs F16 or F32`);
  }
  return { streams, layers, keyType, valueType, vTrans };
}

/** The state file of a sequence holding only `prefix`, at positions 0..P-1 (the ONNX LM's too). */
export function writeState(prefix: KvPrefix, dims: Dims, layout: StateLayout): Uint8Array {
  const { heads: H, headDim: D } = dims;
  const P = prefix.length;
  const E = H * D;
  const keySize = layout.keyType === F16 ? 2 : 4;
  const valueSize = layout.valueType === F16 ? 2 : 4;
  const bytes = 4 * (3 + P) + 4 * (1 + layout.streams) + 12 * P + 8 + layout.layers * (12 + P * E * keySize + (layout.vTrans ? 12 : 12) + P * E * valueSize);
  const w = new Writer(bytes);
  w.u32(MAGIC).u32(VERSION).u32(P);
  for (let p = 0; p < P; p++) w.u32(0); // no text stands for the prefix's cells
  w.u32(layout.streams).u32(P);
  for (let p = 0; p < P; p++) w.i32(p).u32(1).i32(0);
  w.u32(layout.vTrans ? 1 : 0).u32(layout.layers);
  for (let l = 0; l < layout.layers; l++) {
    const k = prefix.keys[l];
    w.i32(layout.keyType).u64(E * keySize);
    for (let p = 0; p < P; p++) {
      for (let h = 0; h < H; h++) for (let d = 0; d < D; d++) w.float(k[(h * P + p) * D + ggufToHf(d, D)], layout.keyType);
    }
  }
  for (let l = 0; l < layout.layers; l++) {
    const v = prefix.values[l];
    if (!layout.vTrans) {
      w.i32(layout.valueType).u64(E * valueSize);
      for (let p = 0; p < P; p++) for (let h = 0; h < H; h++) for (let d = 0; d < D; d++) w.float(v[(h * P + p) * D + d], layout.valueType);
    } else {
      w.i32(layout.valueType).u32(valueSize).u32(E);
      for (let h = 0; h < H; h++) for (let d = 0; d < D; d++) for (let p = 0; p < P; p++) w.float(v[(h * P + p) * D + d], layout.valueType);
    }
  }
  for (let s = 1; s < layout.streams; s++) w.u32(0); // the other streams: no cells
  return w.done();
}

/** A state file's tokens, positions and cache, keys back in the ONNX LM's order (the inverse of `writeState`). */
export function readState(file: Uint8Array, dims: Dims): KvPrefix & { tokens: number[]; positions: number[]; layout: StateLayout } {
  const { heads: H, headDim: D } = dims;
  const layout = stateLayout(file);
  const r = new Reader(file);
  const { tokens, streams } = header(r);
  let P = 0;
  for (let s = 0; s < streams && !P; s++) P = r.u32();
  const positions: number[] = [];
  for (let c = 0; c < P; c++) {
    positions.push(r.i32());
    r.skip(4 * r.u32());
  }
  r.skip(8);
  const keys: Float32Array[] = [];
  const values: Float32Array[] = [];
  for (let l = 0; l < layout.layers; l++) {
    r.skip(12);
    const k = new Float32Array(H * P * D);
    for (let p = 0; p < P; p++) for (let h = 0; h < H; h++) for (let d = 0; d < D; d++) k[(h * P + p) * D + ggufToHf(d, D)] = r.float(layout.keyType);
    keys.push(k);
  }
  for (let l = 0; l < layout.layers; l++) {
    r.skip(12);
    const v = new Float32Array(H * P * D);
    if (!layout.vTrans) for (let p = 0; p < P; p++) for (let h = 0; h < H; h++) for (let d = 0; d < D; d++) v[(h * P + p) * D + d] = r.float(layout.valueType);
    else for (let h = 0; h < H; h++) for (let d = 0; d < D; d++) for (let p = 0; p < P; p++) v[(h * P + p) * D + d] = r.float(layout.valueType);
    values.push(v);
  }
  return { tokens, positions, keys, values, length: P, layout };
}

/** The Hugging Face dimension a GGUF key dimension holds: 2i + h <- i + h*D/2. */
function ggufToHf(d: number, D: number): number {
  return (d & 1) * (D >> 1) + (d >> 1);
}

function header(r: Reader): { tokens: number[]; streams: number } {
  if (r.u32() !== MAGIC) throw new Error('not a llama.cpp sequence state (magic)');
  const version = r.u32();
  if (version !== VERSION) throw new Error(`llama.cpp sequence state version ${version}; this reader knows ${VERSION}`);
  const tokens = Array.from({ length: r.u32() }, () => r.u32());
  return { tokens, streams: r.u32() };
}

class Reader {
  private readonly view: DataView;
  private offset = 0;
  constructor(bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u32() { const x = this.view.getUint32(this.offset, true); this.offset += 4; return x; }
  i32() { const x = this.view.getInt32(this.offset, true); this.offset += 4; return x; }
  u64() { const x = this.view.getBigUint64(this.offset, true); this.offset += 8; return x; }
  /** The u32 (or u64) `ahead` bytes on, without moving. */
  at(ahead: number, size: 4 | 8 = 4): number {
    return size === 4 ? this.view.getUint32(this.offset + ahead, true) : Number(this.view.getBigUint64(this.offset + ahead, true));
  }
  skip(n: number) { this.offset += n; }
  float(type: number): number {
    const x = type === F16 ? fromHalf(this.view.getUint16(this.offset, true)) : this.view.getFloat32(this.offset, true);
    this.offset += type === F16 ? 2 : 4;
    return x;
  }
}

class Writer {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private offset = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u32(x: number) { this.view.setUint32(this.offset, x, true); this.offset += 4; return this; }
  i32(x: number) { this.view.setInt32(this.offset, x, true); this.offset += 4; return this; }
  u64(x: number) { this.view.setBigUint64(this.offset, BigInt(x), true); this.offset += 8; return this; }
  float(x: number, type: number) {
    if (type === F16) { this.view.setUint16(this.offset, toHalf(x), true); this.offset += 2; }
    else { this.view.setFloat32(this.offset, x, true); this.offset += 4; }
  }
  done(): Uint8Array {
    if (this.offset !== this.bytes.length) throw new Error(`state writer: wrote ${this.offset} of ${this.bytes.length} bytes`);
    return this.bytes;
  }
}

const scratch = new DataView(new ArrayBuffer(4));

/** IEEE half precision, rounded to nearest even (as ggml's F32 -> F16 conversion). */
export function toHalf(x: number): number {
  scratch.setFloat32(0, x);
  const u = scratch.getUint32(0);
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  let mant = u & 0x7fffff;
  if (((u >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf, nan
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // a carry into the exponent is still right
  return sign | half;
}

export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
