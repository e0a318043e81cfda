import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HnswIndex } from './hnsw-index.ts';

const unit = (seed: number, dim = 16) => {
  const v = Float32Array.from({ length: dim }, (_, i) => Math.sin(seed * 7.1 + i * 1.3));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
};
const bytesOf = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

describe('HnswIndex', () => {
  it('forgets a removed passage in search, in size and in the file it saves next', () => {
    const index = HnswIndex.create(16);
    for (let id = 1; id <= 20; id++) index.add(id, unit(id));
    const path = join(mkdtempSync(join(tmpdir(), 'hnsw-')), 'index.hnsw');
    index.save(path);
    expect(readFileSync(path).includes(bytesOf(unit(7)))).toBe(true); // the file does hold vectors

    index.remove(7);
    index.remove(7); // twice: no-op
    index.remove(999); // never added: no-op
    expect(index.size()).toBe(19);
    expect(index.search(unit(7), 5).map((n) => n.id)).not.toContain(7);
    expect(index.ids()).not.toContain(7);
    index.save(path);
    const saved = readFileSync(path);
    expect(saved.includes(bytesOf(unit(7)))).toBe(false);
    expect(saved.includes(bytesOf(unit(8)))).toBe(true);

    const loaded = HnswIndex.load(path, 16)!;
    expect(loaded.search(unit(8), 1)[0].id).toBe(8);
    index.add(7, unit(7)); // a passage id may come back (a restored backup)
    expect(index.search(unit(7), 1)[0].id).toBe(7);
  });
});
