import { readFileSync } from 'node:fs';

/**
 * What decoding takes from the bytes of the bundle's fused LM graph (mac/fused_lm.py), without
 * re-exporting it: one more output per layer, an input that says which positions get logits, and the
 * graph's own rotary tables.
 *
 * The output is the attention's packed query/key/value projection (`layers.{l}.qkv`, [batch, sequence,
 * (H + 2 H_kv) D], keys not yet rotated), so that a decode step can return what is new (one position of
 * keys and values per layer) instead of the whole cache.
 *
 * onnxruntime-node copies every output into a fresh JavaScript array, and a `present` output is the
 * whole cache: at 8 answers x 650 positions that is 240 MB copied per step, more than the step itself.
 * A step that fetches only the logits and these projections copies kilobytes.
 *
 * The input is `logits_from` (int64 [1]): the LM head reads the final hidden states from that position
 * on, so a prompt pass that only picks the next token asks for its last position and skips the head
 * (576 x 49,152 multiply-adds a position, ~16% of a 150-token pass) over the rest; 0 gives every
 * position, as exported. onnxruntime runs every node of a session's plan whatever is fetched, so the
 * head itself must read fewer rows: a Slice is put in front of it.
 *
 * Both are made on the bytes of the bundle's own file, not by re-exporting: a protobuf parser merges a
 * repeated embedded message field (ModelProto.graph = 7) met twice, so a second `graph` holding only
 * new `node`, `initializer`, `input` and `output` entries appends them to the first. The head's node
 * is the one entry moved: dropped from the first graph and appended, reading the Slice, after it.
 * Weights and the bundle's hashes stay as exported.
 *
 * The new key is rotated outside the graph with the graph's own tables (`cos_cache`, `sin_cache`) and
 * the rounding GroupQueryAttention's kernel uses, so the cache holds exactly what the graph would have
 * written (tests/batching.test.ts compares; a double-precision rotation differs in ~half the values' last bits).
 */
export const qkvOutput = (layer: number) => `layers.${layer}.qkv`;

/** The input naming the first position the LM head reads (bundle/lm-graph.ts). */
export const LOGITS_FROM = 'logits_from';

// protobuf field numbers used below
const MODEL_GRAPH = 7;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;
const [FLOAT, INT64] = [1, 7];

/** The LM graph as decoding runs it: the `layers.{l}.qkv` outputs added, the head reading from `logits_from` on. */
export function readDecodingGraph(path: string, layers: number): Uint8Array {
  const src: Uint8Array = readFileSync(path);
  const graph = first(fields(src, 0, src.length, MODEL_GRAPH), `${path} holds no graph`);
  const head = first(
    [...fields(src, graph.start, graph.end, GRAPH.node)].filter((n) => strings(src, n, NODE.output).includes('logits')),
    `${path}: no node writes 'logits'`,
  );
  const [hidden, ...weights] = strings(src, head, NODE.input);
  const sliced = `${hidden}.from`;
  // TypeProto.tensor_type: the element type, and the shape when given
  const tensorType = (elem: number, dims?: number[]) =>
    message([field(1, message([varintField(1, elem), ...(dims ? [field(2, message(dims.map((d) => field(1, varintField(1, d)))))] : [])]))]);
  const int64Const = (name: string, value: bigint) =>
    message([varintField(TENSOR.dims, 1), varintField(TENSOR.dataType, INT64), field(TENSOR.name, utf8(name)), field(TENSOR.rawData, new Uint8Array(BigInt64Array.of(value).buffer))]);
  const node = (opType: string, name: string, inputs: string[], outputs: string[], rest: Uint8Array[] = []) =>
    message([...inputs.map((i) => field(NODE.input, utf8(i))), ...outputs.map((o) => field(NODE.output, utf8(o))), field(NODE.name, utf8(name)), field(NODE.opType, utf8(opType)), ...rest]);
  // the head's own fields but its inputs, outputs, name and op type (its attributes and domain) carried over as they are
  const headRest = [...fields(src, head.start, head.end)].filter((f) => f.num !== NODE.input && f.num !== NODE.output && f.num !== NODE.name && f.num !== NODE.opType);
  const headOp = strings(src, head, NODE.opType)[0];
  const headName = strings(src, head, NODE.name)[0] ?? 'logits';
  const extra = field(MODEL_GRAPH, message([
    field(GRAPH.node, node('Slice', 'logits.slice', [hidden, LOGITS_FROM, 'logits.slice.end', 'logits.slice.axis'], [sliced])),
    field(GRAPH.node, node(headOp, headName, [sliced, ...weights], ['logits'], headRest.map((f) => src.subarray(f.tagStart, f.end)))),
    field(GRAPH.initializer, int64Const('logits.slice.end', 2n ** 62n)),
    field(GRAPH.initializer, int64Const('logits.slice.axis', 1n)),
    field(GRAPH.input, message([field(1, utf8(LOGITS_FROM)), field(2, tensorType(INT64, [1]))])),
    ...Array.from({ length: layers }, (_, l) => field(GRAPH.output, message([field(1, utf8(qkvOutput(l))), field(2, tensorType(FLOAT))]))),
  ]));
  // the first graph without the head's node: a new length, the bytes around the node unchanged
  const graphLength = graph.end - graph.start - (head.end - head.tagStart);
  const parts = [
    src.subarray(0, graph.tagStart), varint((MODEL_GRAPH << 3) | 2), varint(graphLength),
    src.subarray(graph.start, head.tagStart), src.subarray(head.end, graph.end), src.subarray(graph.end), extra,
  ];
  return concat(parts);
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

/** A field of a protobuf message: its number, where its tag begins, and its payload `[start, end)`. */
interface Field {
  num: number;
  tagStart: number;
  start: number;
  end: number;
}

/** The strings in the fields numbered `num` of the message `within`. */
function strings(buf: Uint8Array, within: Field, num: number): string[] {
  return [...fields(buf, within.start, within.end, num)].map((f) => new TextDecoder().decode(buf.subarray(f.start, f.end)));
}

function first<T>(items: Iterable<T>, missing: string): T {
  for (const item of items) return item;
  throw new Error(missing);
}

/** The fields of a protobuf message in `buf[start, end)` (only those numbered `only`, if given). */
function* fields(buf: Uint8Array, start: number, end: number, only?: number): Generator<Field> {
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
    const tagStart = at;
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
    if (only === undefined || num === only) yield { num, tagStart, start: from, end: at };
  }
}

// Protobuf encoding, just what readDecodingGraph needs: length-delimited fields (wire type 2) and varints (0).
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
