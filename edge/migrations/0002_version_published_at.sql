-- A version records its own published time, as on the inference servers (core/lifecycle.ts): lags are
-- measured per version, and the document's published_at can go with its tombstone.
ALTER TABLE versions ADD COLUMN published_at INTEGER;
