import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { hlsMedia } from '../helpers/hls-media.js';
import { CHROMIUM_PATH, chromiumFlags, playUntil, startPlayerPage } from '../helpers/hls-player.js';
import { collectEvents, startTestPlatform, type TestPlatform } from '../helpers/platform.js';

describe('e2e: a real browser plays the HLS package with hls.js', () => {
  let p: TestPlatform;
  let browser: BrowserContext;
  let page: Awaited<ReturnType<typeof startPlayerPage>>;
  let profile: Awaited<ReturnType<typeof chromiumFlags>>;
  before(async () => {
    p = await startTestPlatform();
    page = await startPlayerPage();
    profile = await chromiumFlags();
    browser = await chromium.launchPersistentContext(profile.userDataDir, { executablePath: CHROMIUM_PATH, headless: true, args: profile.args });
  });
  after(async () => {
    await browser?.close();
    await page?.close();
    await profile?.cleanup();
    await p?.stop();
  });

  it('plays at least 3 s from the master URL, on another origin', async () => {
    const up = await p.api('POST', '/v1/uploads?filename=talk.mp4', await readFile(await hlsMedia('hls-20s.mp4')), { 'content-type': 'application/octet-stream' });
    const created = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'hls', segmentSeconds: 2, storyboard: false }] });
    const events = await collectEvents(p.base, created.body.id);
    assert.equal(events.at(-1)!.data.status, 'succeeded', JSON.stringify(events.at(-1)!.data));
    const job = (await p.api('GET', `/v1/jobs/${created.body.id}`)).body;
    const master = job.outputs[0].files.find((f: any) => f.name === 'master.m3u8').url;

    const tab = await browser.newPage();
    const { state, time, diagnostics } = await playUntil(tab, page.pageUrl(master), 3);
    assert.equal(state.supported, true, `MSE available: ${diagnostics}`);
    assert.equal(state.error, null, `no fatal player error: ${diagnostics}`);
    assert.equal(state.levels, 2, diagnostics);
    assert.ok(time >= 3, `played ${time} s: ${diagnostics}`);
  });
});
