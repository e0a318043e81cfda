import { closeSync, openSync, readSync, statSync } from 'node:fs';

/**
 * What decoding takes from the bytes of the bundle's fused LM graph (mac/fused_lm.py), without
 * re-exporting it: one more output per layer, and the graph's own rotary tables.
 *
 * The output is the attention's packed query/key/value projection (`layers.{l}.qkv`, [batch, sequence,
 * (H + 2 H_kv) D], keys not yet rotated), so that a decode step can return what is new (one position of
 * keys and values per layer) instead of the whole cache.
 *
 * onnxruntime-node copies every output into a fresh JavaScript array, and a `present` output is the
 * whole cache: at 8 answers x 650 positions that is 240 MB copied per step, more than the step itself.
 * A step that fetches only the logits and these projections copies kilobytes.
 *
 * The outputs are added without re-exporting, to the bytes of the bundle's own file: a protobuf parser
 * merges a repeated embedded message field (ModelProto.graph = 7) met twice, so a second `graph`
 * holding only the new `output` entries (GraphProto.output = 12) appends them to the first. Weights,
 * nodes and the bundle's hashes stay as exported.
 *
 * The new key is rotated outside the graph with the graph's own tables (`cos_cache`, `sin_cache`) and
 * the rounding GroupQueryAttention's kernel uses, so the cache holds exactly what the graph would have
 * written (tests/batching.test.ts compares; a double-precision rotation differs in ~half the values' last bits).
 */
export const qkvOutput = (layer: number) => `layers.${layer}.qkv`;

export function readWithQkvOutputs(path: string, layers: number): Uint8Array {
  const FLOAT = 1;
  const outputs = Array.from({ length: layers }, (_, l) =>
    field(12, message([field(1, utf8(qkvOutput(l))), field(2, message([field(1, message([varintField(1, FLOAT)]))]))])),
  );
  const extra = field(7, message(outputs));
  // read straight into a buffer with room for the addition: the file is hundreds of MB, so no second copy
  const size = statSync(path).size;
  const out = new Uint8Array(size + extra.length);
  const fd = openSync(path, 'r');
  try {
    for (let at = 0; at < size; ) {
      const n = readSync(fd, out, at, size - at, at);
      if (n <= 0) throw new Error(`${path} ended after ${at} of ${size} bytes`);
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  out.set(extra, size);
  return out;
}

export interface RotaryTables {
  cos: Float32Array;
  sin: Float32Array;
  /** Half the head dimension: the tables are [positions, half]. */
  half: number;
}

/** The graph's rotary tables, read from its initializers. */
export function readRotaryTables(model: Uint8Array, headDim: number): RotaryTables {
  const tables = new Map<string, Float32Array>();
  for (const graph of fields(model, 0, model.length, 7)) {
    for (const init of fields(model, graph.start, graph.end, 5)) {
      let name = '';
      let raw: Uint8Array | null = null;
      for (const f of fields(model, init.start, init.end)) {
        if (f.num === 8) name = new TextDecoder().decode(model.subarray(f.start, f.end));
        if (f.num === 9) raw = model.subarray(f.start, f.end);
      }
      if ((name === 'cos_cache' || name === 'sin_cache') && raw) tables.set(name, new Float32Array(Uint8Array.from(raw).buffer));
    }
  }
  const [cos, sin] = [tables.get('cos_cache'), tables.get('sin_cache')];
  if (!cos || !sin) throw new Error('the LM graph has no cos_cache/sin_cache initializers (raw float data)');
  return { cos, sin, half: headDim / 2 };
}

/**
 * Rotates the key `src[from .. from + 2 half)` to `position` into `dst[to ..]`, rounding as the graph's
 * kernel does: x1 cos - round(x2 sin) and round(x2 cos) + x1 sin, each rounded once to float32.
 */
export function rotateNewKey(src: Float32Array, from: number, dst: Float32Array, to: number, position: number, t: RotaryTables): void {
  const row = position * t.half;
  for (let i = 0; i < t.half; i++) {
    const c = t.cos[row + i];
    const s = t.sin[row + i];
    const x1 = src[from + i];
    const x2 = src[from + t.half + i];
    dst[to + i] = x1 * c - Math.fround(x2 * s);
    dst[to + t.half + i] = Math.fround(x2 * c) + x1 * s;
  }
}

/** The fields of a protobuf message in `buf[start, end)` (only those numbered `only`, if given). */
function* fields(buf: Uint8Array, start: number, end: number, only?: number): Generator<{ num: number; start: number; end: number }> {
  let at = start;
  const varint = () => {
    let value = 0;
    let scale = 1;
    let byte: number;
    do {
      byte = buf[at++];
      value += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte & 0x80);
    return value;
  };
  while (at < end) {
    const tag = varint();
    const num = Math.floor(tag / 8);
    const wire = tag & 7;
    let from = at;
    if (wire === 0) varint();
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const length = varint();
      from = at;
      at += length;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    if (only === undefined || num === only) yield { num, start: from, end: at };
  }
}

// Protobuf encoding, just what readWithQkvOutputs needs: length-delimited fields (wire type 2) and varints (0).
const utf8 = (s: string) => new TextEncoder().encode(s);
const message = (parts: Uint8Array[]) => concat(parts);
const field = (num: number, payload: Uint8Array) => concat([varint((num << 3) | 2), varint(payload.length), payload]);
const varintField = (num: number, value: number) => concat([varint(num << 3), varint(value)]);

function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return Uint8Array.from(bytes);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
