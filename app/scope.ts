import type { Context } from 'hono';
import { inScope } from '../core/lifecycle.ts';
import type { DocumentFilter, DocumentRecord, Scope } from '../core/types.ts';
import { scopeOf } from './auth.ts';
import { ApiError, ErrorCode } from './errors.ts';
import type { FilterBody } from './schemas.ts';

/**
 * The collections a request may draw on: those it asks for, each of which must be within the caller's
 * scope (else 403), or, when it asks for none, the caller's scope (undefined: every collection).
 */
export function collectionsFor(scope: Scope, requested?: string | readonly string[]): readonly string[] | undefined {
  const asked = requested === undefined ? undefined : typeof requested === 'string' ? [requested] : requested;
  if (asked) {
    const outside = asked.filter((c) => !inScope(c, scope));
    if (outside.length) throw new ApiError(403, ErrorCode.forbiddenCollection, `This key cannot read collection ${outside.join(', ')}.`);
    return asked;
  }
  return scope === '*' ? undefined : scope;
}

/** A request's filter as the storage reads it, within the caller's collections. */
export function documentFilter(c: Context, body?: FilterBody): DocumentFilter {
  return {
    collections: collectionsFor(scopeOf(c), body?.collection),
    source: body?.source,
    metadata: body?.metadata,
    publishedFrom: body?.published_after ? Date.parse(body.published_after) : undefined,
    publishedTo: body?.published_before ? Date.parse(body.published_before) : undefined,
  };
}

/** A document the caller may see, or 404 (a document in another collection is as good as absent). */
export function visible(c: Context, doc: DocumentRecord | null, id: string): DocumentRecord {
  if (!doc || !inScope(doc.collection, scopeOf(c))) throw new ApiError(404, ErrorCode.documentNotFound, `No document with id ${id}.`);
  return doc;
}
