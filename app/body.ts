import type { Context } from 'hono';
import { z } from 'zod';
import { ApiError, ErrorCode } from './errors.ts';

/** Reads a JSON body: 415 for another content type, 400 for broken JSON, 422 with readable issues for bad fields. */
export async function readJson<S extends z.ZodType>(c: Context, schemaFor: S | ((body: unknown) => S)): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  // exactly application/json (parameters such as charset allowed), not application/json-seq and friends
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError(415, ErrorCode.unsupportedMediaType, `Send the body as application/json (got ${type || 'no content type'}).`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch (err) {
    throw new ApiError(400, ErrorCode.invalidJson, `The body is not valid JSON: ${(err as Error).message}`);
  }
  const schema = typeof schemaFor === 'function' ? schemaFor(raw) : schemaFor;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: issuePath(i.path), message: i.message, code: i.code }));
    throw new ApiError(422, ErrorCode.validationFailed, issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '), issues);
  }
  return parsed.data;
}

export const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

/** `documents[14].id`, as a reader writes it. */
export const issuePath = (path: PropertyKey[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
