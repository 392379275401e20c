import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ARTIFACTS, buildConsole, signInWithKey, startBrowser } from '../helpers/console.js';
import { media } from '../helpers/media.js';
import { startTestPlatform, TEST_KEY, type TestPlatform } from '../helpers/platform.js';
import { freePort, TcpRelay } from '../helpers/tcp-relay.js';
import { waitFor } from '../helpers/temp.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { readZip } from '../helpers/zip.js';

// Page scripts are strings: tsx names the functions it compiles (`__name(…)`), which the page lacks.
/** Every status and progress text the first job row shows, recorded in the page as it changes. */
const RECORD_ROW = `(() => {
  const seen = [];
  window.rowSeen = seen;
  new MutationObserver(() => {
    const row = document.querySelector('li.job');
    if (!row) return;
    const text = row.querySelector('.status')?.textContent + ' ' + row.querySelector('.pct')?.textContent;
    if (seen.at(-1) !== text) seen.push(text);
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
})()`;

/** Controls without an accessible name (a label, aria-label or text). */
const UNLABELLED = `[...document.querySelectorAll('input, select, textarea, button, video, audio, a')]
  .filter((el) => !(el.labels && el.labels.length > 0) && !el.getAttribute('aria-label') && !el.textContent.trim())
  .map((el) => el.outerHTML.slice(0, 120))`;

/** A signed link without its token (which carries its expiry: two readings of a job differ there). */
const unsigned = (url: string | null | undefined) => String(url).replace(/\/v1\/files\/[^/]+\//, '/v1/files/<token>/');

interface Preview {
  image: string;
  position: string;
  width: string;
  time: string;
}
const PREVIEW = `(() => { const el = document.querySelector('.storyboard-preview'); return el && { image: el.style.backgroundImage, position: el.style.backgroundPosition, width: el.style.width, time: el.dataset.time }; })()`;

describe('e2e: the console job page in a real browser', () => {
  let p: TestPlatform;
  let browser: Awaited<ReturnType<typeof startBrowser>>;
  let receiver: WebhookReceiver;
  /** The browser's way to the API: a relay whose connections the test cuts (its address is the public URL, so file links go through it too). */
  let relay: TcpRelay;
  let site: string;
  let clip: string;
  let other: string;
  before(async () => {
    const [dir, video] = await Promise.all([buildConsole(), media('clip10.mp4')]);
    clip = video;
    receiver = await WebhookReceiver.start();
    const port = await freePort();
    site = `http://127.0.0.1:${port}`;
    p = await startTestPlatform({ MEDIAFORGE_CONSOLE_DIR: dir, MEDIAFORGE_WEBHOOK_ALLOWLIST: `127.0.0.1:${receiver.port}`, MEDIAFORGE_PUBLIC_URL: site });
    relay = await TcpRelay.open({ host: '127.0.0.1', port: Number(new URL(p.base).port) }, port);
    browser = await startBrowser();
    const hook = await p.api('POST', '/v1/webhooks', { url: receiver.url() });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    const acc = await p.api('POST', '/v1/accounts', { name: 'Other school' });
    const key = await p.api('POST', `/v1/accounts/${acc.body.id}/keys`, { name: 'other console' });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    other = key.body.key;
  });
  after(async () => {
    await browser?.close();
    await p?.stop();
    await receiver?.close();
    await relay?.down();
  });

  it('uploads through a cut connection, runs hls + frames + clips, and shows them on the job page', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    // The cut link fails requests while it lasts: expected; anything else (a CSP violation) is not.
    page.on('console', (m) => m.type() === 'error' && !/ERR_INTERNET_DISCONNECTED|ERR_NETWORK_CHANGED|ERR_CONNECTION|ERR_SOCKET_NOT_CONNECTED/.test(m.text()) && problems.push(`console: ${m.text()}`));
    await page.goto(site);
    await signInWithKey(page, TEST_KEY);

    // About 400 kB/s up (the relay paces what reaches the API); once the API holds more than
    // 10 % of the file, the link is cut for 1.5 s: the browser offline (CDP), every connection
    // to the API closed and refused (CDP's offline alone lets a request under way go on).
    relay.throttle(400 * 1024);
    const cdp = await browser.context.newCDPSession(page);
    const sent: Array<{ method: string; offset: string | undefined }> = [];
    let location = '';
    page.on('request', (r) => r.url().includes('/v1/uploads/tus') && sent.push({ method: r.method(), offset: r.headers()['upload-offset'] }));
    page.on('response', (r) => r.request().method() === 'POST' && r.url().endsWith('/v1/uploads/tus') && (location = new URL(r.headers().location ?? '', site).pathname));
    const size = (await readFile(clip)).length;
    await page.getByLabel('Drop a video here, or choose a file').setInputFiles(clip);
    /** What the API holds of the upload, asked directly (not through the relay). */
    const stored = async () => Number((await fetch(`${p.base}${location}`, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${TEST_KEY}` } })).headers.get('upload-offset'));
    await waitFor(async () => location !== '' && (await stored()) > size / 10, { timeoutMs: 30_000, what: 'a tenth of the upload stored' });
    const cutAt = sent.length;
    await cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: 0, uploadThroughput: 0 });
    await relay.down();
    const storedAtCut = await stored();
    assert.ok(storedAtCut < size, `cut in the middle: ${storedAtCut} of ${size} bytes stored`);
    await new Promise((r) => setTimeout(r, 1500));
    relay.throttle(null);
    await relay.up();
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.locator('#upload-message', { hasText: /Uploaded as upl_/ }).waitFor({ timeout: 30_000 });
    const afterCut = sent.slice(cutAt);
    const head = afterCut.findIndex((r) => r.method === 'HEAD');
    assert.ok(head >= 0, `a HEAD for the offset after the cut: ${JSON.stringify(sent)}`);
    assert.ok(afterCut.slice(head).some((r) => r.method === 'PATCH' && Number(r.offset) > 0), `then a PATCH from the server's offset, not 0: ${JSON.stringify(sent)}`);
    const uploadId = await page.getByLabel('Upload id').inputValue();
    const upload = await p.api('GET', `/v1/uploads/${uploadId}`);
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
    assert.equal(upload.body.sha256, createHash('sha256').update(await readFile(clip)).digest('hex'), 'the resumed upload holds the file');

    // hls, frames (1 fps) and clips (5 s) from the generated form.
    for (const type of ['hls', 'frames', 'clips']) {
      await page.getByLabel('Output type').selectOption(type);
      await page.getByRole('button', { name: 'Add output' }).click();
    }
    await page.locator('fieldset[data-output="frames"]').getByLabel('fps', { exact: true }).fill('1');
    await page.locator('fieldset[data-output="clips"]').getByLabel('segmentSeconds', { exact: true }).fill('5');
    await page.evaluate(RECORD_ROW);
    await page.getByRole('button', { name: 'Create job' }).click();
    const queued = await page.getByRole('status').filter({ hasText: /Job job_\w+ queued/ }).textContent();
    const jobId = /job_\w+/.exec(queued ?? '')![0];
    await page.locator(`li.job[data-job="${jobId}"][data-status="succeeded"]`).waitFor({ timeout: 120_000 });
    const seen: string[] = await page.evaluate('window.rowSeen');
    assert.ok(seen.some((s) => /^running (?!0 %)\d+ %/.test(s)), `the row showed progress while running: ${seen.join(' | ')}`);
    assert.equal(seen.at(-1), 'succeeded 100 %', seen.join(' | '));
    const job = (await p.api('GET', `/v1/jobs/${jobId}`)).body;
    const [hls, frames, clips] = job.outputs;
    const fileOf = (o: { files: Array<{ name: string; url: string }> }, name: string) => o.files.find((f) => f.name === name)!;

    // The job page, from the row's link; a reload stays on it.
    await page.getByRole('link', { name: `Open job ${jobId}` }).click();
    await page.getByRole('heading', { name: `Job ${jobId}` }).waitFor();
    assert.equal(new URL(page.url()).hash, `#/jobs/${jobId}`);
    await page.reload();
    await page.getByRole('heading', { name: `Job ${jobId}` }).waitFor();
    const meta = page.locator('.job-detail dl.meta');
    assert.match((await meta.textContent()) ?? '', /duration10/, 'the input metadata');
    assert.match((await meta.textContent()) ?? '', /videoCodech264/);

    // The HLS plays 2 s at least, with the poster.
    const video = page.getByLabel(/^HLS video/);
    assert.equal(unsigned(await video.getAttribute('poster')), unsigned(fileOf(hls, 'poster.jpg').url));
    await video.evaluate((v: HTMLVideoElement) => {
      v.muted = true;
      return v.play();
    });
    await page.waitForFunction(() => (document.querySelector('.player video') as HTMLVideoElement).currentTime >= 2, undefined, { timeout: 40_000 });

    // Hovering the seek bar shows the storyboard tile of the time under the pointer.
    await page.locator('[data-output-type="hls"]').evaluate((el) => el.scrollIntoView());
    const bar = page.getByLabel(/^Seek HLS video/);
    const box = (await bar.boundingBox())!;
    await bar.hover({ position: { x: box.width * 0.1, y: box.height / 2 } });
    await page.locator('.storyboard-preview').waitFor();
    const early = (await page.evaluate(PREVIEW)) as Preview;
    await bar.hover({ position: { x: box.width * 0.9, y: box.height / 2 } });
    await page.waitForFunction(`(${PREVIEW}).time !== ${JSON.stringify(early.time)}`);
    const late = (await page.evaluate(PREVIEW)) as Preview;
    assert.equal(unsigned(early.image), `url("${unsigned(fileOf(hls, 'storyboard.jpg').url)}")`, 'the sprite is the storyboard output file');
    assert.equal(early.width, `${hls.result.storyboard.tileWidth}px`);
    assert.notEqual(early.position, late.position, `the tile moves with the pointer: ${early.position} → ${late.position}`);
    // The README's picture (docs/images/console-job.png) is this one.
    await page.screenshot({ path: join(ARTIFACTS, 'job-1-storyboard.png') });
    // From the keyboard too: End on the focused seek bar seeks to the end and previews its tile.
    await page.mouse.move(0, 0);
    await page.locator('.storyboard-preview').waitFor({ state: 'detached' });
    await bar.focus();
    await page.keyboard.press('End');
    await page.locator('.storyboard-preview').waitFor();
    assert.equal(((await page.evaluate(PREVIEW)) as Preview).position, late.position, 'the last tile');
    await bar.blur();

    // The gallery holds every frame of the manifest, each with its time.
    const zip = await readZip(Buffer.from(await (await fetch(fileOf(frames, 'frames.zip').url)).arrayBuffer()));
    const manifest = JSON.parse(zip.get('manifest.json')!.toString());
    assert.equal(manifest.frames.length, 10);
    const gallery = page.getByRole('list', { name: /^Frames/ });
    await page.waitForFunction((n) => document.querySelectorAll('.gallery li.frame img[src^="blob:"]').length === n, manifest.frames.length, { timeout: 20_000 });
    assert.equal(await gallery.locator('li.frame').count(), manifest.frames.length);
    assert.deepEqual(await gallery.locator('figcaption').allTextContents(), manifest.frames.map((f: { index: number; time: number }) => `#${f.index + 1} · ${f.time.toFixed(3)} s`));
    assert.ok(await gallery.locator('img').first().evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth > 0)), 'the frame is an image');

    // Each clip plays inline; a download button gives the API's bytes.
    const clipFiles = clips.files.filter((f: { name: string }) => f.name.endsWith('.mp4'));
    assert.equal(clipFiles.length, 2);
    assert.equal(await page.locator('[data-output-type="clips"] video').count(), 2);
    assert.equal(unsigned(await page.locator('[data-output-type="clips"] video').first().getAttribute('src')), unsigned(clipFiles[0].url));
    const downloading = page.waitForEvent('download');
    await page.getByRole('link', { name: `Download ${clipFiles[0].name} (output 3, clips)` }).click();
    const download = await downloading;
    const got = await readFile((await download.path())!);
    const expected = Buffer.from(await (await fetch(clipFiles[0].url)).arrayBuffer());
    assert.equal(download.suggestedFilename(), clipFiles[0].name);
    assert.ok(got.equals(expected), `the downloaded ${clipFiles[0].name} is the API's (${got.length} vs ${expected.length} bytes)`);

    // The job's webhook deliveries, as the API lists them.
    const listed = (await p.api('GET', `/v1/jobs/${jobId}/deliveries`)).body.deliveries;
    assert.ok(listed.length >= 3, JSON.stringify(listed));
    assert.equal(await page.locator('table.deliveries tbody tr').count(), listed.length);
    assert.deepEqual(await page.evaluate(UNLABELLED), [], 'every control has a name');
    await page.screenshot({ path: join(ARTIFACTS, 'job-2-desktop.png'), fullPage: true });

    // 375 px wide: nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 800 });
    assert.ok(await page.evaluate('document.documentElement.scrollWidth <= 375'), 'no horizontal scrolling at 375 px');
    await page.screenshot({ path: join(ARTIFACTS, 'job-3-mobile-375.png'), fullPage: true });
    await page.setViewportSize({ width: 1100, height: 900 });

    // Back to the list.
    await page.getByRole('link', { name: '← All jobs' }).click();
    await page.locator(`li.job[data-job="${jobId}"]`).waitFor();
    assert.deepEqual(problems, [], 'no page errors (a CSP violation is one)');

    // Another account sees none of it, and the job's URL says it is not there.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInWithKey(page, other);
    await page.locator('#no-jobs').waitFor();
    assert.equal(await page.locator('li.job').count(), 0);
    await page.goto(`${site}/#/jobs/${jobId}`);
    await page.reload();
    const missing = page.locator('#job-not-found');
    await missing.waitFor();
    assert.match((await missing.textContent()) ?? '', new RegExp(`no job ${jobId} in this account \\(404 not_found\\)`));
    assert.equal(await page.locator('.player, .gallery, table.deliveries').count(), 0);
    await page.screenshot({ path: join(ARTIFACTS, 'job-4-other-account.png'), fullPage: true });
    await page.close();
  });
});
