-- The delivery's place in its sender's order (X-Sequence, else the signed timestamp): a delivery older
-- than the one that made the current version is refused (core/lifecycle.ts planUpsert).
ALTER TABLE versions ADD COLUMN sequence INTEGER;
