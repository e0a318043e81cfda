/** A bundle that cannot serve: the message always says how to fix it. */
export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

export const REBUILD_HINT = 'Run `npm run setup` to rebuild the default bundle, or point BUNDLE_DIR at a bundle exported by `scripts/python.sh -m mac.export`.';
