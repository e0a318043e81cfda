// The runtime-neutral HTTP core: hono routes, zod schemas, one error shape. No Node or Worker API here;
// the Node entry (server/) and the Worker entry (edge/) inject their ports.
export { createApp } from './app.ts';
export { sign, type AuthConfig } from './auth.ts';
export { ApiError, ErrorCode, errorBody } from './errors.ts';
export { Metrics } from './metrics.ts';
export { iso, readJson } from './body.ts';
export { toDocumentInput } from './routes/documents.ts';
export { buildReport } from './routes/freshness.ts';
export { memoryReplayGuard, type AnswersPort, type DocumentsPort, type FreshnessPort, type ReplayGuard } from './ports.ts';
export { answerRequestSchema, answerResponseSchema, documentSchema, type AnswerRequest, type AnswerResponse, type DocumentBody, type FreshnessResponse } from './schemas.ts';
export { safeEqual, toHex } from './auth.ts';
export type { Services } from './services.ts';
