import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  collectionsQuery, createCollectionStatement, currentVersionQuery, describeStatements, dropCollectionStatement, toCollectionSummary, documentQuery, failedStatements, filterCondition, freshnessQueries, freshnessStats, hashedContent,
  holdingsQuery, indexedCountQuery, indexedStatements, listQuery, planUpsert, toDocumentRecord, toDocumentSummary, tombstoneStatements, upsertStatements, versionsQuery,
  type CurrentVersion, type Holding, type Statement,
} from '../core/lifecycle.ts';
import { blobToFloat32, decodeModulation, encodeModulation, float32ToBlob, type Codec } from './codec.ts';
import { keywordQuery } from './keywords.ts';
import { SCHEMA } from './schema.ts';
import type {
  CollectionSummary, CompletedJob, DocumentFilter, DocumentInput, DocumentRecord, DocumentSummary, FreshnessStats, IndexChange, Job, MemoryStore,
  NewPassage, ProbeRecord, Scope, StoredMemory, StoredPassage, UpsertResult,
} from './types.ts';

type Row = Record<string, any>;

/** What Atomics.wait sleeps on: a short pause of the thread, for waits that SQLite does not make itself. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

export const contentHash = (doc: DocumentInput) => createHash('sha256').update(hashedContent(doc)).digest('hex');

/** The durable memory bank: WAL, fsync on commit, so an acknowledged document survives a crash. */
export class SqliteStore implements MemoryStore {
  private readonly db: Database.Database;

  /**
   * `memoryFormat` names how this process makes passage memories (bundle/memory-layout.ts memoryFormat);
   * every stored passage records the format it was made with, so a bank never mixes two.
   */
  constructor(path: string, readonly codec: Codec = 'q8', private readonly memoryFormat = '') {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    // Deleted rows are overwritten with zeros on disk, so forgotten text cannot be read back from the file.
    this.db.pragma('secure_delete = ON');
    const columns = (table: string) => (this.db.prepare(`PRAGMA table_info(${table})`).all() as Row[]).map((c) => c.name);
    const before = columns('documents');
    const versionsBefore = columns('versions');
    this.db.exec(SCHEMA);
    // Banks made before memories recorded their format: their rows read as format '' (re-encode them).
    if (!columns('passages').includes('memory_format')) this.db.exec("ALTER TABLE passages ADD COLUMN memory_format TEXT NOT NULL DEFAULT ''");
    // Banks made before sentences were embedded: NULL until npm run reindex (the gate reads the passage alone).
    if (!columns('passages').includes('sentence_embeddings')) this.db.exec('ALTER TABLE passages ADD COLUMN sentence_embeddings BLOB');
    // Banks made before collections: every document is in 'default'.
    if (before.length && !before.includes('collection')) this.db.exec("ALTER TABLE documents ADD COLUMN collection TEXT NOT NULL DEFAULT 'default'");
    this.db.exec('CREATE INDEX IF NOT EXISTS documents_by_collection ON documents(collection, id)');
    if (versionsBefore.length && !versionsBefore.includes('sequence')) this.db.exec('ALTER TABLE versions ADD COLUMN sequence INTEGER');
    // Banks made before the collections registry: register the collections their documents name.
    this.db.exec('INSERT OR IGNORE INTO collections (name, created_at) SELECT collection, MIN(created_at) FROM documents GROUP BY collection');
  }

  /**
   * Whether this connection copies the write-ahead log into the database file itself (SQLite's default,
   * every 1,000 pages, on commit) or leaves it to another connection (memory/checkpoint-thread.ts).
   */
  checkpointElsewhere(elsewhere: boolean): void {
    this.db.pragma(`wal_autocheckpoint = ${elsewhere ? 0 : 1000}`);
  }

  /** True the first time a webhook signature is seen (durably recorded until it expires); false for a replay. */
  firstUseOfSignature(signature: string, expiresAt: number, now: number): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM used_signatures WHERE expires_at < ?').run(now);
      return this.db.prepare('INSERT INTO used_signatures (signature, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(signature, expiresAt).changes === 1;
    })();
  }

  /** Passages per memory format. */
  memoryFormats(): Map<string, number> {
    const rows = this.db.prepare('SELECT memory_format AS f, COUNT(*) AS n FROM passages GROUP BY 1').all() as Row[];
    return new Map(rows.map((r) => [r.f as string, r.n as number]));
  }

  /** Passages whose memory was made with another format than this store's, in id order. */
  passagesToReencode(afterId: number, limit: number): { id: number; text: string }[] {
    return this.db.prepare('SELECT id, text FROM passages WHERE memory_format != ? AND id > ? ORDER BY id LIMIT ?').all(this.memoryFormat, afterId, limit) as { id: number; text: string }[];
  }

  /**
   * Re-stores up to `limit` passages of `fromFormat` in this store's codec and format, without the encoder:
   * for a format that differs from this store's in its codec alone (the caller knows). One transaction per
   * call; returns how many were converted (0: none left).
   */
  convertMemories(fromFormat: string, limit: number): number {
    const rows = this.db.prepare('SELECT id, codec, modulation FROM passages WHERE memory_format = ? LIMIT ?').all(fromFormat, limit) as Row[];
    const update = this.db.prepare('UPDATE passages SET codec = ?, modulation = ?, memory_format = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const r of rows) update.run(this.codec, encodeModulation(decodeModulation(r.modulation, r.codec), this.codec), this.memoryFormat, r.id);
    })();
    return rows.length;
  }

  /**
   * Passages by id after `afterId`, each with the bytes of its stored sentence embeddings (null: never
   * embedded, a bank made before they were stored): what reindex checks against the sentences it finds now.
   */
  passagesWithSentenceBytes(afterId: number, limit: number): { id: number; text: string; sentenceBytes: number | null }[] {
    return this.db.prepare('SELECT id, text, LENGTH(sentence_embeddings) AS sentenceBytes FROM passages WHERE id > ? ORDER BY id LIMIT ?')
      .all(afterId, limit) as { id: number; text: string; sentenceBytes: number | null }[];
  }

  countPassages(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM passages').get() as Row).n;
  }

  setSentenceEmbeddings(id: number, sentenceEmbeddings: Float32Array): void {
    this.db.prepare('UPDATE passages SET sentence_embeddings = ? WHERE id = ?').run(float32ToBlob(sentenceEmbeddings), id);
  }

  /** Stores a passage's new memory and embedding, made with this store's format (one transaction each). */
  replaceMemory(id: number, memory: StoredMemory, embedding: Float32Array): void {
    this.db.prepare('UPDATE passages SET codec = ?, modulation = ?, embedding = ?, memory_format = ? WHERE id = ?')
      .run(this.codec, this.memoryBytes(memory), float32ToBlob(embedding), this.memoryFormat, id);
  }

  /** A memory's bytes to store; one in another codec than this store's would be misread, so it is refused. */
  private memoryBytes(memory: StoredMemory): Buffer {
    if (memory.codec !== this.codec) throw new Error(`a memory in codec ${memory.codec} cannot be stored in a bank of codec ${this.codec}`);
    return Buffer.from(memory.bytes.buffer, memory.bytes.byteOffset, memory.bytes.byteLength);
  }

  private run(statements: Statement[]): void {
    for (const st of statements) this.changes(st);
  }

  private changes(st: Statement): number {
    return this.db.prepare(st.sql).run(...st.args).changes;
  }

  private all(st: Statement): Row[] {
    return this.db.prepare(st.sql).all(...st.args) as Row[];
  }

  upsertDocuments(docs: DocumentInput[], receivedAt: number, scope: Scope = '*'): UpsertResult[] {
    const insertJob = this.db.prepare(`INSERT INTO jobs (document_id, version, state, enqueued_at) VALUES (?, ?, 'queued', ?)`);
    const run = this.db.transaction((batch: DocumentInput[]) =>
      batch.map((doc): UpsertResult => {
        const hash = contentHash(doc);
        const plan = planUpsert(this.all(currentVersionQuery(doc.id))[0] as CurrentVersion | undefined, hash, doc, scope);
        if (plan.outcome === 'rejected') return { id: doc.id, ...plan };
        if (plan.outcome === 'unchanged') {
          this.run(describeStatements(doc, receivedAt));
          return { id: doc.id, ...plan };
        }
        this.run(upsertStatements(doc, plan.version, hash, receivedAt, { text: doc.text, title: doc.title ?? null }));
        insertJob.run(doc.id, plan.version, receivedAt);
        return { id: doc.id, version: plan.version, outcome: 'queued', status: 'queued' };
      }),
    );
    return run(docs);
  }

  getDocument(id: string): DocumentRecord | null {
    const d = this.all(documentQuery(id))[0];
    return d ? toDocumentRecord(d, this.all(versionsQuery(id))) : null;
  }

  deleteDocument(id: string, at: number): IndexChange | null {
    const change = this.forget(id, at);
    // Move the zeroed pages into the main file and empty the WAL, whose older frames still hold the text.
    if (change) this.truncateWal();
    return change;
  }

  /**
   * Copies the whole WAL into the database file and empties it. A checkpoint another connection is running
   * (memory/checkpoint-thread.ts) makes SQLite answer busy at once, without waiting: wait for it here.
   */
  private truncateWal(): void {
    for (const started = Date.now(); ;) {
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (!result.busy) return;
      if (Date.now() - started > 5000) throw new Error('the write-ahead log, which still holds deleted text, could not be emptied for 5 s; delete again to retry');
      Atomics.wait(PAUSE, 0, 0, 2);
    }
  }

  private forget(id: string, at: number): IndexChange | null {
    return this.db.transaction((): IndexChange | null => {
      const d = this.db.prepare('SELECT status FROM documents WHERE id = ?').get(id) as Row | undefined;
      if (!d) return null;
      const removed = (this.db.prepare('SELECT id FROM passages WHERE document_id = ?').all(id) as Row[]).map((r) => r.id);
      this.db.prepare('DELETE FROM passages WHERE document_id = ?').run(id);
      // The tombstone (core/lifecycle.ts), and nothing of the text here either: no version text or
      // title, no uptake-probe question made from it.
      this.run(tombstoneStatements(id, at));
      this.db.prepare('UPDATE versions SET text = NULL, title = NULL WHERE document_id = ?').run(id);
      this.db.prepare('DELETE FROM probes WHERE document_id = ?').run(id);
      this.db.prepare("UPDATE jobs SET state = 'cancelled', finished_at = ? WHERE document_id = ? AND state IN ('queued', 'running')").run(at, id);
      return { added: [], removed };
    })();
  }

  collections(collections?: readonly string[]): CollectionSummary[] {
    return this.all(collectionsQuery(collections)).map(toCollectionSummary);
  }

  /** Registers a collection; false if it existed. */
  createCollection(name: string, at: number): boolean {
    return this.changes(createCollectionStatement(name, at)) === 1;
  }

  /** Unregisters a collection (its documents are deleted first, one by one); false if unknown. */
  dropCollection(name: string): boolean {
    return this.changes(dropCollectionStatement(name)) === 1;
  }

  listDocuments(options: { filter?: DocumentFilter; after?: string; limit: number }): DocumentSummary[] {
    return this.all(listQuery(options)).map(toDocumentSummary);
  }

  holdings(after: string, limit: number): { indexed: number; documents: Holding[] } {
    return { indexed: this.all(indexedCountQuery())[0].n, documents: this.all(holdingsQuery(after, limit)) as Holding[] };
  }

  documentPassages(id: string): { id: number; version: number; ordinal: number; text: string }[] {
    return this.db.prepare(`SELECT p.id, p.version, p.ordinal, p.text FROM passages p JOIN documents d ON d.id = p.document_id
      WHERE p.document_id = ? AND d.status != 'deleted' ORDER BY p.ordinal`).all(id) as { id: number; version: number; ordinal: number; text: string }[];
  }

  claimJobs(limit: number, at: number): Job[] {
    return this.db.transaction((): Job[] => {
      const rows = this.db.prepare(`SELECT j.id, j.document_id, j.version, j.attempts, v.text, v.title FROM jobs j
        JOIN versions v ON v.document_id = j.document_id AND v.version = j.version
        WHERE j.state = 'queued' ORDER BY j.id LIMIT ?`).all(limit) as Row[];
      const mark = this.db.prepare("UPDATE jobs SET state = 'running', started_at = ?, attempts = attempts + 1 WHERE id = ?");
      for (const r of rows) mark.run(at, r.id);
      return rows.map((r) => ({ id: r.id, documentId: r.document_id, version: r.version, text: r.text, title: r.title, attempts: r.attempts + 1 }));
    })();
  }

  completeJob(job: Job, passages: NewPassage[], at: number): CompletedJob {
    return this.db.transaction((): CompletedJob => {
      const d = this.db.prepare('SELECT current_version, status FROM documents WHERE id = ?').get(job.documentId) as Row | undefined;
      const jobState = (this.db.prepare('SELECT state FROM jobs WHERE id = ?').get(job.id) as Row | undefined)?.state;
      if (!d || d.status === 'deleted' || jobState !== 'running' || d.current_version !== job.version) {
        // Deleted or superseded while encoding: store nothing, so no answer can draw on stale text.
        this.db.prepare("UPDATE jobs SET state = 'done', finished_at = ? WHERE id = ? AND state = 'running'").run(at, job.id);
        if (d && d.status !== 'deleted') this.db.prepare("UPDATE versions SET status = 'superseded' WHERE document_id = ? AND version = ?").run(job.documentId, job.version);
        return { stored: false, added: [], removed: [] };
      }
      const change = this.storePassages(job.documentId, job.version, passages, at);
      this.run(indexedStatements(job.documentId, job.version, passages.length, at));
      this.db.prepare("UPDATE jobs SET state = 'done', finished_at = ? WHERE id = ?").run(at, job.id);
      return { stored: true, ...change };
    })();
  }

  /**
   * Indexed current versions (their documents not deleted) with their text, by document id after `after`:
   * what `npm run reindex` splits again.
   */
  indexedVersions(after: string, limit: number): { documentId: string; version: number; text: string }[] {
    return (this.db.prepare(`SELECT v.document_id, v.version, v.text FROM documents d JOIN versions v ON v.document_id = d.id AND v.version = d.current_version
      WHERE d.id > ? AND d.status = 'indexed' AND v.status = 'indexed' AND v.text IS NOT NULL ORDER BY d.id LIMIT ?`).all(after, limit) as Row[]).map((r) => ({
      documentId: r.document_id, version: r.version, text: r.text,
    }));
  }

  /**
   * Replaces the passages of a document's indexed current version (its text split anew: `npm run reindex`),
   * in one transaction; stores nothing where that version is no longer current and indexed.
   */
  replacePassages(documentId: string, version: number, passages: NewPassage[], at: number): CompletedJob {
    return this.db.transaction((): CompletedJob => {
      const current = this.db.prepare(`SELECT 1 FROM documents d JOIN versions v ON v.document_id = d.id AND v.version = d.current_version
        WHERE d.id = ? AND d.current_version = ? AND d.status = 'indexed' AND v.status = 'indexed'`).get(documentId, version);
      if (!current) return { stored: false, added: [], removed: [] };
      const change = this.storePassages(documentId, version, passages, at);
      this.db.prepare('UPDATE versions SET passages = ? WHERE document_id = ? AND version = ?').run(passages.length, documentId, version);
      return { stored: true, ...change };
    })();
  }

  /** Inside a transaction: a version's passages replace every earlier passage of its document (and its own). */
  private storePassages(documentId: string, version: number, passages: NewPassage[], at: number): IndexChange {
    const removed = (this.db.prepare('SELECT id FROM passages WHERE document_id = ? AND version <= ?').all(documentId, version) as Row[]).map((r) => r.id);
    this.db.prepare('DELETE FROM passages WHERE document_id = ? AND version <= ?').run(documentId, version);
    const insert = this.db.prepare('INSERT INTO passages (document_id, version, ordinal, text, codec, modulation, embedding, created_at, memory_format, sentence_embeddings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const added = passages.map((p, ordinal) => {
      const sentences = p.sentenceEmbeddings ? float32ToBlob(p.sentenceEmbeddings) : null;
      const info = insert.run(documentId, version, ordinal, p.text, this.codec, this.memoryBytes(p.memory), float32ToBlob(p.embedding), at, this.memoryFormat, sentences);
      return { id: Number(info.lastInsertRowid), embedding: p.embedding };
    });
    return { added, removed };
  }

  failJob(job: Job, error: string, at: number, maxAttempts: number): void {
    this.db.transaction(() => {
      const final = job.attempts >= maxAttempts;
      this.db.prepare('UPDATE jobs SET state = ?, error = ?, finished_at = ? WHERE id = ? AND state = ?').run(final ? 'failed' : 'queued', error, at, job.id, 'running');
      if (final) this.run(failedStatements(job.documentId, job.version, error, at));
    })();
  }

  requeueRunning(): number {
    return this.db.prepare("UPDATE jobs SET state = 'queued' WHERE state = 'running'").run().changes;
  }

  getPassages(ids: number[]): StoredPassage[] {
    if (!ids.length) return [];
    const rows = this.db.prepare(`SELECT p.*, d.title, d.source, d.published_at FROM passages p JOIN documents d ON d.id = p.document_id
      WHERE p.id IN (SELECT value FROM json_each(?)) AND d.status != 'deleted'`).all(JSON.stringify(ids)) as Row[];
    const byId = new Map(rows.map((r) => [r.id as number, r]));
    return ids.flatMap((id) => {
      const r = byId.get(id);
      return r ? [{
        id: r.id, documentId: r.document_id, version: r.version, ordinal: r.ordinal, text: r.text, title: r.title, source: r.source,
        memory: { codec: r.codec as Codec, bytes: r.modulation }, embedding: blobToFloat32(r.embedding),
        sentenceEmbeddings: r.sentence_embeddings === null ? null : blobToFloat32(r.sentence_embeddings), createdAt: r.created_at,
        publishedAt: r.published_at ?? null,
      }] : [];
    });
  }

  passageEmbeddings(afterId: number, limit: number): { id: number; embedding: Float32Array }[] {
    return (this.db.prepare('SELECT id, embedding FROM passages WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as Row[]).map((r) => ({
      id: r.id, embedding: blobToFloat32(r.embedding),
    }));
  }

  passageIds(): number[] {
    return (this.db.prepare('SELECT id FROM passages ORDER BY id').raw().all() as number[][]).map((r) => r[0]);
  }

  maxPassageId(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS m FROM passages').get() as Row).m;
  }

  keywordSearch(query: string, k: number, among?: number[]): { id: number; score: number }[] {
    const match = keywordQuery(query);
    if (!match || among?.length === 0) return [];
    const within = among ? 'AND rowid IN (SELECT value FROM json_each(?))' : '';
    const args = among ? [match, JSON.stringify(among), k] : [match, k];
    const rows = this.db.prepare(`SELECT rowid AS id, bm25(passages_fts) AS rank FROM passages_fts WHERE passages_fts MATCH ? ${within} ORDER BY rank LIMIT ?`).all(...args) as Row[];
    return rows.map((r) => ({ id: r.id, score: -r.rank }));
  }

  embeddingsOf(ids: number[]): Map<number, Pick<StoredPassage, 'embedding' | 'sentenceEmbeddings'>> {
    if (!ids.length) return new Map();
    const rows = this.db.prepare(`SELECT p.id, p.embedding, p.sentence_embeddings FROM passages p JOIN documents d ON d.id = p.document_id
      WHERE p.id IN (SELECT value FROM json_each(?)) AND d.status != 'deleted'`).all(JSON.stringify(ids)) as Row[];
    return new Map(rows.map((r) => [r.id as number, {
      embedding: blobToFloat32(r.embedding), sentenceEmbeddings: r.sentence_embeddings === null ? null : blobToFloat32(r.sentence_embeddings),
    }]));
  }

  recentlyIndexed(limit: number): { documentId: string; version: number; text: string }[] {
    return (this.db.prepare(`SELECT v.document_id, v.version, v.text FROM versions v JOIN documents d ON d.id = v.document_id AND d.current_version = v.version
      WHERE v.status = 'indexed' AND v.text IS NOT NULL ORDER BY v.indexed_at DESC LIMIT ?`).all(limit) as Row[]).map((r) => ({
      documentId: r.document_id, version: r.version, text: r.text,
    }));
  }

  recordProbe(p: ProbeRecord): void {
    this.db.prepare('INSERT INTO probes (document_id, version, question, expected, answer, f1, base_f1, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(p.documentId, p.version, p.question, p.expected, p.answer, p.f1, p.baseF1, p.at);
  }

  recentProbes(limit: number, collections?: readonly string[]): ProbeRecord[] {
    const scope = filterCondition({ collections });
    return (this.db.prepare(`SELECT pr.* FROM probes pr JOIN documents d ON d.id = pr.document_id WHERE ${scope.sql} ORDER BY pr.id DESC LIMIT ?`)
      .all(...scope.args, limit) as Row[]).map((r) => ({
      documentId: r.document_id, version: r.version, question: r.question, expected: r.expected, answer: r.answer, f1: r.f1, baseF1: r.base_f1, at: r.at,
    }));
  }

  /** Passages of live documents that match the filter; null when the filter lets everything through. */
  passagesMatching(filter: DocumentFilter): Set<number> | null {
    const where = filterCondition(filter);
    if (where.sql === '1') return null;
    const rows = this.db.prepare(`SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id
      WHERE d.status != 'deleted' AND ${where.sql}`).raw().all(...where.args) as number[][];
    return new Set(rows.map((r) => r[0]));
  }

  freshness(collections?: readonly string[]): FreshnessStats {
    const q = freshnessQueries(collections);
    const scope = filterCondition({ collections });
    const queue = this.db.prepare(`SELECT SUM(j.state = 'queued') AS queued, SUM(j.state = 'running') AS running, SUM(j.state = 'failed') AS failed,
      MIN(CASE WHEN j.state = 'queued' THEN j.enqueued_at END) AS oldest FROM jobs j JOIN documents d ON d.id = j.document_id WHERE ${scope.sql}`).get(...scope.args) as Row;
    return freshnessStats({
      failures: this.all(q.failures),
      timeline: this.all(q.timeline),
      byStatus: this.all(q.byStatus),
      superseded: this.all(q.superseded),
      knowledge: this.all(q.knowledge),
      lags: this.all(q.lags),
      sources: this.all(q.sources),
      passages: (this.db.prepare(`SELECT COUNT(*) AS n FROM passages p JOIN documents d ON d.id = p.document_id WHERE ${scope.sql}`).get(...scope.args) as Row).n,
      queue: { queued: queue.queued ?? 0, running: queue.running ?? 0, failed: queue.failed ?? 0, oldestQueuedAt: queue.oldest },
    });
  }

  /** Counts one answer in its hour's rollup. */
  recordAnswer(mode: string, at: number): void {
    this.db.prepare('INSERT INTO answer_hours (hour, mode, answers) VALUES (?, ?, 1) ON CONFLICT (hour, mode) DO UPDATE SET answers = answers + 1')
      .run(Math.floor(at / 3_600_000) * 3_600_000, mode);
  }

  /** Answers per hour since `since` (epoch ms), all modes together. */
  answerHours(since: number): { hour: number; answers: number }[] {
    return this.db.prepare('SELECT hour, SUM(answers) AS answers FROM answer_hours WHERE hour >= ? GROUP BY hour ORDER BY hour').all(Math.floor(since / 3_600_000) * 3_600_000) as { hour: number; answers: number }[];
  }

  queueDepth(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE state = 'queued'").get() as Row).n;
  }

  storageBytes() {
    const r = this.db.prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(modulation)), 0) AS m, COALESCE(SUM(LENGTH(embedding)), 0) AS e,
      COALESCE(SUM(LENGTH(sentence_embeddings)), 0) AS s, COALESCE(SUM(LENGTH(CAST(text AS BLOB))), 0) AS t FROM passages`).get() as Row;
    return { passages: r.n, modulation: r.m, embedding: r.e, sentenceEmbeddings: r.s, text: r.t };
  }

  /** Bytes of free pages in the file: SQLite reuses them for new rows; vacuum() gives them back to the disk. */
  freeBytes(): number {
    return (this.db.pragma('freelist_count', { simple: true }) as number) * (this.db.pragma('page_size', { simple: true }) as number);
  }

  /** Rewrites the file without its free pages (needs free disk as large as the bank, and no other writer). */
  vacuum(): void {
    this.db.exec('VACUUM');
  }

  close(): void {
    this.db.close();
  }
}
