-- Every collection a document named or POST /v1/collections created, empty ones too (core/lifecycle.ts).
CREATE TABLE collections (
  name TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
);
INSERT INTO collections (name, created_at) SELECT collection, MIN(created_at) FROM documents GROUP BY collection;
