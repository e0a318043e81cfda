import type { ReplayGuard } from '../app/index.ts';

/** Webhook signatures in D1, so a replay is refused by every isolate, not only the one that saw it first. */
export function d1ReplayGuard(db: D1Database): ReplayGuard {
  return {
    async firstUse(signature, expiresAt) {
      const r = await db.prepare('INSERT INTO used_signatures (signature, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING')
        .bind(signature, expiresAt).run();
      return r.meta.changes === 1;
    },
  };
}
