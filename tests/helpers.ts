import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
/** Built by `npm run setup` (mac.train --preset tiny + mac.export). */
export const TINY_BUNDLE = process.env.TINY_BUNDLE_DIR ?? join(ROOT, 'bundles', 'tiny');
export const DEFAULT_BUNDLE = process.env.BUNDLE_DIR ?? join(ROOT, 'bundles', 'default');
