-- Edge metadata in D1. Document text lives in R2 (key in versions.text_key); modulations and the
-- vector index live in the inference servers' own SQLite and hnswlib.
CREATE TABLE documents (
  id TEXT PRIMARY KEY,
  title TEXT,
  source TEXT,
  url TEXT,
  published_at INTEGER,
  metadata TEXT,
  status TEXT NOT NULL,              -- queued | indexed | failed | deleted
  current_version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER
);

CREATE TABLE versions (
  document_id TEXT NOT NULL REFERENCES documents(id),
  version INTEGER NOT NULL,
  content_sha256 TEXT NOT NULL,
  text_key TEXT NOT NULL,
  status TEXT NOT NULL,              -- queued | indexed | superseded | failed | deleted
  received_at INTEGER NOT NULL,
  indexed_at INTEGER,
  passages INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  PRIMARY KEY (document_id, version)
);
CREATE INDEX versions_by_status ON versions(status, received_at);

-- Webhook signatures seen within the replay window, shared by every Worker isolate.
CREATE TABLE used_signatures (
  signature TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
