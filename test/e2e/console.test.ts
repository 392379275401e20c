import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ARTIFACTS, buildConsole, signInWithKey, startBrowser } from '../helpers/console.js';
import { media } from '../helpers/media.js';
import { collectEvents, startTestPlatform, TEST_KEY, type TestPlatform } from '../helpers/platform.js';

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

/** Controls without an accessible name (a label, aria-label or text). */
const UNLABELLED = `[...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => !(el.labels && el.labels.length > 0) && !el.getAttribute('aria-label') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 120))`;

describe('e2e: the web console in a real browser', () => {
  let p: TestPlatform;
  let browser: Awaited<ReturnType<typeof startBrowser>>;
  let clip: string;
  let other: string;
  let otherAccount: string;
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
    otherAccount = acc.body.id;
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
    assert.equal(await frames.getAttribute('aria-describedby'), 'job-error', 'the refused output points at the message');
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

  it('signs in with e-mail and password; pauses and resumes an upload on a slow link, the bytes intact', async () => {
    const invite = await p.api('POST', `/v1/accounts/${otherAccount}/invites`, { email: 'ann@school.example', role: 'member' });
    assert.equal(invite.status, 201, JSON.stringify(invite.body));
    const accepted = await p.api('POST', '/v1/auth/invites/accept', { token: invite.body.token, password: 'a long enough password' }, { authorization: '' });
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));

    const page = await browser.context.newPage();
    await page.goto(p.base);
    await page.getByLabel('e-mail and password').check();
    await page.getByLabel('E-mail', { exact: true }).fill('ann@school.example');
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('ann@school.example').waitFor();
    assert.match((await page.evaluate('JSON.stringify(sessionStorage)')) as string, /"kind\\?":\\?"user/, 'the credential is in sessionStorage');
    // An access token the API no longer takes (as after its 15 minutes): the console renews it with the refresh token and goes on.
    const stored = JSON.parse((await page.evaluate("sessionStorage.getItem('mediaforge.console.credential')")) as string);
    await page.evaluate(`sessionStorage.setItem('mediaforge.console.credential', JSON.stringify({ ...${JSON.stringify(stored)}, token: 'not-a-token' }))`);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForFunction(() => JSON.parse(sessionStorage.getItem('mediaforge.console.credential') ?? '{}').token !== 'not-a-token', undefined, { timeout: 10_000 });
    const renewed = JSON.parse((await page.evaluate("sessionStorage.getItem('mediaforge.console.credential')")) as string);
    assert.notEqual(renewed.refreshToken, stored.refreshToken, 'the refresh token rotated');
    await page.locator('#no-jobs').waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, 'no error shown');

    // About 400 kB/s up: the 2.4 MiB clip takes seconds, long enough to pause in the middle.
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 400 * 1024 });
    const sent: Array<{ method: string; offset: string | undefined }> = [];
    page.on('request', (r) => r.url().includes('/v1/uploads/tus') && sent.push({ method: r.method(), offset: r.headers()['upload-offset'] }));
    await page.getByLabel('Drop a video here, or choose a file').setInputFiles(clip);
    await page.waitForFunction(() => Number.parseInt(document.querySelector('#upload-pct')?.textContent ?? '0') >= 10, undefined, { timeout: 30_000 });
    await page.getByRole('button', { name: 'Pause' }).click();
    const pausedAt = Number.parseInt((await page.locator('#upload-pct').textContent()) ?? '');
    assert.ok(pausedAt < 100, `paused at ${pausedAt} %`);
    await page.screenshot({ path: join(ARTIFACTS, '7-upload-paused.png'), fullPage: true });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(Number.parseInt((await page.locator('#upload-pct').textContent()) ?? ''), pausedAt, 'nothing is sent while paused');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('#upload-message', { hasText: /Uploaded as upl_/ }).waitFor({ timeout: 30_000 });
    const uploadId = await page.getByLabel('Upload id').inputValue();
    // Resumed where the server was: a HEAD for the offset, then a PATCH from there (not from 0).
    const afterPause = sent.slice(sent.findIndex((r) => r.method === 'PATCH') + 1);
    assert.ok(afterPause.some((r) => r.method === 'HEAD'), JSON.stringify(sent));
    assert.ok(afterPause.some((r) => r.method === 'PATCH' && Number(r.offset) > 0), JSON.stringify(sent));
    const upload = await p.api('GET', `/v1/uploads/${uploadId}`, undefined, { authorization: `Bearer ${other}` });
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
    assert.equal(upload.body.sha256, createHash('sha256').update(await readFile(clip)).digest('hex'), 'the resumed upload holds the file');
    assert.equal((await p.api('GET', `/v1/uploads/${uploadId}`)).status, 404, "the upload is the user's account's, not the admin's");

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key', { exact: true }).waitFor();
    assert.equal(await page.evaluate('sessionStorage.length'), 0, 'signed out: nothing kept');
    await page.close();
  });

  it('retries a failed job from its row and follows it live again', async () => {
    const up = await p.api('POST', '/v1/uploads?filename=tiny.mp4', await readFile(await media('tiny1.mp4')), { 'content-type': 'application/octet-stream' });
    // An audio output of a clip without audio fails at once.
    const created = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'audio', format: 'mp3' }] });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await collectEvents(p.base, created.body.id);
    const page = await browser.context.newPage();
    await page.goto(p.base);
    await signInWithKey(page, TEST_KEY);
    const row = page.locator(`li.job[data-job="${created.body.id}"]`);
    await row.and(page.locator('[data-status="failed"]')).waitFor();
    assert.match((await row.locator('.error').first().textContent()) ?? '', /\w+: /, 'the error code and message');
    assert.equal(await page.locator('li.job').first().getAttribute('data-job'), created.body.id, 'the newest job first');
    await page.evaluate(RECORD_ROW);
    await row.getByRole('button', { name: `Retry ${created.body.id}` }).click();
    // Retried: queued again, followed over its event stream until it fails again.
    await page.waitForFunction(() => (window as unknown as { rowSeen: string[] }).rowSeen.some((s) => s.startsWith('queued') || s.startsWith('running')), undefined, { timeout: 10_000 });
    await page.waitForFunction(() => (window as unknown as { rowSeen: string[] }).rowSeen.at(-1)?.startsWith('failed'), undefined, { timeout: 30_000 });
    assert.equal(await row.getAttribute('data-status'), 'failed');
    assert.equal((await p.api('GET', `/v1/jobs/${created.body.id}`)).body.status, 'failed');
    await page.close();
  });

  it('cancels a running job from its row', async () => {
    const up = await p.api('POST', '/v1/uploads?filename=long.mp4', await readFile(await media('long120.mp4')), { 'content-type': 'application/octet-stream' });
    const created = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'frames', fps: 30, format: 'png' }] });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const page = await browser.context.newPage();
    await page.goto(p.base);
    await signInWithKey(page, TEST_KEY);
    const row = page.locator(`li.job[data-job="${created.body.id}"]`);
    await row.and(page.locator('[data-status="running"]')).waitFor({ timeout: 30_000 });
    await page.waitForFunction((id) => Number.parseInt(document.querySelector(`li.job[data-job="${id}"] .pct`)?.textContent ?? '0') > 0, created.body.id, { timeout: 30_000 });
    await row.getByRole('button', { name: `Cancel ${created.body.id}` }).click();
    await row.and(page.locator('[data-status="canceled"]')).waitFor({ timeout: 10_000 });
    assert.equal(await row.getByRole('button', { name: `Retry ${created.body.id}` }).count(), 1, 'a canceled job can be retried');
    assert.equal((await p.api('GET', `/v1/jobs/${created.body.id}`)).body.status, 'canceled');
    await page.close();
  });

  it('the sign-in works from the keyboard alone and refuses a wrong key with the API message', async () => {
    const page = await browser.context.newPage();
    await page.goto(p.base);
    for (let i = 0; i < 6 && (await page.evaluate('document.activeElement && document.activeElement.id')) !== 'api-key'; i++) await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.id'), 'api-key', 'the key field is reachable with Tab');
    await page.keyboard.type('mf_not_a_real_key_000000');
    await page.keyboard.press('Enter');
    assert.match((await page.getByRole('alert').textContent()) ?? '', /unauthorized/);
    await page.getByLabel('API key', { exact: true }).fill('');
    await page.getByLabel('API key', { exact: true }).focus();
    await page.keyboard.type(TEST_KEY);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await page.close();
  });
});
