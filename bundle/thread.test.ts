import type * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { TINY_BUNDLE } from '../tests/helpers.ts';
import { loadBundle, switchSessions } from './load.ts';
import { lmFeeds, pastFeeds } from '../lm/past.ts';
import { ThreadActivity } from './thread.ts';

describe('SPIN_WAIT=auto', () => {
  it('a thread sees the other threads\' calls in flight, not its own', () => {
    const buffer = ThreadActivity.buffer(2);
    const lm = new ThreadActivity(buffer, 0);
    const encoding = new ThreadActivity(buffer, 1);
    lm.begin();
    expect(lm.othersBusy()).toBe(false);
    expect(encoding.othersBusy()).toBe(true);
    encoding.begin();
    encoding.begin();
    encoding.end();
    expect(lm.othersBusy()).toBe(true);
    encoding.end();
    lm.end();
    expect(lm.othersBusy()).toBe(false);
    expect(encoding.othersBusy()).toBe(false);
    expect(() => new ThreadActivity(buffer, 2)).toThrow(RangeError);
  });

  it('each run goes to the spinning session only while spinning is asked for; release frees both', async () => {
    const ran: string[] = [];
    const released: string[] = [];
    const fake = (name: string) => ({
      inputNames: [`${name}-in`],
      run: async () => (ran.push(name), {}),
      release: async () => void released.push(name),
    }) as unknown as ort.InferenceSession;
    let spin = true;
    const session = switchSessions(fake('spinning'), fake('still'), () => spin);
    await session.run({});
    spin = false;
    await session.run({});
    await session.run({});
    spin = true;
    await session.run({});
    expect(ran).toEqual(['spinning', 'still', 'still', 'spinning']);
    expect(session.inputNames).toEqual(['spinning-in']);
    await session.release();
    expect(released.sort()).toEqual(['spinning', 'still']);
  });

  it('a bundle loaded with a spin function answers the same from both sessions', async () => {
    let spin = true;
    const bundle = await loadBundle(TINY_BUNDLE, { threads: 1, verifyHashes: false, models: ['lm'], spinWait: () => spin });
    try {
      const feeds = () => lmFeeds(bundle.manifest, [1, 2, 3, 4], Object.values(pastFeeds(bundle.manifest, null)), 0);
      const first = await bundle.sessions.lm.run(feeds());
      spin = false;
      const second = await bundle.sessions.lm.run(feeds());
      expect(Array.from(second.logits.data as Float32Array)).toEqual(Array.from(first.logits.data as Float32Array));
    } finally {
      await bundle.close();
    }
  });
});
