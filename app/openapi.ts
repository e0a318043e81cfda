import { z } from 'zod';
import {
  answerRequestSchema, answerResponseSchema, chatRequestSchema, collectionCreateSchema, collectionSchema, documentIdSchema, documentResponseSchema, freshnessResponseSchema,
  ingestRequestSchema, ingestResponseSchema, listQuerySchema,
} from './schemas.ts';

const json = (schema: z.ZodType, io: 'input' | 'output') => ({ 'application/json': { schema: z.toJSONSchema(schema, { io, unrepresentable: 'any' }) } });
const errorResponse = { description: 'Error: { error: { code, message, details? } }' };
const secured = [{ bearer: [] }, { webhookSignature: [] }];
const keyOnly = [{ bearer: [] }];
const idParameter = { name: 'id', in: 'path', required: true, schema: z.toJSONSchema(documentIdSchema, { io: 'input' }) };
const queryParameters = Object.entries(z.toJSONSchema(listQuerySchema, { io: 'input' }).properties ?? {})
  .map(([name, schema]) => ({ name, in: 'query', required: false, schema }));
/** A server-sent event as the stream carries it: its name (if any) and its data, a JSON document. */
const sseEvents = (names: string[] | null, description: string) => ({
  'text/event-stream': {
    schema: {
      type: 'object', description, required: ['data'],
      properties: {
        ...(names ? { event: { type: 'string', enum: names } } : {}),
        data: { type: 'string', contentMediaType: 'application/json' }, id: { type: 'string' }, retry: { type: 'integer' },
      },
    },
  },
});

/** OpenAPI 3.1, generated from the same zod schemas that validate requests. */
export function openApiDocument(bundleId: string) {
  return {
    openapi: '3.1.0',
    info: { title: 'MAC knowledge-adaptation service', version: '0.1.0', description: `Model bundle ${bundleId}` },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        webhookSignature: { type: 'apiKey', in: 'header', name: 'X-Signature', description: 'sha256=HMAC_SHA256(secret, `${X-Timestamp}.${raw body}`)' },
      },
    },
    paths: {
      '/v1/documents': {
        get: {
          summary: 'List documents (not deleted) in the key\'s collections, by id, page by page (next_cursor)', security: keyOnly, parameters: queryParameters,
          responses: { 200: { description: '{documents: [...], next_cursor}' }, 401: errorResponse, 403: errorResponse, 422: errorResponse },
        },
        post: {
          summary: 'Ingest one document or a batch ({documents: [...]})', security: secured,
          parameters: [{ name: 'X-Sequence', in: 'header', required: false, description: "the delivery's place in its sender's order (else a signed delivery's X-Timestamp); new content from an older delivery than the current version's is refused: 409 stale_delivery", schema: { type: 'string', pattern: '^\\d{1,15}$' } }],
          requestBody: { required: true, content: json(ingestRequestSchema, 'input') },
          responses: { 202: { description: 'Durably queued', content: json(ingestResponseSchema, 'output') }, 400: errorResponse, 401: errorResponse, 403: errorResponse, 409: errorResponse, 413: errorResponse, 415: errorResponse, 422: errorResponse },
        },
      },
      '/v1/documents/{id}': {
        parameters: [idParameter],
        get: { summary: 'Status and versions (404 outside the key\'s collections)', security: keyOnly, responses: { 200: { description: 'Document', content: json(documentResponseSchema, 'output') }, 401: errorResponse, 404: errorResponse } },
        delete: { summary: 'Forget a document (a tombstone stays; 404 outside the key\'s collections)', security: keyOnly, responses: { 200: { description: 'Forgotten' }, 401: errorResponse, 404: errorResponse } },
      },
      '/v1/documents/{id}/passages': {
        parameters: [idParameter],
        get: { summary: "The current version's stored passages", security: keyOnly, responses: { 200: { description: '{id, version, passages: [{passage_id, ordinal, text}]}' }, 401: errorResponse, 404: errorResponse, 501: errorResponse } },
      },
      '/v1/collections': {
        get: { summary: "Collections within the key's scope, with their documents by status", security: keyOnly, responses: { 200: { description: '{collections: [{name, created_at, documents, indexed, queued, failed, updated_at}]}' }, 401: errorResponse } },
        post: {
          summary: 'Create a collection (200 if it exists)', security: keyOnly, requestBody: { required: true, content: json(collectionCreateSchema, 'input') },
          responses: { 200: { description: 'Exists' }, 201: { description: 'Created' }, 400: errorResponse, 401: errorResponse, 403: errorResponse, 413: errorResponse, 415: errorResponse, 422: errorResponse },
        },
      },
      '/v1/collections/{name}': {
        parameters: [{ name: 'name', in: 'path', required: true, schema: z.toJSONSchema(collectionSchema, { io: 'input' }) }],
        delete: { summary: 'Delete a collection and forget every document in it', security: keyOnly, responses: { 200: { description: '{name, status, documents_deleted, passages_removed}' }, 401: errorResponse, 404: errorResponse } },
      },
      '/v1/chat/completions': {
        post: {
          summary: 'OpenAI-compatible chat completion: model = answer mode, the last user message is the question', security: keyOnly,
          requestBody: { required: true, content: json(chatRequestSchema, 'input') },
          responses: {
            200: { description: 'chat.completion, or chat.completion.chunk events then [DONE] when stream is true', content: { 'application/json': { schema: { type: 'object' } }, ...sseEvents(null, 'data: a chat.completion.chunk, or [DONE] last') } },
            400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse, 413: errorResponse, 415: errorResponse, 422: errorResponse, 429: errorResponse, 503: errorResponse, 504: errorResponse,
          },
        },
      },
      '/v1/models': { get: { summary: 'OpenAI-compatible model list: one model per answer mode', security: keyOnly, responses: { 200: { description: '{object: list, data}' }, 401: errorResponse } } },
      '/v1/answers': {
        post: {
          summary: 'Answer a question from memory (stream: true for server-sent events)', security: secured,
          requestBody: { required: true, content: json(answerRequestSchema, 'input') },
          responses: {
            200: { description: 'Answer; with stream: true, `token` events then one `answer` event (or one `error` event)', content: { ...json(answerResponseSchema, 'output'), ...sseEvents(['token', 'answer', 'error'], 'token: {text}; answer: the answer as without streaming; error: {error: {code, message}}') } },
            400: errorResponse, 401: errorResponse, 403: errorResponse, 413: errorResponse, 415: errorResponse, 422: errorResponse, 429: errorResponse, 503: errorResponse, 504: errorResponse,
          },
        },
      },
      '/v1/freshness': {
        get: {
          summary: "Freshness monitoring, within the key's collections", security: keyOnly,
          parameters: [{ name: 'collection', in: 'query', required: false, description: 'repeatable: only these collections', schema: z.toJSONSchema(collectionSchema, { io: 'input' }) }],
          responses: { 200: { description: 'Report', content: json(freshnessResponseSchema, 'output') }, 401: errorResponse, 403: errorResponse },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text/plain' } } } },
      '/healthz': { get: { summary: 'Liveness', responses: { 200: { description: 'ok' } } } },
      '/readyz': { get: { summary: 'Readiness', responses: { 200: { description: 'ready' }, 503: errorResponse } } },
    },
  };
}
