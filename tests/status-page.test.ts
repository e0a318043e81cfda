import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../server/index.ts';
import { client, ROOT, startTestService, waitIndexed } from './helpers.ts';

/** Debian's chromium, installed by `npm run setup` (scripts/setup.sh); playwright-core downloads no browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

// The status page on the real service (tiny bundle): what it shows without a key, with a scoped key and
// with a full one; then the page as a browser renders it (the README's screenshot is taken here).
describe('status page', () => {
  let svc: RunningService;
  const basic = (key: string) => ({ authorization: `Basic ${btoa(`status:${key}`)}` });
  beforeAll(async () => {
    svc = await startTestService({ API_KEYS: 'admin,team-key=alpha', FRESHNESS_SLA_S: '2' });
    const admin = client(svc.url, 'admin');
    await admin.post('/v1/documents', { id: 'a-1', collection: 'alpha', source: 'alpha-wiki', text: 'The alpha bridge opened in 1911.' });
    await admin.post('/v1/documents', { id: 'd-1', source: 'secret-feed', text: 'The default tunnel opened in 1950.' });
    for (const id of ['a-1', 'd-1']) await waitIndexed(admin, id);
    await admin.post('/v1/answers', { question: 'When did the bridge open?', mode: 'rag', max_tokens: 2 });
    // A version that failed for good, through the store's own job queue (the worker is stopped first).
    await svc.worker.stop();
    svc.store.upsertDocuments([{ id: 'broken-1', source: 'secret-feed', text: 'Unreadable.' }], Date.now());
    const [job] = svc.store.claimJobs(1, Date.now());
    svc.store.failJob(job, 'encoder crashed: out of memory', Date.now(), 1);
    await new Promise((r) => setTimeout(r, 2_100)); // both sources go stale (SLA 2 s)
  });
  afterAll(() => svc?.close());

  const page = async (headers: Record<string, string> = {}) => {
    const r = await fetch(`${svc.url}/`, { headers });
    return { status: r.status, html: await r.text() };
  };

  it('without a key shows aggregate health only: no source names, ids or error texts', async () => {
    const { status, html } = await page();
    expect(status).toBe(200);
    expect(html).toContain('Aggregate view');
    expect(html).not.toMatch(/alpha-wiki|secret-feed|broken-1|out of memory/);
    expect(html).toMatch(/<meta http-equiv="refresh" content="30">/);
    const login = await fetch(`${svc.url}/?login`);
    expect(login.status).toBe(401);
    expect(login.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('with a key shows its collections\' sources, stale ones marked, and the latest failures', async () => {
    const full = (await page(basic('admin'))).html;
    expect(full).toMatch(/<tr class="stale"><td>secret-feed<\/td>/);
    expect(full).toContain('broken-1');
    expect(full).toContain('encoder crashed: out of memory');
    expect(full).toMatch(/<time datetime="[^"]+" title="[^"]+">\d+ s ago<\/time>/);
    const scoped = (await page(basic('team-key'))).html;
    expect(scoped).toContain('alpha-wiki');
    expect(scoped).not.toMatch(/secret-feed|broken-1/);
    expect((await page(basic('wrong'))).html).toContain('Aggregate view');
  });

  it('renders in a real browser: cards, three 24-hour charts, sources and failures', async () => {
    if (!CHROMIUM) throw new Error('chromium not found: `npm run setup` installs Debian\'s chromium (as root), or set CHROMIUM_PATH');
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
      const context = await browser.newContext({ httpCredentials: { username: 'status', password: 'admin' }, viewport: { width: 1100, height: 900 } });
      const tab = await context.newPage();
      const response = await tab.goto(`${svc.url}/?login`); // the 401 challenge makes the browser send its credentials
      expect(response?.status()).toBe(200);
      expect(await tab.locator('h1').textContent()).toBe('Memory status');
      expect(await tab.locator('.card').count()).toBe(8);
      for (const chart of ['#chart-indexed', '#chart-lag', '#chart-answers']) expect(await tab.locator(`${chart} rect`).count()).toBe(24);
      expect(await tab.locator('#sources tr.stale').count()).toBe(2);
      expect(await tab.locator('#failures').textContent()).toContain('encoder crashed');
      expect(await tab.locator('#uptake').isVisible()).toBe(true);
      // The README's picture: SCREENSHOT_PATH=results/status-page.png npx vitest run tests/status-page.test.ts
      const shot = process.env.SCREENSHOT_PATH ?? join(ROOT, 'runs', 'status-page.png');
      mkdirSync(dirname(shot), { recursive: true });
      await tab.screenshot({ path: shot, fullPage: true });
    } finally {
      await browser?.close();
    }
  });
});
