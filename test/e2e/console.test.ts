import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ARTIFACTS, buildConsole, startBrowser } from '../helpers/console.js';
import { media } from '../helpers/media.js';
import { startTestPlatform, TEST_KEY, type TestPlatform } from '../helpers/platform.js';

// Page scripts are strings: tsx names the functions it compiles (`__name(…)`), which the page lacks.
/** Every status and progress text the first job row shows, recorded in the page as it changes (no polling gaps). */
const RECORD_ROW = `(() => {
  const seen = [];
  window.rowSeen = seen;
  window.notReloaded = true;
  new MutationObserver(() => {
    const row = document.querySelector('li.job');
    if (!row) return;
    const text = row.querySelector('.status')?.textContent + ' ' + row.querySelector('.pct')?.textContent;
    if (seen.at(-1) !== text) seen.push(text);
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
})()`;

async function signInWithKey(page: Page, key: string) {
  await page.getByLabel('API key', { exact: true }).fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
}

/** Controls without an accessible name (a label, aria-label or text). */
const UNLABELLED = `[...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => !(el.labels && el.labels.length > 0) && !el.getAttribute('aria-label') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 120))`;

describe('e2e: the web console in a real browser', () => {
  let p: TestPlatform;
  let browser: Awaited<ReturnType<typeof startBrowser>>;
  let clip: string;
  let other: string;
  before(async () => {
    const [dir, video] = await Promise.all([buildConsole(), media('clip10.mp4')]);
    clip = video;
    p = await startTestPlatform({ MEDIAFORGE_CONSOLE_DIR: dir });
    browser = await startBrowser();
    const acc = await p.api('POST', '/v1/accounts', { name: 'Other school' });
    assert.equal(acc.status, 201, JSON.stringify(acc.body));
    const key = await p.api('POST', `/v1/accounts/${acc.body.id}/keys`, { name: 'other console' });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    other = key.body.key;
  });
  after(async () => {
    await browser?.close();
    await p?.stop();
  });

  it('is served at / with a strict CSP, its assets immutable under /console/assets/', async () => {
    const res = await fetch(`${p.base}/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self'(;|$)/);
    const html = await res.text();
    assert.doesNotMatch(html, /<script>|<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, html);
    const js = await fetch(`${p.base}${asset}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.equal((await fetch(`${p.base}/console/assets/..%2Fi.js`)).status, 404);
    assert.equal((await fetch(`${p.base}/console/assets/nothing.js`)).status, 404);
  });

  it('signs in with a key, uploads over tus, runs a job generated from the schema and watches it finish live', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    // The refused job below logs its 400 as a failed resource: expected; anything else (a CSP violation) is not.
    page.on('console', (m) => m.type() === 'error' && !/Failed to load resource: .* 400/.test(m.text()) && problems.push(`console: ${m.text()}`));
    await page.goto(p.base);
    await page.screenshot({ path: join(ARTIFACTS, '1-sign-in.png'), fullPage: true });
    await signInWithKey(page, TEST_KEY);

    // Upload through tus-js-client.
    await page.getByLabel('Drop a video here, or choose a file').setInputFiles(clip);
    await page.locator('#upload-message', { hasText: /Uploaded as upl_/ }).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#upload-pct').textContent(), '100 %');
    const uploadId = await page.getByLabel('Upload id').inputValue();
    assert.match(uploadId, /^upl_/);
    const upload = await p.api('GET', `/v1/uploads/${uploadId}`);
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
    assert.equal(upload.body.filename, 'clip10.mp4');

    // Two outputs from the schema's own types; a field the API refuses comes back with its path.
    await page.getByLabel('Output type').selectOption('thumbnail');
    await page.getByRole('button', { name: 'Add output' }).click();
    await page.getByLabel('Output type').selectOption('frames');
    await page.getByRole('button', { name: 'Add output' }).click();
    const frames = page.locator('fieldset[data-output="frames"]');
    assert.deepEqual(await frames.getByLabel('format', { exact: true }).locator('option').allTextContents(), ['(default: "jpg")'.replace(/"/g, ''), 'jpg', 'png', 'webp']);
    await frames.getByLabel('fps', { exact: true }).fill('2');
    await frames.getByLabel('count', { exact: true }).fill('3');
    assert.deepEqual(await page.evaluate(UNLABELLED), [], 'every control has a label');
    await page.getByRole('button', { name: 'Create job' }).click();
    const refusal = page.locator('#job-error');
    await refusal.waitFor();
    assert.match(await refusal.textContent() ?? '', /400 validation_failed/);
    assert.match(await refusal.textContent() ?? '', /outputs\[1\].*exactly one of fps, interval, count or times/);
    await page.screenshot({ path: join(ARTIFACTS, '2-job-form-refused.png'), fullPage: true });

    await frames.getByLabel('count', { exact: true }).fill('');
    await page.evaluate(RECORD_ROW);
    await page.getByRole('button', { name: 'Create job' }).click();
    const queued = await page.getByRole('status').filter({ hasText: /Job job_\w+ queued/ }).textContent();
    const jobId = /job_\w+/.exec(queued ?? '')![0];
    const row = page.locator(`li.job[data-job="${jobId}"]`);
    await row.waitFor();
    await page.locator(`li.job[data-job="${jobId}"][data-status="running"]`).waitFor({ timeout: 30_000 }).catch(() => undefined);
    await page.screenshot({ path: join(ARTIFACTS, '3-job-running.png'), fullPage: true });
    await page.locator(`li.job[data-job="${jobId}"][data-status="succeeded"]`).waitFor({ timeout: 60_000 });
    const seen: string[] = await page.evaluate('window.rowSeen');
    assert.equal(await page.evaluate('window.notReloaded'), true, 'the page was not reloaded');
    assert.ok(seen.some((s) => s.startsWith('running ')), `the row showed the job running: ${seen.join(' | ')}`);
    assert.ok(seen.some((s) => /^running (?!0 %)\d+ %/.test(s)), `the row showed progress while running: ${seen.join(' | ')}`);
    assert.equal(seen.at(-1), 'succeeded 100 %', seen.join(' | '));

    // The job's files, as the API lists them, each a working link.
    await row.getByRole('button', { name: /Files \(\d+\)/ }).click();
    const links = await row.locator('ul.files a').evaluateAll((as) => as.map((a) => ({ name: a.textContent, href: (a as HTMLAnchorElement).href })));
    const job = (await p.api('GET', `/v1/jobs/${jobId}`)).body;
    const expected = job.outputs.flatMap((o: { files: Array<{ name: string }> }) => o.files.map((f) => f.name));
    assert.deepEqual(links.map((l) => l.name), expected);
    assert.ok(expected.length >= 2, JSON.stringify(job.outputs));
    for (const link of links) assert.equal((await fetch(link.href)).status, 200, link.href);
    await page.screenshot({ path: join(ARTIFACTS, '4-job-succeeded.png'), fullPage: true });

    // The status filter.
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await page.locator('#no-jobs').waitFor();
    await page.getByLabel('Status', { exact: true }).selectOption('succeeded');
    await row.waitFor();

    // 375 px wide: nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 800 });
    assert.ok(await page.evaluate('document.documentElement.scrollWidth <= 375'), 'no horizontal scrolling at 375 px');
    await page.screenshot({ path: join(ARTIFACTS, '5-mobile-375.png'), fullPage: true });
    await page.setViewportSize({ width: 1100, height: 900 });
    assert.deepEqual(problems, [], 'no page errors (a CSP violation is one)');

    // Another account's key sees none of it.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInWithKey(page, other);
    await page.locator('#no-jobs').waitFor();
    assert.equal(await page.locator('li.job').count(), 0);
    await page.screenshot({ path: join(ARTIFACTS, '6-other-account.png'), fullPage: true });
    await page.close();
  });

  it('the sign-in refuses a wrong key with the API message', async () => {
    const page = await browser.context.newPage();
    await page.goto(p.base);
    await page.getByLabel('API key', { exact: true }).fill('mf_not_a_real_key_000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /unauthorized/);
    await page.close();
  });
});

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
