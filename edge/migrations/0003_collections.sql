-- Every document belongs to a collection; API keys and webhook secrets are scoped to collections.
ALTER TABLE documents ADD COLUMN collection TEXT NOT NULL DEFAULT 'default';
CREATE INDEX documents_by_collection ON documents(collection, id);
