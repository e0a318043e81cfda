import { spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { sign } from '../app/index.ts';
import { spawnServer } from '../bench/service.ts';
import { client, ROOT, startTestService, tempDir, TINY_BUNDLE, waitIndexed } from './helpers.ts';

const startProcess = (env: Record<string, string>) => spawnServer({ THREADS: '1', ...env });

/** Runs one of the repository's command-line tools to completion (reindex, backup) with these settings. */
const runCli = (script: string, args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });

/** A data directory whose bank holds these documents, indexed by the tiny bundle's service (stopped again). */
async function bankWith(name: string, documents: { id: string; text: string }[]): Promise<string> {
  const data = tempDir(name);
  const svc = await startTestService({ DATA_DIR: data });
  const api = client(svc.url);
  await api.post('/v1/documents', { documents });
  for (const d of documents) await waitIndexed(api, d.id);
  await svc.close();
  return data;
}

const children: ChildProcess[] = [];
afterEach(() => children.forEach((c) => c.kill('SIGKILL')));

describe('durability', () => {
  it('keeps every acknowledged document through three kill -9 cycles during ingestion and answering', async () => {
    const data = tempDir('mac-crash');
    const env = { DATA_DIR: data, BUNDLE_DIR: TINY_BUNDLE, SNAPSHOT_INTERVAL_S: '1' };
    const acked: string[] = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      const live = await startProcess(env);
      children.push(live.child);
      const api = client(live.url);
      // Answers keep the LM busy while batches arrive; the kill lands mid-encoding and mid-answer.
      const answering = Array.from({ length: 4 }, () => api.post('/v1/answers', { question: 'What is the value?', mode: 'rag', max_tokens: 64 }).catch(() => null));
      for (let batch = 0; batch < 3; batch++) {
        const docs = Array.from({ length: 10 }, (_, i) => ({ id: `doc-${cycle}-${batch}-${i}`, text: `Fact ${cycle}-${batch}-${i}: the value is ${batch * 10 + i}. ${'More text. '.repeat(30)}` }));
        const res = await api.post('/v1/documents', { documents: docs });
        expect(res.status).toBe(202);
        acked.push(...docs.map((d) => d.id));
      }
      live.child.kill('SIGKILL');
      await new Promise((r) => live.child.once('exit', r));
      await Promise.all(answering);
    }

    const last = await startProcess(env);
    children.push(last.child);
    const api = client(last.url);
    for (const id of acked) await waitIndexed(api, id, 60_000);
    const f = await (await api.get('/v1/freshness')).json();
    expect(f.documents.indexed).toBe(acked.length);
    expect(f.queue.depth).toBe(0);
    // The index holds exactly what the database holds.
    const indexed = Number((await (await fetch(`${last.url}/metrics`)).text()).match(/^mac_index_passages (\d+)$/m)![1]);
    expect(indexed).toBe(f.passages);
  });

  it('restarts from the index snapshot plus catch-up, and rebuilds the index from SQLite alone', async () => {
    const data = await bankWith('mac-restart', [{ id: 'a', text: 'Apples are red.' }, { id: 'b', text: 'Bananas are yellow.' }]); // closing wrote the snapshot

    const again = await startTestService({ DATA_DIR: data });
    expect(again.index.size()).toBe(2);
    await again.close();

    const rebuilt = runCli('memory/reindex-cli.ts', [], { DATA_DIR: data, BUNDLE_DIR: TINY_BUNDLE });
    expect(rebuilt.status).toBe(0);
    expect(rebuilt.stdout).toMatch(/0 passages converted to q4, 0 re-encoded, 0 given sentence embeddings, index rebuilt with 2 passages/);
    // Sentence embeddings that are not this service's, then reindex: what it printed and each passage's sentence bytes after.
    const reindexAfter = (sql: string) => {
      const db = new Database(join(data, 'memory.sqlite'));
      db.prepare(sql).run();
      db.close();
      const { stdout } = runCli('memory/reindex-cli.ts', [], { DATA_DIR: data, BUNDLE_DIR: TINY_BUNDLE });
      const after = new Database(join(data, 'memory.sqlite'), { readonly: true });
      const sizes = after.prepare('SELECT LENGTH(sentence_embeddings) AS n FROM passages ORDER BY id').all() as { n: number | null }[];
      after.close();
      return { stdout, sizes };
    };
    // a bank made before sentences were embedded (the column NULL): reindex embeds them
    const embedded = reindexAfter('UPDATE passages SET sentence_embeddings = NULL');
    expect(embedded.stdout).toMatch(/0 re-encoded, 2 given sentence embeddings, index rebuilt with 2 passages/);
    expect(embedded.sizes.every((s) => s.n !== null)).toBe(true);
    // sentence embeddings made with other sentence boundaries (their count differs): reindex embeds them anew
    const reembedded = reindexAfter('UPDATE passages SET sentence_embeddings = zeroblob(LENGTH(sentence_embeddings) + 4)');
    expect(reembedded.stdout).toMatch(/0 re-encoded, 2 given sentence embeddings, index rebuilt with 2 passages/);
    expect(reembedded.sizes).toEqual(embedded.sizes);
  });

  it('forgets a deleted document on every endpoint, before and after a restart', async () => {
    const data = tempDir('mac-forget');
    let svc = await startTestService({ DATA_DIR: data });
    let api = client(svc.url);
    await api.post('/v1/documents', { documents: [
      { id: 'ledger', title: 'Zanzibar Ledger', source: 'quillwort-feed', text: 'The quillwort archive has kept the Zanzibar ledger since 1911. It holds 900 pages.' },
      { id: 'other', text: 'Apples are red.' },
    ] });
    await waitIndexed(api, 'ledger');
    await waitIndexed(api, 'other');
    await svc.prober.probeOnce(); // stores uptake-probe questions made from the documents' text
    await svc.prober.probeOnce();
    const everything = async () => {
      const gets = ['/', '/metrics', '/v1/documents', '/v1/documents/ledger', '/v1/documents/ledger/passages', '/v1/freshness', '/v1/collections'];
      const bodies = await Promise.all(gets.map(async (path) => (await api.get(path)).text()));
      for (const mode of ['mac', 'rag', 'hybrid']) {
        bodies.push(await (await api.post('/v1/answers', { question: 'What does the Zanzibar ledger hold?', mode, max_tokens: 2, top_k: 10 })).text());
      }
      return bodies.join('\n').toLowerCase();
    };
    for (const word of ['quillwort', 'zanzibar']) expect(await everything()).toContain(word); // the check can see them
    expect((await api.del('/v1/documents/ledger')).status).toBe(200);
    for (const word of ['quillwort', 'zanzibar']) expect(await everything()).not.toContain(word);
    await svc.close();
    svc = await startTestService({ DATA_DIR: data });
    api = client(svc.url);
    for (const word of ['quillwort', 'zanzibar']) expect(await everything()).not.toContain(word);
    expect(await (await api.get('/v1/documents/ledger')).json()).toMatchObject({ id: 'ledger', status: 'deleted', title: null, source: null });
    await svc.close();
  });

  it('refuses a replayed webhook delivery after a restart too', async () => {
    const data = tempDir('mac-replay');
    const env = { DATA_DIR: data, WEBHOOK_SECRETS: 'hook-secret' };
    const body = JSON.stringify({ id: 'signed', text: 'Signed documents arrive from webhook senders.' });
    const ts = String(Math.floor(Date.now() / 1000));
    const headers = { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': await sign('hook-secret', ts, body) };
    const first = await startTestService(env);
    expect((await fetch(`${first.url}/v1/documents`, { method: 'POST', headers, body })).status).toBe(202);
    await first.close();
    const second = await startTestService(env);
    const replay = await fetch(`${second.url}/v1/documents`, { method: 'POST', headers, body });
    expect(replay.status).toBe(401);
    expect((await replay.json()).error.code).toBe('replayed_signature');
    await second.close();
  });

  it('refuses a memory bank of another memory format; reindex converts another codec\'s memories and re-encodes other formats from the text', async () => {
    const data = await bankWith('mac-format', [{ id: 'a', text: 'Apples are red.' }, { id: 'b', text: 'Bananas are yellow.' }]);

    // the bundle's codec (q4) made them: the message names the setting that reads them as they are
    await expect(startTestService({ DATA_DIR: data, MODULATION_CODEC: 'fp16' })).rejects.toThrow(/holds 2 passages of format 'kv-.*-q4-.*MODULATION_CODEC=q4 to keep reading it as stored.*npm run reindex/s);
    const reindex = () => runCli('memory/reindex-cli.ts', [], { DATA_DIR: data, BUNDLE_DIR: TINY_BUNDLE, MODULATION_CODEC: 'fp16' });
    // another codec only: converted from the stored memories, no encoder pass
    const converted = reindex();
    expect(converted.status).toBe(0);
    expect(converted.stdout).toMatch(/2 passages converted to fp16, 0 re-encoded, 0 given sentence embeddings, index rebuilt with 2 passages/);
    // another format (as an older release left it): re-encoded from the stored text
    const db = new Database(join(data, 'memory.sqlite'));
    db.prepare("UPDATE passages SET memory_format = 'kv-older-release' WHERE id = (SELECT MIN(id) FROM passages)").run();
    db.close();
    const reencoded = reindex();
    expect(reencoded.status).toBe(0);
    expect(reencoded.stdout).toMatch(/0 passages converted to fp16, 1 re-encoded, 0 given sentence embeddings, index rebuilt with 2 passages/);
    const again = await startTestService({ DATA_DIR: data, MODULATION_CODEC: 'fp16' });
    const answer = await (await client(again.url).post('/v1/answers', { question: 'What colour are apples?', mode: 'mac', max_tokens: 2 })).json();
    expect(answer.sources.length).toBe(1);
    await again.close();
  });

  it('reindex splits a document stored with another split into this service\'s passages, and leaves the others', async () => {
    const data = await bankWith('mac-split', [{ id: 'a', text: 'Apples are red. Pears are green.' }, { id: 'b', text: 'Bananas are yellow.' }]);
    // as an older splitter left it: "a" in two passages
    const db = new Database(join(data, 'memory.sqlite'));
    for (const [ordinal, text] of ['Apples are red.', 'Pears are green.'].entries()) {
      db.prepare(`INSERT INTO passages (document_id, version, ordinal, text, codec, modulation, embedding, created_at, memory_format)
        SELECT document_id, version, ?, ?, codec, modulation, embedding, created_at, memory_format FROM passages WHERE document_id = 'a' AND ordinal = 0 LIMIT 1`).run(ordinal + 1, text);
    }
    db.prepare("DELETE FROM passages WHERE document_id = 'a' AND ordinal = 0").run();
    db.prepare("UPDATE versions SET passages = 2 WHERE document_id = 'a'").run();
    const before = db.prepare("SELECT id FROM passages WHERE document_id = 'b'").get();
    db.close();

    const reindex = runCli('memory/reindex-cli.ts', [], { DATA_DIR: data, BUNDLE_DIR: TINY_BUNDLE });
    expect(reindex.status, reindex.stderr).toBe(0);
    expect(reindex.stdout).toMatch(/1 documents split anew, 0 passages converted .* index rebuilt with 2 passages/);
    const after = new Database(join(data, 'memory.sqlite'), { readonly: true });
    expect(after.prepare("SELECT text FROM passages WHERE document_id = 'a'").all()).toEqual([{ text: 'Apples are red. Pears are green.' }]);
    expect(after.prepare("SELECT passages FROM versions WHERE document_id = 'a'").get()).toEqual({ passages: 1 });
    expect(after.prepare("SELECT id FROM passages WHERE document_id = 'b'").get()).toEqual(before); // already split so: untouched
    // the keyword index follows the passages
    expect(after.prepare("SELECT rowid FROM passages_fts WHERE passages_fts MATCH 'pears'").all()).toHaveLength(1);
    after.close();
    expect(runCli('memory/reindex-cli.ts', [], { DATA_DIR: data, BUNDLE_DIR: TINY_BUNDLE }).stdout).toMatch(/0 documents split anew/);
    const again = await startTestService({ DATA_DIR: data });
    const answer = await (await client(again.url).post('/v1/answers', { question: 'What colour are pears?', mode: 'rag', max_tokens: 2 })).json();
    expect(answer.sources.map((s: { document_id: string }) => s.document_id)).toContain('a');
    await again.close();
  });

  it('backs up while the service runs and ingests, and a restore into an empty data directory serves it all', async () => {
    const data = tempDir('mac-live');
    const env = { DATA_DIR: data, BUNDLE_DIR: TINY_BUNDLE, SNAPSHOT_INTERVAL_S: '1' };
    const live = await startProcess(env);
    children.push(live.child);
    const api = client(live.url);
    const docs = Array.from({ length: 12 }, (_, i) => ({ id: `b-${i}`, text: `Backup fact ${i}: the depot holds ${i * 7} trams.` }));
    await api.post('/v1/documents', { documents: docs.slice(0, 8) });
    for (const d of docs.slice(0, 8)) await waitIndexed(api, d.id);
    await new Promise((r) => setTimeout(r, 1_200)); // an index snapshot of the first eight
    await api.post('/v1/documents', { documents: docs.slice(8) }); // still being encoded while the backup runs
    const backupDir = join(tempDir('mac-backup'), 'copy');
    const cli = (args: string[], dataDir: string) => runCli('memory/backup-cli.ts', args, { DATA_DIR: dataDir });
    const backup = cli(['backup', backupDir], data);
    expect(backup.status, backup.stderr).toBe(0);
    for (const d of docs.slice(8)) await waitIndexed(api, d.id);
    live.child.kill('SIGKILL');

    const restored = tempDir('mac-restored');
    expect(cli(['restore', backupDir], restored).status).toBe(0);
    expect(cli(['restore', backupDir], restored).stderr).toMatch(/exists: restoring replaces it/); // never over a bank by accident
    const back = await startProcess({ ...env, DATA_DIR: restored });
    children.push(back.child);
    const api2 = client(back.url);
    // Everything acknowledged before the backup is there, and whatever was still queued is indexed now.
    for (const d of docs) expect((await waitIndexed(api2, d.id)).status).toBe('indexed');
    const f = await (await api2.get('/v1/freshness')).json();
    expect(f.documents.total).toBe(12);
    const index = Number((await (await fetch(`${back.url}/metrics`)).text()).match(/^mac_index_passages (\d+)$/m)![1]);
    expect(index).toBe(f.passages);
  });

  it('lets one process own a data directory: a second service and reindex are refused, and kill -9 frees it', async () => {
    const data = tempDir('mac-owner');
    const env = { DATA_DIR: data, BUNDLE_DIR: TINY_BUNDLE };
    const first = await startProcess(env);
    children.push(first.child);
    await expect(startProcess(env)).rejects.toThrow(/exited with 1.*Cannot start: .* is in use by the service \(pid \d+, since .*\): one process owns a data directory/s);
    const reindex = runCli('memory/reindex-cli.ts', [], env);
    expect(reindex.status).toBe(1);
    expect(reindex.stderr).toMatch(/is in use by the service/);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const next = await startProcess(env); // the operating system dropped the lock with the process
    children.push(next.child);
    expect((await fetch(`${next.url}/readyz`)).status).toBe(200);
  });

  it('refuses to start without a bundle, or with a mismatched one, and says how to fix it', async () => {
    await expect(startProcess({ BUNDLE_DIR: join(tempDir('mac-none'), 'missing') })).rejects.toThrow(/exited with 1.*missing manifest.json.*npm run setup/s);
    const broken = tempDir('mac-broken');
    cpSync(TINY_BUNDLE, broken, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(broken, 'manifest.json'), 'utf8'));
    manifest.models.lm.inputs[0].name = 'tokens';
    writeFileSync(join(broken, 'manifest.json'), JSON.stringify(manifest));
    await expect(startProcess({ BUNDLE_DIR: broken, DATA_DIR: tempDir('mac-d') })).rejects.toThrow(/lm.onnx does not match the manifest.*npm run setup/s);
    manifest.format_version = 99;
    writeFileSync(join(broken, 'manifest.json'), JSON.stringify(manifest));
    await expect(startProcess({ BUNDLE_DIR: broken, DATA_DIR: tempDir('mac-d') })).rejects.toThrow(/does not match the bundle contract/);
  });
});
