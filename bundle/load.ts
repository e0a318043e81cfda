import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { BundleError, REBUILD_HINT } from './errors.ts';
import { manifestSchema, type Manifest, type ModelName } from './manifest.ts';
import { LOGITS_FROM, qkvOutput, readDecodingGraph, readRotaryTables, type RotaryTables } from './lm-graph.ts';
import { loadTokenizer, type TextTokenizer } from './tokenizer.ts';

export interface Bundle {
  dir: string;
  manifest: Manifest;
  /** One session per model the manifest lists (memory_encoder only where the bundle has one). */
  sessions: Record<Exclude<ModelName, 'memory_encoder'>, ort.InferenceSession> & { memory_encoder?: ort.InferenceSession };
  /** The LM graph's rotary tables, where this thread loaded the LM (decoding rotates new keys with them). */
  lmRotary: RotaryTables | null;
  lmTokenizer: TextTokenizer;
  encoderTokenizer: TextTokenizer;
  close(): Promise<void>;
}

export interface LoadOptions {
  /** Threads per ONNX session (intra-op). */
  threads?: number;
  /** Hash every file against the manifest (a few seconds for the default bundle). */
  verifyHashes?: boolean;
  /**
   * Load only these models' sessions (a model thread needs its own, not the others'); default: all.
   * `memory_encoder` names whichever model makes passage memories: the LM where the bundle has none.
   */
  models?: ModelName[];
  /**
   * The LM's and the memory encoder's idle threads spin for work between passes (default true; see
   * loadBundle). A function decides at each run: the session is then loaded twice, spinning and not, and
   * each run goes to the one it asks for.
   */
  spinWait?: boolean | (() => boolean);
}

function readManifest(dir: string): Manifest {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) throw new BundleError(`No model bundle at ${dir} (missing manifest.json). ${REBUILD_HINT}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new BundleError(`${path} is not valid JSON (${(err as Error).message}). ${REBUILD_HINT}`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new BundleError(`${path} does not match the bundle contract this service supports:\n${z.prettifyError(parsed.error)}\n${REBUILD_HINT}`);
  }
  return parsed.data;
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function checkFiles(dir: string, manifest: Manifest, verifyHashes: boolean): Promise<void> {
  for (const [file, { sha256: want, bytes }] of Object.entries(manifest.files)) {
    const path = join(dir, file);
    if (!existsSync(path)) throw new BundleError(`Bundle file ${path} is missing. ${REBUILD_HINT}`);
    if (statSync(path).size !== bytes) throw new BundleError(`Bundle file ${path} has ${statSync(path).size} bytes, the manifest says ${bytes}. ${REBUILD_HINT}`);
    if (verifyHashes && (await sha256(path)) !== want) throw new BundleError(`Bundle file ${path} does not match its sha256 in the manifest. ${REBUILD_HINT}`);
  }
}

function checkSignature(name: ModelName, session: ort.InferenceSession, manifest: Manifest, added: { inputs: string[]; outputs: string[] } = { inputs: [], outputs: [] }): void {
  const spec = manifest.models[name]!;
  const same = (a: readonly string[], b: string[]) => a.length === b.length && a.every((n, i) => n === b[i]);
  const wantIn = [...spec.inputs.map((s) => s.name), ...added.inputs];
  const wantOut = [...spec.outputs.map((s) => s.name), ...added.outputs];
  if (!same(session.inputNames, wantIn) || !same(session.outputNames, wantOut)) {
    throw new BundleError(
      `${spec.file} does not match the manifest: inputs [${session.inputNames.join(', ')}] vs [${wantIn.join(', ')}], ` +
        `outputs [${session.outputNames.join(', ')}] vs [${wantOut.join(', ')}]. ${REBUILD_HINT}`,
    );
  }
}

/** A session this thread did not load: using it is a programming error, said plainly. */
function notLoaded(name: ModelName): ort.InferenceSession {
  const fail = () => Promise.reject(new Error(`the ${name} session is not loaded on this thread (loadBundle's models option)`));
  return { run: fail, release: async () => {} } as unknown as ort.InferenceSession;
}

/**
 * One model's sessions, one per entry of `optionsList` (the same model loaded with different settings),
 * each checked against the manifest. The LM's carry the decode step's outputs and `logits_from` input
 * (bundle/lm-graph.ts: its file read and rewritten once for all of them) and answer with the manifest's
 * outputs unless a run names others; its graph's rotary tables come with them.
 */
export async function createSessions(dir: string, manifest: Manifest, name: ModelName, optionsList: ort.InferenceSession.SessionOptions[]): Promise<{ sessions: ort.InferenceSession[]; rotary: RotaryTables | null }> {
  const spec = manifest.models[name]!;
  if (name !== 'lm') {
    const sessions: ort.InferenceSession[] = [];
    for (const options of optionsList) {
      const session = await ort.InferenceSession.create(join(dir, spec.file), options);
      checkSignature(name, session, manifest);
      sessions.push(session);
    }
    return { sessions, rotary: null };
  }
  if (manifest.lm_graph !== 'fused') {
    throw new BundleError(`${spec.file} is a ${manifest.lm_graph ?? 'traced'} LM graph; decoding reads the fused graph's attention projections (mac/fused_lm.py). ${REBUILD_HINT}`);
  }
  const added = { inputs: [LOGITS_FROM], outputs: Array.from({ length: manifest.dims.lm_layers }, (_, l) => qkvOutput(l)) };
  const bytes = readDecodingGraph(join(dir, spec.file), manifest.dims.lm_layers);
  let rotary: RotaryTables;
  try {
    rotary = readRotaryTables(bytes, manifest.dims.lm_head_dim);
  } catch (err) {
    throw new BundleError(`${spec.file}: ${(err as Error).message}. ${REBUILD_HINT}`);
  }
  const outputs = spec.outputs.map((o) => o.name);
  const sessions: ort.InferenceSession[] = [];
  for (const options of optionsList) {
    const session = await ort.InferenceSession.create(bytes, options);
    checkSignature(name, session, manifest, added);
    sessions.push(new Proxy(session, {
      get(target, prop) {
        if (prop === 'run') return (feeds: ort.InferenceSession.FeedsType, fetches?: ort.InferenceSession.FetchesType) => target.run(feeds, fetches ?? outputs);
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }));
  }
  return { sessions, rotary };
}

/** One session to its callers; each run goes to `spinning` when `spin()` says so, else to `still`. */
export function switchSessions(spinning: ort.InferenceSession, still: ort.InferenceSession, spin: () => boolean): ort.InferenceSession {
  return new Proxy(spinning, {
    get(target, prop) {
      if (prop === 'run') return (...args: Parameters<ort.InferenceSession['run']>) => (spin() ? spinning : still).run(...args);
      if (prop === 'release') return () => Promise.all([spinning.release(), still.release()]).then(() => {});
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Loads and checks a bundle; throws BundleError (with a fix) if anything is missing or mismatched. */
export async function loadBundle(dir: string, options: LoadOptions = {}): Promise<Bundle> {
  const manifest = readManifest(dir);
  await checkFiles(dir, manifest, options.verifyHashes ?? true);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.threads ?? 0,
    graphOptimizationLevel: 'all',
  };
  // The retrieval encoder runs once per passage between other sessions' runs. A session's idle threads spin
  // for work after each run, and spun against the other session's: 58 ms per paragraph with spinning,
  // 36 ms without (2 cores, in-process, measured beside the previous memory's amortizer), so it never
  // spins. The LM and the memory encoder run back to back, where spinning pays when they run alone
  // (2.15 vs 1.79 answers/s under the load command without ingestion); beside continuous ingestion the
  // two threads' spinning contends for the cores (SPIN_WAIT=false: results/README.md, "Under load").
  // SPIN_WAIT=auto (a function here) spins only while the other model thread is idle: both sessions loaded.
  const noSpinning = { ...sessionOptions, extra: { session: { intra_op: { allow_spinning: '0' } } } };
  const spinWait = options.spinWait ?? true;
  const spins = (name: ModelName) => name !== 'encoder' && spinWait !== false;
  const sessions = {} as Bundle['sessions'];
  let lmRotary: RotaryTables | null = null;
  const wanted = new Set(options.models ?? (Object.keys(manifest.models) as ModelName[]));
  if (wanted.has('memory_encoder') && !manifest.models.memory_encoder) wanted.add('lm');
  for (const name of Object.keys(manifest.models) as ModelName[]) {
    const spec = manifest.models[name];
    if (!spec) continue;
    if (!wanted.has(name)) {
      sessions[name] = notLoaded(name);
      continue;
    }
    const switched = spins(name) && typeof spinWait === 'function';
    const loaded = await createSessions(dir, manifest, name, switched ? [sessionOptions, noSpinning] : [spins(name) ? sessionOptions : noSpinning]);
    sessions[name] = switched ? switchSessions(loaded.sessions[0], loaded.sessions[1], spinWait) : loaded.sessions[0];
    lmRotary ??= loaded.rotary;
  }
  if (manifest.memory.encoder && !sessions.memory_encoder) {
    throw new BundleError(`The manifest's memory names an encoder (${manifest.memory.encoder.file}) but models has no memory_encoder. ${REBUILD_HINT}`);
  }
  const { dims } = manifest;
  const lmOut = manifest.models.lm.outputs.filter((o) => o.name.startsWith('present.'));
  if (lmOut.length !== 2 * dims.lm_layers) {
    throw new BundleError(`lm.onnx has ${lmOut.length / 2} layers of present key/values, dims say ${dims.lm_layers}. ${REBUILD_HINT}`);
  }
  return {
    dir,
    manifest,
    sessions,
    lmRotary,
    lmTokenizer: loadTokenizer(join(dir, manifest.tokenizers.lm)),
    encoderTokenizer: loadTokenizer(join(dir, manifest.tokenizers.encoder)),
    async close() {
      await Promise.all(Object.values(sessions).map((s) => s?.release()));
    },
  };
}
