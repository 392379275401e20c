import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { buildConsole, signInWithKey, startBrowser } from '../helpers/console.js';
import { media } from '../helpers/media.js';
import { startTestPlatform, TEST_KEY, type TestPlatform } from '../helpers/platform.js';

// The web console's edges (docs/console.md): served from an unbuilt checkout, and more live
// jobs than a browser has connections. The walk through the console is console.test.ts.
describe('e2e: the console not built', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform({ MEDIAFORGE_CONSOLE_DIR: '/nonexistent/console' });
  });
  after(async () => p?.stop());

  it('/ says to run npm run build; /invite is unchanged', async () => {
    const res = await fetch(`${p.base}/`);
    assert.equal(res.status, 503);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await res.text(), /npm run build/);
    const invite = await fetch(`${p.base}/invite`);
    assert.equal(invite.status, 200);
    assert.match(await invite.text(), /password/i);
  });
});

describe('e2e: the console with more live jobs than a browser has connections', () => {
  let p: TestPlatform;
  let browser: Awaited<ReturnType<typeof startBrowser>>;
  before(async () => {
    // No worker: every job stays queued, so every row is live.
    p = await startTestPlatform({ MEDIAFORGE_CONSOLE_DIR: await buildConsole(), MEDIAFORGE_WORKER: 'false' });
    browser = await startBrowser();
  });
  after(async () => {
    await browser?.close();
    await p?.stop();
  });

  it('eight queued jobs do not take every connection: the list and the buttons still answer', async () => {
    const up = await p.api('POST', '/v1/uploads?filename=tiny.mp4', await readFile(await media('tiny1.mp4')), { 'content-type': 'application/octet-stream' });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'thumbnail' }] })).body.id);
    const page = await browser.context.newPage();
    await page.goto(p.base);
    await signInWithKey(page, TEST_KEY);
    await page.locator('li.job[data-status="queued"]').nth(7).waitFor();
    // A browser holds 6 connections per origin: with a stream per row, these would wait forever.
    const last = ids[0];
    await page.getByRole('button', { name: `Cancel ${last}` }).click();
    await page.locator(`li.job[data-job="${last}"][data-status="canceled"]`).waitFor({ timeout: 10_000 });
    await page.getByLabel('Status', { exact: true }).selectOption('canceled');
    await page.locator('li.job').first().waitFor({ timeout: 10_000 });
    assert.deepEqual(await page.locator('li.job').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job'))), [last]);
    await page.close();
  });
});
