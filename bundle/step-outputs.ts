/**
 * The LM graph with one more output per layer: the attention's packed query/key/value projection
 * (`layers.{l}.qkv`, [batch, sequence, (H + 2 H_kv) D], keys not yet rotated), so that a decode step can
 * return what is new (one position of keys and values per layer) instead of the whole cache.
 *
 * onnxruntime-node copies every output into a fresh JavaScript array, and a `present` output is the
 * whole cache: at 8 answers x 650 positions that is 240 MB copied per step, more than the step itself.
 * A step that fetches only the logits and these projections copies kilobytes.
 *
 * The outputs are added without re-exporting, to the bytes of the bundle's own file: a protobuf parser
 * merges a repeated embedded message field (ModelProto.graph = 7) met twice, so a second `graph`
 * holding only the new `output` entries (GraphProto.output = 12) appends them to the first. Weights,
 * nodes and the bundle's hashes stay as exported.
 */
export const qkvOutput = (layer: number) => `layers.${layer}.qkv`;

export function withQkvOutputs(model: Uint8Array, layers: number): Uint8Array {
  const FLOAT = 1;
  const outputs = Array.from({ length: layers }, (_, l) =>
    field(12, message([field(1, utf8(qkvOutput(l))), field(2, message([field(1, message([varintField(1, FLOAT)]))]))])),
  );
  const extra = field(7, message(outputs));
  const out = new Uint8Array(model.length + extra.length);
  out.set(model);
  out.set(extra, model.length);
  return out;
}

// Protobuf wire format, just what the above needs: length-delimited fields (wire type 2) and varints (0).
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
