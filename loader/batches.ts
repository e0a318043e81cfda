/** A request body's JSON bytes at most when documents are posted: half the service's default MAX_BODY_BYTES (2 MiB). */
const BATCH_BYTES = 1_000_000;

/** The documents in order, in batches of at most `maxDocs` documents and `maxBytes` of JSON (a larger document alone). */
export function batches<T>(docs: T[], maxDocs: number, maxBytes = BATCH_BYTES): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const doc of docs) {
    const size = Buffer.byteLength(JSON.stringify(doc));
    if (current.length && (current.length >= maxDocs || bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(doc);
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}
