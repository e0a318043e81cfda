import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError, ErrorCode } from './errors.ts';

export interface AuthConfig {
  apiKeys: string[];
  /** Shared secrets for webhook senders; the signature is HMAC-SHA256 over `${timestamp}.${rawBody}`. */
  webhookSecrets: string[];
  toleranceSeconds: number;
}

export const SIGNATURE_HEADER = 'x-signature';
export const TIMESTAMP_HEADER = 'x-timestamp';

const safeEqual = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export const sign = (secret: string, timestamp: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

/**
 * `Authorization: Bearer KEY` (keys from API_KEYS), or a webhook signature: `X-Timestamp` (unix seconds)
 * and `X-Signature: sha256=HEX`. A signature is accepted once, within the replay window.
 */
export function authenticate(config: AuthConfig, now: () => number = Date.now): MiddlewareHandler {
  const seen = new Map<string, number>(); // signature -> expiry (ms)
  const open = !config.apiKeys.length && !config.webhookSecrets.length;
  return async (c, next) => {
    if (open) return next();
    const header = c.req.header('authorization');
    if (header) {
      const key = header.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
      if (!key || !config.apiKeys.some((k) => safeEqual(k, key))) {
        throw new ApiError(401, ErrorCode.unauthorized, 'Invalid API key. Send `Authorization: Bearer KEY` with a key from API_KEYS.');
      }
      return next();
    }
    const signature = c.req.header(SIGNATURE_HEADER);
    const timestamp = c.req.header(TIMESTAMP_HEADER);
    if (!signature || !timestamp || !config.webhookSecrets.length) {
      throw new ApiError(401, ErrorCode.unauthorized, 'Missing credentials: send `Authorization: Bearer KEY`, or sign the body with X-Timestamp and X-Signature.');
    }
    const ts = Number(timestamp);
    const nowMs = now();
    if (!Number.isFinite(ts) || Math.abs(nowMs / 1000 - ts) > config.toleranceSeconds) {
      throw new ApiError(401, ErrorCode.staleSignature, `X-Timestamp must be unix seconds within ${config.toleranceSeconds} s of the server clock.`);
    }
    const body = await c.req.text();
    if (!config.webhookSecrets.some((secret) => safeEqual(sign(secret, timestamp, body), signature))) {
      throw new ApiError(401, ErrorCode.invalidSignature, 'X-Signature does not match: expected sha256=HMAC_SHA256(secret, `${X-Timestamp}.${raw body}`) in hex.');
    }
    for (const [sig, expiry] of seen) if (expiry < nowMs) seen.delete(sig);
    if (seen.has(signature)) throw new ApiError(401, ErrorCode.replayedSignature, 'This signature was already used; sign each delivery with a fresh timestamp.');
    seen.set(signature, nowMs + 2 * config.toleranceSeconds * 1000);
    return next();
  };
}
