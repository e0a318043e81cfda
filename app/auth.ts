import type { Context, MiddlewareHandler } from 'hono';
import type { Scope } from '../core/types.ts';
import { ApiError, ErrorCode } from './errors.ts';
import { memoryReplayGuard, type ReplayGuard } from './ports.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** The collections the caller's key or webhook secret may see and write. */
    scope: Scope;
    /** A signed delivery's timestamp (unix seconds): its place in the sender's order. */
    signedAt: number;
    /** Who is asking, for fair shares: `key:N` (the Nth of API_KEYS), `webhook:N`, or `open`. */
    caller: string;
  }
}

export interface AuthConfig {
  /** `KEY`, `KEY=*` (every collection) or `KEY=c1|c2` (these collections only). */
  apiKeys: string[];
  /** Shared secrets for webhook senders, scoped as keys are; the signature is HMAC-SHA256 over `${timestamp}.${rawBody}`. */
  webhookSecrets: string[];
  toleranceSeconds: number;
}

interface Scoped {
  secret: string;
  scope: Scope;
}

/**
 * `KEY=c1|c2` -> the key and its collections. The split is at the last `=`, and a bare key or one that ends
 * in `=` (base64 padding) sees every collection.
 */
export function parseScoped(entry: string): Scoped {
  const at = entry.lastIndexOf('=');
  const suffix = at < 0 ? '' : entry.slice(at + 1);
  if (!suffix) return { secret: entry, scope: '*' };
  const collections = suffix.split('|').map((c) => c.trim()).filter(Boolean);
  return { secret: entry.slice(0, at), scope: collections.includes('*') ? '*' : collections };
}

/**
 * The scope of the key in an Authorization header, `Bearer KEY` or `Basic` with the key as password (what
 * a browser sends for the status page); '*' when no key is configured; null without a valid key.
 */
export function keyScope(config: AuthConfig, authorization: string | undefined): Scope | null {
  if (!config.apiKeys.length && !config.webhookSecrets.length) return '*';
  let key = bearerToken(authorization);
  const basic = authorization?.match(/^Basic\s+(.+)$/i)?.[1]?.trim();
  if (!key && basic) {
    try {
      key = atob(basic).split(':').slice(1).join(':');
    } catch {
      return null;
    }
  }
  const keys = config.apiKeys.map(parseScoped);
  const found = findKey(keys, key);
  return found < 0 ? null : keys[found].scope;
}

const bearerToken = (authorization: string | undefined) => authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();

/** The index of the key that matches, compared in constant time; -1 for none. */
const findKey = (keys: Scoped[], token: string | undefined) => (token ? keys.findIndex((k) => safeEqual(k.secret, token)) : -1);

/** The caller's scope, as the authentication set it ('*' where no key is configured). */
export const scopeOf = (c: Context): Scope => c.get('scope') ?? '*';

/** The one thing a webhook signature authorises: delivering documents. Every other route needs an API key. */
export const SIGNED_ROUTE = { method: 'POST', path: '/v1/documents' } as const;

export const SIGNATURE_HEADER = 'x-signature';
export const TIMESTAMP_HEADER = 'x-timestamp';

const encoder = new TextEncoder();

export const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Constant-time for equal lengths: the comparison never stops at the first differing byte. */
export function safeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** `sha256=HEX` of HMAC-SHA256(secret, `${timestamp}.${body}`), with Web Crypto (Node and Workers alike). */
export async function sign(secret: string, timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`${timestamp}.${body}`)));
  return `sha256=${toHex(mac)}`;
}

/**
 * `Authorization: Bearer KEY` (keys from API_KEYS), or, for document deliveries only (SIGNED_ROUTE), a
 * webhook signature: `X-Timestamp` (unix seconds) and `X-Signature: sha256=HEX`. A signature is accepted
 * once, within the replay window (remembered by the ReplayGuard: SQLite on Node, D1 at the edge).
 */
export function authenticate(config: AuthConfig, now: () => number = Date.now, replay: ReplayGuard = memoryReplayGuard()): MiddlewareHandler {
  const open = !config.apiKeys.length && !config.webhookSecrets.length;
  const keys = config.apiKeys.map(parseScoped);
  const secrets = config.webhookSecrets.map(parseScoped);
  return async (c, next) => {
    if (open) {
      c.set('scope', '*');
      c.set('caller', 'open');
      return next();
    }
    const header = c.req.header('authorization');
    if (header) {
      const found = findKey(keys, bearerToken(header));
      if (found < 0) {
        throw new ApiError(401, ErrorCode.unauthorized, 'Invalid API key. Send `Authorization: Bearer KEY` with a key from API_KEYS.');
      }
      c.set('scope', keys[found].scope);
      c.set('caller', `key:${found}`);
      return next();
    }
    const signature = c.req.header(SIGNATURE_HEADER);
    const timestamp = c.req.header(TIMESTAMP_HEADER);
    if (!signature || !timestamp || !config.webhookSecrets.length) {
      throw new ApiError(401, ErrorCode.unauthorized, 'Missing credentials: send `Authorization: Bearer KEY`, or sign the body with X-Timestamp and X-Signature.');
    }
    if (c.req.method !== SIGNED_ROUTE.method || c.req.path !== SIGNED_ROUTE.path) {
      throw new ApiError(401, ErrorCode.unauthorized, `A webhook signature authorises only ${SIGNED_ROUTE.method} ${SIGNED_ROUTE.path}; send \`Authorization: Bearer KEY\` for ${c.req.method} ${c.req.path}.`);
    }
    const ts = Number(timestamp);
    const nowMs = now();
    if (!Number.isFinite(ts) || Math.abs(nowMs / 1000 - ts) > config.toleranceSeconds) {
      throw new ApiError(401, ErrorCode.staleSignature, `X-Timestamp must be unix seconds within ${config.toleranceSeconds} s of the server clock.`);
    }
    const body = await c.req.text();
    const expected = await Promise.all(secrets.map((s) => sign(s.secret, timestamp, body)));
    const matched = expected.findIndex((e) => safeEqual(e, signature));
    if (matched < 0) {
      throw new ApiError(401, ErrorCode.invalidSignature, 'X-Signature does not match: expected sha256=HMAC_SHA256(secret, `${X-Timestamp}.${raw body}`) in hex.');
    }
    if (!(await replay.firstUse(signature, nowMs + 2 * config.toleranceSeconds * 1000, nowMs))) {
      throw new ApiError(401, ErrorCode.replayedSignature, 'This signature was already used; sign each delivery with a fresh timestamp.');
    }
    c.set('scope', secrets[matched].scope);
    c.set('signedAt', ts);
    c.set('caller', `webhook:${matched}`);
    return next();
  };
}
