import { existsSync, rmSync } from 'node:fs';
import { paths, readConfig } from '../server/index.ts';
import { loadBundle } from '../bundle/index.ts';
import { openIndex, saveSnapshot } from './open-index.ts';
import { SqliteStore } from './sqlite-store.ts';

// `npm run reindex`: rebuilds the vector index from SQLite alone (the index is derived state).
const config = readConfig();
const p = paths(config);
if (!existsSync(p.database)) {
  console.error(`No memory bank at ${p.database}; set DATA_DIR.`);
  process.exit(1);
}
const { manifest } = await loadBundle(config.BUNDLE_DIR, { verifyHashes: false });
rmSync(p.index, { force: true });
rmSync(`${p.index}.meta.json`, { force: true });
const store = new SqliteStore(p.database);
const started = performance.now();
const { index } = openIndex(store, p.index, manifest.dims.encoder_dim, manifest.bundle_id, {}, (n) => process.stdout.write(`\rindexed ${n} passages`));
saveSnapshot(index, p.index, { dim: manifest.dims.encoder_dim, bundleId: manifest.bundle_id, watermark: store.maxPassageId() });
console.log(`\nrebuilt ${index.size()} passages in ${((performance.now() - started) / 1000).toFixed(1)} s -> ${p.index}`);
store.close();
