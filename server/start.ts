import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Answerer, AnswerScheduler, Calibrator, readerSha256, ThreadedLm, ThreadedReader } from '../answer/index.ts';
import { BundleError, loadBundle } from '../bundle/index.ts';
import { ThreadActivity } from '../bundle/thread.ts';
import { codecOfFormat, memoryFormat, OnnxEncoder, ThreadedEncoder } from '../encoder/index.ts';
import { IngestWorker, splitOtherwise } from '../ingest/index.ts';
import { CheckpointThread, lockDataDir, openIndex, saveSnapshot, SqliteStore, type DataLock, type MemoryStore, type VectorIndex } from '../memory/index.ts';
import { UptakeProber } from '../monitor/index.ts';
import { createApp, Metrics, type Services } from '../app/index.ts';
import { paths, type Config } from './config.ts';
import { HtmlThread } from './html-thread.ts';
import { inferenceRoutes } from './inference.ts';
import { registerProcessMetrics } from './process-metrics.ts';
import { localAnswers, localDocuments, localFreshness } from './ports.ts';

export interface RunningService {
  url: string;
  services: Services;
  store: MemoryStore;
  index: VectorIndex;
  worker: IngestWorker;
  prober: UptakeProber;
  /** The answer path itself, for the evaluation's modes that the API does not offer (oracle). */
  answerer: Answerer;
  close(): Promise<void>;
}

const log = (msg: string) => console.log(`[${new Date().toISOString()}] ${msg}`);

/**
 * Composition root: takes the data directory (one process owns it: memory/data-lock.ts), opens the bundle,
 * the memory bank and the index, starts the worker and the server.
 */
export async function startService(config: Config): Promise<RunningService> {
  mkdirSync(config.DATA_DIR, { recursive: true });
  const lock = lockDataDir(config.DATA_DIR, 'the service');
  try {
    return await startOwning(config, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function startOwning(config: Config, lock: DataLock): Promise<RunningService> {
  // This thread runs the question encoder only; passages are encoded and answers generated on model
  // threads of their own (bundle/thread.ts), each with its own sessions.
  const bundle = await loadBundle(config.BUNDLE_DIR, { threads: config.THREADS, verifyHashes: config.VERIFY_BUNDLE === 'hash', models: ['encoder'] });
  const { manifest } = bundle;
  log(`bundle ${manifest.bundle_id} loaded from ${config.BUNDLE_DIR}`);
  const p = paths(config);
  const codec = config.MODULATION_CODEC ?? manifest.memory.codec;
  const format = memoryFormat(manifest, codec);
  const store = new SqliteStore(p.database, codec, format);
  const stale = [...store.memoryFormats()].filter(([f]) => f !== format);
  if (stale.length) {
    store.close();
    const held = stale.map(([f, n]) => `${n} passages of format '${f || 'unrecorded (an older release)'}'`).join(', ');
    // A bank this bundle made with another codec (e.g. q8 before q4 became the default) can be read as it is.
    const storedCodec = stale.length === 1 ? codecOfFormat(manifest, stale[0][0]) : undefined;
    throw new BundleError(`The memory bank in ${config.DATA_DIR} holds ${held}; this bundle and codec make '${format}', and the two cannot be mixed. ` +
      (storedCodec ? `Set MODULATION_CODEC=${storedCodec} to keep reading it as stored, or run` : 'Run') +
      ' `npm run reindex` (same DATA_DIR, BUNDLE_DIR and MODULATION_CODEC) to re-encode every passage from its stored text, or point DATA_DIR at an empty folder.');
  }
  const opened = openIndex(store, p.index, manifest.dims.encoder_dim, manifest.bundle_id);
  const index = opened.index;
  log(`index: ${index.size()} passages (${opened.fromSnapshot ? 'snapshot' : 'rebuilt from SQLite'}, ${opened.caughtUp} caught up, ${opened.dropped} dropped)`);

  const metrics = new Metrics();
  const encoder = new OnnxEncoder(bundle, codec);
  const split = splitOtherwise(store, encoder);
  if (split.otherwise) {
    log(`WARNING: ${split.otherwise} of the first ${split.checked} documents are stored in other passages than this release splits them into ` +
      '(a bank made before a change to encoder/passages.ts); answers read them as stored. `npm run reindex` (service stopped) splits the bank anew.');
  }
  // The model threads (LM, encoding, reader) count their calls in flight where the others can see them (SPIN_WAIT=auto).
  const activity = ThreadActivity.buffer(3);
  // The reader proposes and checks grounded answers (answer/reader.ts), on a thread of its own; the calibration
  // is checked against it before any thread starts.
  const readerSha = readerSha256(config.BUNDLE_DIR);
  const calibrator = Calibrator.load(config.BUNDLE_DIR, manifest.bundle_id, readerSha);
  const reader = readerSha ? await ThreadedReader.start(config.BUNDLE_DIR, readerSha, config.THREADS, new ThreadActivity(activity, 2)) : null;
  if (reader) log(`reader ${reader.sha256.slice(0, 12)} proposes and checks grounded answers`);
  const lm = await ThreadedLm.start(bundle, {
    threads: config.THREADS, maxBatch: config.DECODE_BATCH, promptCacheBytes: config.PROMPT_CACHE_MB * 2 ** 20, spinWait: config.SPIN_WAIT, activity: new ThreadActivity(activity, 0),
  });
  log(calibrator
    ? `calibrated confidence for ${Object.keys(calibrator.file.modes).join(', ')}; abstaining below ${config.ABSTAIN_BELOW_CONFIDENCE === 'auto' ? "each mode's fitted threshold" : config.ABSTAIN_BELOW_CONFIDENCE}`
    : 'no calibration.json in the bundle: confidence is the token probability, and ABSTAIN_BELOW_CONFIDENCE does not apply');
  const answerer = new Answerer(
    { store, index, encoder, lm, manifest, calibrator, reader },
    {
      macTopK: config.MAC_TOP_K ?? manifest.memory.fused, ragTopK: config.RAG_TOP_K, readerPassages: config.READER_PASSAGES, abstainBelow: config.ABSTAIN_BELOW, keywordRetrieval: config.RETRIEVAL === 'vector+keyword',
      groundedStopBias: config.GROUNDED_STOP_BIAS, abstainBelowConfidence: config.ABSTAIN_BELOW_CONFIDENCE, onConflict: config.ON_CONFLICT,
    },
  );
  // Passages are encoded on their own thread, so the event loop keeps answering while the LM reads them.
  const passageEncoder = await ThreadedEncoder.start(encoder, config.BUNDLE_DIR, config.THREADS, config.SPIN_WAIT, new ThreadActivity(activity, 1));
  const worker = new IngestWorker({ store, index, encoder: passageEncoder }, {
    batchJobs: config.WORKER_BATCH, maxAttempts: config.WORKER_MAX_ATTEMPTS, idleMs: 1000,
    onIndexed: (_job, passages, ms) => {
      metrics.inc('mac_documents_indexed_total', 'Document versions encoded and indexed');
      metrics.inc('mac_passages_indexed_total', 'Passages encoded and indexed', {}, passages);
      metrics.observe('mac_ingest_batch_seconds', 'Time to encode and store one worker batch', ms / 1000);
    },
    onStage: (stage, seconds) =>
      metrics.inc('mac_ingest_stage_seconds_total', 'Worker time per ingestion stage (split, encode, store, index)', { stage }, seconds),
    onError: (job, err) => {
      metrics.inc('mac_ingest_errors_total', 'Ingestion job failures');
      log(`job ${job.id} (${job.documentId} v${job.version}) failed: ${err.message}`);
    },
  });
  const snapshot = () => saveSnapshot(index, p.index, { dim: manifest.dims.encoder_dim, bundleId: manifest.bundle_id, watermark: store.maxPassageId() });
  const prober = new UptakeProber({ store, answerer });
  const scheduler = new AnswerScheduler({ maxConcurrent: config.MAX_CONCURRENT_ANSWERS, maxQueued: config.MAX_QUEUED_ANSWERS, timeoutMs: config.ANSWER_TIMEOUT_MS });
  let closed = false;
  const notifyIngest = () => worker.notify();
  // A deletion rewrites the snapshot within a second (one write for a burst of deletions), so the
  // forgotten passages' vectors do not wait on disk for the next periodic snapshot.
  let snapshotDue: NodeJS.Timeout | null = null;
  const forgotten = () => {
    snapshotDue ??= setTimeout(() => {
      snapshotDue = null;
      snapshot();
    }, 1000);
  };
  const html = await HtmlThread.start();
  // The WAL is copied into the database file on a thread of its own, not while the event loop commits.
  let checkpointsStopped: string | null = null;
  const checkpoints = await CheckpointThread.start(p.database, 1000, (why) => {
    checkpointsStopped = why;
    if (!closed) store.checkpointElsewhere(false);
    log(`WARNING: ${why}; the service's own connection checkpoints again`);
  });
  store.checkpointElsewhere(true);
  // An inference server behind a Worker edge accepts the shared secret as an API key as well.
  const apiKeys = config.INFERENCE_SECRET ? [...config.API_KEYS, config.INFERENCE_SECRET] : config.API_KEYS;
  const services: Services = {
    documents: localDocuments(store, index, { notifyIngest, forgotten }),
    answers: localAnswers(answerer, scheduler, manifest.bundle_id, store, config.GROUNDED),
    freshness: localFreshness(store),
    metrics, bundleId: manifest.bundle_id,
    replay: { firstUse: async (signature, expiresAt, now) => store.firstUseOfSignature(signature, expiresAt, now) },
    htmlToText: (page) => html.toText(page),
    settings: {
      auth: { apiKeys, webhookSecrets: config.WEBHOOK_SECRETS, toleranceSeconds: config.WEBHOOK_TOLERANCE_S },
      maxBodyBytes: config.MAX_BODY_BYTES, slaSeconds: config.FRESHNESS_SLA_S,
    },
    readiness: async () => ({
      ready: !closed && !lm.exited && !reader?.exited && !html.exited,
      checks: {
        bundle: manifest.bundle_id, index: `${index.size()} passages`, database: 'ok', lm: lm.exited ? `thread ${lm.exited}` : 'ok',
        html: html.exited ? `thread ${html.exited}` : 'ok', checkpoints: checkpointsStopped ?? 'ok',
        ...(reader ? { reader: reader.exited ? `thread ${reader.exited}` : 'ok' } : {}),
      },
    }),
  };
  metrics.gauge('mac_queue_depth', 'Ingestion jobs waiting', () => store.queueDepth());
  metrics.gauge('mac_index_passages', 'Passages in the vector index', () => index.size());
  // Freshness gauges read one snapshot per scrape (the freshness query is not free).
  let snapshotAt = 0;
  let stats = store.freshness();
  const fresh = () => (Date.now() - snapshotAt > 1000 ? ((snapshotAt = Date.now()), (stats = store.freshness())) : stats);
  metrics.gauge('mac_jobs_failed', 'Ingestion jobs that failed for good', () => fresh().queue.failed);
  metrics.gauge('mac_queue_oldest_age_seconds', 'Age of the oldest queued ingestion job', () =>
    fresh().queue.oldestQueuedAt ? (Date.now() - fresh().queue.oldestQueuedAt!) / 1000 : 0);
  metrics.gauge('mac_sources_stale', 'Sources with nothing new for longer than FRESHNESS_SLA_S', () =>
    fresh().sources.filter((src) => Date.now() - src.lastReceivedAt > config.FRESHNESS_SLA_S * 1000).length);
  metrics.gauge('mac_last_received_to_indexed_seconds', 'Ingestion lag of the most recently indexed version', () =>
    (fresh().lags.receivedToIndexed[0] ?? 0) / 1000);
  metrics.gauge('mac_answers_running', 'Answers being generated', () => scheduler.depth.running);
  metrics.gauge('mac_answers_waiting', 'Answers waiting for a slot', () => scheduler.depth.waiting);
  const stopProcessMetrics = registerProcessMetrics(metrics);
  if (!config.API_KEYS.length && !config.WEBHOOK_SECRETS.length) log('WARNING: no API_KEYS or WEBHOOK_SECRETS set: /v1 is open to anyone who can reach this port');

  worker.start();
  const timers = [
    config.SNAPSHOT_INTERVAL_S > 0 && setInterval(snapshot, config.SNAPSHOT_INTERVAL_S * 1000),
    config.PROBE_INTERVAL_S > 0 && setInterval(() => void prober.probeOnce().catch((e) => log(`probe failed: ${e.message}`)), config.PROBE_INTERVAL_S * 1000),
  ].filter(Boolean) as NodeJS.Timeout[];
  const app = createApp(services);
  if (config.INFERENCE_SECRET) {
    app.route('/internal/v1', inferenceRoutes({ store, index, notifyIngest, forgotten, settled: (id, version, ms) => worker.settled(id, version, ms), secret: config.INFERENCE_SECRET, timeoutMs: config.INFERENCE_INDEX_TIMEOUT_S * 1000 }));
    log('inference role: /internal/v1 open to the Worker edge (INFERENCE_SECRET set)');
  }
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  log(`listening on http://${config.HOST}:${port}`);
  return {
    url: `http://127.0.0.1:${port}`,
    services, store, index, worker, prober, answerer,
    async close() {
      if (closed) return;
      closed = true;
      timers.forEach(clearInterval);
      if (snapshotDue) clearTimeout(snapshotDue);
      stopProcessMetrics();
      await new Promise((r) => server.close(r));
      await worker.stop();
      await passageEncoder.close();
      await lm.close();
      snapshot();
      await checkpoints.close();
      store.close();
      await bundle.close();
      await reader?.close();
      await html.close();
      lock.release();
    },
  };
}
