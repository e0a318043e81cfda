// No imports: the API's schemas (app/schemas.ts, which the edge Worker bundles too) read these.

/** What the LM reads besides the question: a memory (mac), a passage (rag), both (hybrid), nothing (base). */
export const MODES = ['mac', 'rag', 'hybrid', 'base'] as const;
export type Mode = (typeof MODES)[number];

/**
 * What an answer does when a newer document read for it answers differently: `note` answers as it would
 * and lists the newer answers in `conflicts`; `newer` sets the older passage aside (prompt and memories).
 */
export const ON_CONFLICT = ['note', 'newer'] as const;
export type OnConflict = (typeof ON_CONFLICT)[number];
