import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Stable error codes: clients may switch on them; messages may change. */
export const ErrorCode = {
  invalidJson: 'invalid_json',
  validationFailed: 'validation_failed',
  unsupportedMediaType: 'unsupported_media_type',
  payloadTooLarge: 'payload_too_large',
  unauthorized: 'unauthorized',
  invalidSignature: 'invalid_signature',
  staleSignature: 'stale_signature',
  replayedSignature: 'replayed_signature',
  notFound: 'not_found',
  documentNotFound: 'document_not_found',
  forbiddenCollection: 'forbidden_collection',
  staleDelivery: 'stale_delivery',
  modelNotFound: 'model_not_found',
  notReady: 'not_ready',
  promptTooLong: 'prompt_too_long',
  upstreamFailed: 'upstream_failed',
  busy: 'busy',
  answerTimeout: 'answer_timeout',
  cancelled: 'cancelled',
  notImplemented: 'not_implemented',
  internal: 'internal_error',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class ApiError extends Error {
  constructor(readonly status: ContentfulStatusCode, readonly code: ErrorCode, message: string, readonly details?: unknown,
    readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** The one error shape every failure gets. */
export const errorBody = (code: ErrorCode, message: string, details?: unknown) => ({
  error: details === undefined ? { code, message } : { code, message, details },
});
