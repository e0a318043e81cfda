import { z } from 'zod';
import {
  answerRequestSchema, answerResponseSchema, documentResponseSchema, freshnessResponseSchema, ingestRequestSchema, ingestResponseSchema,
} from './schemas.ts';

const json = (schema: z.ZodType, io: 'input' | 'output') => ({ 'application/json': { schema: z.toJSONSchema(schema, { io, unrepresentable: 'any' }) } });
const errorResponse = { description: 'Error: { error: { code, message, details? } }' };
const secured = [{ bearer: [] }, { webhookSignature: [] }];

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
        post: {
          summary: 'Ingest one document or a batch ({documents: [...]})', security: secured,
          requestBody: { required: true, content: json(ingestRequestSchema, 'input') },
          responses: { 202: { description: 'Durably queued', content: json(ingestResponseSchema, 'output') }, 400: errorResponse, 401: errorResponse, 413: errorResponse, 415: errorResponse, 422: errorResponse },
        },
      },
      '/v1/documents/{id}': {
        get: { summary: 'Status and versions', security: secured, responses: { 200: { description: 'Document', content: json(documentResponseSchema, 'output') }, 404: errorResponse } },
        delete: { summary: 'Forget a document', security: secured, responses: { 200: { description: 'Forgotten' }, 404: errorResponse } },
      },
      '/v1/answers': {
        post: {
          summary: 'Answer a question from memory (stream: true for server-sent events)', security: secured,
          requestBody: { required: true, content: json(answerRequestSchema, 'input') },
          responses: { 200: { description: 'Answer', content: json(answerResponseSchema, 'output') }, 401: errorResponse, 415: errorResponse, 422: errorResponse },
        },
      },
      '/v1/freshness': { get: { summary: 'Freshness monitoring', security: secured, responses: { 200: { description: 'Report', content: json(freshnessResponseSchema, 'output') } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text/plain' } } } },
      '/healthz': { get: { summary: 'Liveness', responses: { 200: { description: 'ok' } } } },
      '/readyz': { get: { summary: 'Readiness', responses: { 200: { description: 'ready' }, 503: errorResponse } } },
    },
  };
}
