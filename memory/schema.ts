/** SQLite is the source of truth; the vector index is derived from `passages` and can be rebuilt. */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY,
  collection TEXT NOT NULL DEFAULT 'default',
  title TEXT, source TEXT, url TEXT, published_at INTEGER, metadata TEXT,
  current_version INTEGER NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER
);
-- every collection a document named or POST /v1/collections created (core/lifecycle.ts), empty ones too
CREATE TABLE IF NOT EXISTS collections (
  name TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
  document_id TEXT NOT NULL REFERENCES documents(id),
  version INTEGER NOT NULL,
  content_sha256 TEXT NOT NULL,
  text TEXT,
  title TEXT,
  published_at INTEGER,
  received_at INTEGER NOT NULL,
  -- the delivery's place in its sender's order (X-Sequence or the signed timestamp): no going back
  sequence INTEGER,
  indexed_at INTEGER,
  status TEXT NOT NULL,
  passages INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  PRIMARY KEY (document_id, version)
);
CREATE INDEX IF NOT EXISTS versions_indexed ON versions(status, indexed_at);
CREATE TABLE IF NOT EXISTS passages (
  -- AUTOINCREMENT: ids are vector-index labels and snapshot watermarks, so they must never be reused.
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  document_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  ordinal INTEGER NOT NULL,
  text TEXT NOT NULL,
  codec TEXT NOT NULL,
  modulation BLOB NOT NULL,
  embedding BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  -- how the memory was made (bundle/memory-layout.ts memoryFormat): a bank never mixes two
  memory_format TEXT NOT NULL DEFAULT '',
  -- each sentence's retrieval embedding (float32, one after another; empty for one sentence), read by the
  -- similarity gate; NULL in banks made before the 47th session, until npm run reindex
  sentence_embeddings BLOB
);
CREATE INDEX IF NOT EXISTS passages_document ON passages(document_id, version);
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(text, content='passages', content_rowid='id');
CREATE TRIGGER IF NOT EXISTS passages_fts_insert AFTER INSERT ON passages BEGIN
  INSERT INTO passages_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS passages_fts_delete AFTER DELETE ON passages BEGIN
  INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY,
  document_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  enqueued_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, id);
-- webhook signatures seen, until they expire: a replay is refused after a restart too
CREATE TABLE IF NOT EXISTS used_signatures (
  signature TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
-- answers served per hour and mode, for the status page's chart (a small rollup, never per request)
CREATE TABLE IF NOT EXISTS answer_hours (
  hour INTEGER NOT NULL,
  mode TEXT NOT NULL,
  answers INTEGER NOT NULL,
  PRIMARY KEY (hour, mode)
);
CREATE TABLE IF NOT EXISTS probes (
  id INTEGER PRIMARY KEY,
  document_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  question TEXT NOT NULL,
  expected TEXT NOT NULL,
  answer TEXT NOT NULL,
  f1 REAL NOT NULL,
  base_f1 REAL NOT NULL,
  at INTEGER NOT NULL
);
`;
