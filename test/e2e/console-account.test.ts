import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ARTIFACTS, buildConsole, signInWithKey, startBrowser } from '../helpers/console.js';
import { media } from '../helpers/media.js';
import { collectEvents, startTestPlatform, TEST_KEY, type TestPlatform } from '../helpers/platform.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/** Controls without an accessible name (a label, aria-label or text); the same check as console.test.ts. */
const UNLABELLED = `[...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => !(el.labels && el.labels.length > 0) && !el.getAttribute('aria-label') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 120))`;

/** datetime-local's value (the browser's time zone is the test's). */
const localInput = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

/** What the page shows: its text and every field's value (page.content() holds attributes, not a field's value). */
const SHOWN = `document.body.innerText + ' ' + [...document.querySelectorAll('input, textarea')].map((el) => el.value).join(' ')`;

const me = (base: string, key: string) => fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${key}` } });

/**
 * The console's account page (#/account) in Debian's Chromium: usage, keys shown once and
 * revoked, webhooks delivered to a real receiver that verifies every signature with the
 * standardwebhooks package, failures retried and replayed, refusals shown as the API gives them.
 */
describe('e2e: the console account page', () => {
  let p: TestPlatform;
  let browser: Awaited<ReturnType<typeof startBrowser>>;
  let hooks: WebhookReceiver;
  /** The secrets the receiver accepts a signature from; it answers 401 to any other. */
  const secrets: string[] = [];
  let failing = false;
  let otherManager: string;
  let otherViewer: string;
  let otherAccount: string;
  const problems: string[] = [];

  const watch = (page: Page, expected: RegExp) => {
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    // A refused request is logged by Chromium as a failed resource: the ones a step provokes are expected.
    page.on('console', (m) => m.type() === 'error' && !expected.test(m.text()) && problems.push(`console: ${m.text()}`));
  };
  const fits375 = async (page: Page, what: string) => {
    await page.setViewportSize({ width: 375, height: 800 });
    assert.ok(await page.evaluate('document.documentElement.scrollWidth <= 375'), `no horizontal scrolling at 375 px: ${what}`);
    await page.setViewportSize({ width: 1100, height: 900 });
  };
  const openAccount = async (page: Page, key: string) => {
    await page.goto(`${p.base}/#/account`);
    await page.getByLabel('API key', { exact: true }).fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Account', exact: true }).waitFor();
  };

  before(async () => {
    hooks = await WebhookReceiver.start();
    hooks.answer = (r) => {
      const signed = secrets.some((s) => {
        try {
          WebhookReceiver.verify(r, s);
          return true;
        } catch {
          return false;
        }
      });
      if (!signed) return { status: 401, body: 'bad signature' };
      return failing ? { status: 500, body: 'receiver down' } : { status: 204 };
    };
    const dir = await buildConsole();
    p = await startTestPlatform({
      MEDIAFORGE_CONSOLE_DIR: dir,
      // The receiver listens on 127.0.0.1, which the URL policy refuses unless allowed (as in webhooks.test.ts).
      MEDIAFORGE_WEBHOOK_ALLOWLIST: `127.0.0.1:${hooks.port}`,
      MEDIAFORGE_WEBHOOK_RETRY_SCHEDULE: '0,300ms,300ms',
    });
    browser = await startBrowser();
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: p.base });
    const acc = await p.api('POST', '/v1/accounts', { name: 'Other school' });
    assert.equal(acc.status, 201, JSON.stringify(acc.body));
    const manager = await p.api('POST', `/v1/accounts/${acc.body.id}/keys`, { name: 'other manager', scopes: ['jobs:read', 'keys:manage', 'webhooks:manage'] });
    const viewer = await p.api('POST', `/v1/accounts/${acc.body.id}/keys`, { name: 'other viewer', scopes: ['jobs:read'] });
    assert.equal(manager.status, 201, JSON.stringify(manager.body));
    otherManager = manager.body.key;
    otherViewer = viewer.body.key;
    otherAccount = acc.body.id;
  });
  after(async () => {
    await browser?.close();
    await p?.stop();
    await hooks?.close();
  });

  it('shows the account and its usage, reached from the header and on reload; a key is shown once, works, and is refused once revoked', async () => {
    // A finished job, so the period's usage has something in it.
    const up = await p.api('POST', '/v1/uploads?filename=tiny.mp4', await readFile(await media('tiny1.mp4')), { 'content-type': 'application/octet-stream' });
    const job = await p.api('POST', '/v1/jobs', { input: { uploadId: up.body.id }, outputs: [{ type: 'thumbnail' }] });
    assert.equal(job.status, 202, JSON.stringify(job.body));
    await collectEvents(p.base, job.body.id);
    const usage = (await p.api('GET', '/v1/account/usage')).body;
    assert.equal(usage.totals.jobs, 1, JSON.stringify(usage));

    const page = await browser.context.newPage();
    watch(page, /(?!)/);
    await page.goto(p.base);
    await signInWithKey(page, TEST_KEY);
    // From the keyboard: Shift+Tab back from where the sign-in form was to the header's link, Enter; focus lands on the page's heading.
    for (let i = 0; i < 6 && (await page.evaluate('document.activeElement?.textContent')) !== 'Account'; i++) await page.keyboard.press('Shift+Tab');
    assert.equal(await page.evaluate('document.activeElement.getAttribute("href")'), '#/account', 'the Account link is reachable with Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Account', exact: true }).waitFor();
    assert.match(page.url(), /#\/account$/);
    assert.equal(await page.evaluate('document.activeElement.id'), 'account-h', 'focus moves to the page');
    assert.match((await page.locator('#account-name').textContent()) ?? '', /acc_admin/);
    assert.match((await page.locator('#account-who').textContent()) ?? '', /^key /);
    assert.match((await page.locator('#account-scopes').textContent()) ?? '', /admin/);
    await page.locator('#usage-jobs', { hasText: '1' }).waitFor();
    assert.equal(await page.locator('#usage-period').textContent(), `From ${usage.from} to ${usage.to} (UTC days, both included)`);
    assert.match((await page.locator('#usage-minutes').textContent()) ?? '', new RegExp(`^${(usage.totals.inputSeconds / 60).toFixed(2)} min`));

    // A deep link survives a reload; the header leads back to the jobs.
    await page.reload();
    await page.getByRole('heading', { name: 'Account', exact: true }).waitFor();
    await page.getByRole('link', { name: 'Back to the jobs' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await page.getByRole('link', { name: 'Account' }).click();

    // A new key with one scope: its secret is shown once, copies, and works.
    const keys = page.locator('#keys');
    await keys.getByLabel('Name', { exact: true }).fill('ci key');
    await keys.getByLabel('jobs:read').check();
    await keys.getByRole('button', { name: 'Create key' }).click();
    const box = page.getByLabel('New key ci key (shown once)');
    const secret = await box.inputValue();
    assert.match(secret, /^mf_/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), secret, 'Copy put the secret on the clipboard');
    assert.match((await page.locator('.secret .warn').textContent()) ?? '', /shown this once/);
    const who = await me(p.base, secret);
    assert.equal(who.status, 200);
    const body = await who.json();
    assert.equal(body.key.name, 'ci key');
    assert.deepEqual(body.scopes, ['jobs:read']);
    const row = keys.locator(`li[data-key="${body.key.id}"]`);
    assert.match((await row.textContent()) ?? '', /jobs:read/);
    assert.deepEqual(await page.evaluate(UNLABELLED), [], 'every control has a label');
    await fits375(page, 'a new key shown');
    await page.screenshot({ path: join(ARTIFACTS, 'account-1-key-once.png'), fullPage: true });
    assert.ok(((await page.evaluate(SHOWN)) as string).includes(secret), 'the check sees a shown secret');
    await page.getByRole('button', { name: 'Done, hide it' }).click();
    assert.ok(!((await page.evaluate(SHOWN)) as string).includes(secret), 'hidden: the secret is no longer in the page');
    await page.reload();
    await row.waitFor();
    assert.ok(!((await page.evaluate(SHOWN)) as string).includes(secret), 'never shown again');

    // Revoked after a confirmation: refused by the API from then on.
    await row.getByRole('button', { name: 'Revoke key ci key' }).click();
    await row.getByRole('button', { name: 'No' }).click();
    assert.equal((await me(p.base, secret)).status, 200, 'No keeps the key');
    await row.getByRole('button', { name: 'Revoke key ci key' }).click();
    await row.getByRole('button', { name: 'Yes, revoke' }).click();
    await page.getByRole('status').filter({ hasText: `Key ci key (${body.key.id}) is revoked` }).waitFor();
    await keys.locator(`li[data-key="${body.key.id}"][data-revoked="true"]`).waitFor();
    const refused = await me(p.base, secret);
    assert.equal(refused.status, 401);
    assert.equal((await refused.json()).error.code, 'unauthorized');

    await fits375(page, 'the keys');
    assert.deepEqual(problems, [], 'no page errors (a CSP violation is one)');
    await page.close();
  });

  it('adds a webhook to a real receiver, shows its deliveries, retries and replays failed ones, and shows refusals', async () => {
    const page = await browser.context.newPage();
    watch(page, /status of (409|422)/);
    await openAccount(page, TEST_KEY);
    const form = page.locator('#webhooks form');

    // A private address: the API's SSRF refusal, as it gives it.
    await form.getByLabel('URL', { exact: true }).fill('http://10.1.2.3/hook');
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await page.locator('#webhook-error', { hasText: /^422 url_forbidden: / }).waitFor();
    const apiSays = await p.api('POST', '/v1/webhooks', { url: 'http://10.1.2.3/hook' });
    assert.equal(await page.locator('#webhook-error').textContent(), `422 url_forbidden: ${apiSays.body.error.message}`);

    await form.getByLabel('URL', { exact: true }).fill(hooks.url());
    await form.getByLabel('Description', { exact: true }).fill('console test');
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = await page.getByLabel(`Signing secret of ${hooks.url()} (shown once)`).inputValue();
    assert.match(secret, /^whsec_/);
    await fits375(page, 'a signing secret shown');
    secrets.push(secret);
    const listed = (await p.api('GET', '/v1/webhooks')).body.webhooks;
    assert.equal(listed.length, 1);
    const id = listed[0].id as string;
    const endpoint = page.locator(`li[data-webhook="${id}"]`);
    assert.match((await endpoint.textContent()) ?? '', /enabled/);
    assert.match((await endpoint.textContent()) ?? '', /job\.succeeded/);
    await page.getByRole('button', { name: 'Done, hide it' }).click();
    await page.reload();
    await endpoint.waitFor();
    assert.ok(!((await page.evaluate(SHOWN)) as string).includes(secret), 'the signing secret is not shown again');

    // A test event, delivered and verified by the receiver; the row shows its answer.
    await endpoint.getByRole('button', { name: `Send test event to ${hooks.url()}` }).click();
    const delivered = endpoint.locator('li[data-event="webhook.test"][data-status="succeeded"]');
    await delivered.first().waitFor({ timeout: 15_000 });
    assert.match((await delivered.first().textContent()) ?? '', /delivered.*webhook\.test.*HTTP 204.*1 attempt/);
    const [test] = await hooks.waitFor((r) => r.json?.type === 'webhook.test');
    assert.equal(WebhookReceiver.verify(test, secret).data.id, id);

    // The receiver fails: a test event and an upload's upload.ready use up their attempts.
    failing = true;
    const since = Date.now() - 1000;
    await endpoint.getByRole('button', { name: `Send test event to ${hooks.url()}` }).click();
    await p.api('POST', '/v1/uploads?filename=tiny.mp4', await readFile(await media('tiny1.mp4')), { 'content-type': 'application/octet-stream' });
    const failedTest = endpoint.locator('li[data-event="webhook.test"][data-status="failed"]');
    await failedTest.waitFor({ timeout: 15_000 });
    assert.match((await failedTest.textContent()) ?? '', /failed.*HTTP 500.*3 attempts/);
    // The upload's delivery is made by the sender, not by this page: it shows on Refresh.
    const failedReady = endpoint.locator('li[data-event="upload.ready"][data-status="failed"]');
    for (let i = 0; i < 30 && (await failedReady.count()) === 0; i++) {
      await endpoint.getByRole('button', { name: `Refresh deliveries of ${id}` }).click();
      await new Promise((r) => setTimeout(r, 500));
    }
    await failedReady.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'account-2-deliveries-failed.png'), fullPage: true });

    // Fixed: Retry sends the failed test event again (same webhook-id), Replay the upload's event.
    failing = false;
    const failedId = await failedTest.getAttribute('data-delivery');
    const eventId = (await p.api('GET', `/v1/webhooks/${id}/deliveries?status=failed`)).body.deliveries.find((d: { id: string }) => d.id === failedId).event.id;
    await failedTest.getByRole('button', { name: `Retry delivery ${failedId}` }).click();
    await endpoint.locator('li[data-event="webhook.test"][data-status="succeeded"]').nth(1).waitFor({ timeout: 15_000 });
    const redelivered = await hooks.waitFor((r) => r.headers['webhook-id'] === eventId && r.nth === 4, 1, 'the retried test event');
    assert.equal(WebhookReceiver.verify(redelivered[0], secret).type, 'webhook.test');

    await endpoint.getByLabel('Replay events since').fill(localInput(since));
    await endpoint.getByRole('button', { name: `Replay events to ${id}` }).click();
    await endpoint.getByRole('status').filter({ hasText: /^Replayed 1 event since / }).waitFor();
    await endpoint.locator('li[data-event="upload.ready"][data-status="succeeded"]').waitFor({ timeout: 15_000 });
    const [ready] = await hooks.waitFor((r) => r.json?.type === 'upload.ready' && r.nth === 4, 1, 'the replayed upload.ready');
    assert.equal(WebhookReceiver.verify(ready, secret).type, 'upload.ready');
    assert.deepEqual(await page.evaluate(UNLABELLED), [], 'every control has a label');
    await page.screenshot({ path: join(ARTIFACTS, 'account-3-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    assert.ok(await page.evaluate('document.documentElement.scrollWidth <= 375'), 'no horizontal scrolling at 375 px');
    await page.screenshot({ path: join(ARTIFACTS, 'account-4-mobile-375.png'), fullPage: true });
    await page.setViewportSize({ width: 1100, height: 900 });

    // A rotated secret signs the next delivery; a disabled endpoint refuses a test with the API's 409.
    await endpoint.getByRole('button', { name: `Rotate secret of ${hooks.url()}` }).click();
    const rotated = await page.getByLabel(`New signing secret of ${hooks.url()} (shown once)`).inputValue();
    assert.notEqual(rotated, secret);
    secrets.splice(0, secrets.length, rotated);
    const before = hooks.received.length;
    await endpoint.getByRole('button', { name: `Send test event to ${hooks.url()}` }).click();
    const [signed] = await hooks.waitFor((r) => hooks.received.indexOf(r) >= before && r.json?.type === 'webhook.test', 1, 'a test event after the rotation');
    assert.equal(WebhookReceiver.verify(signed, rotated).data.id, id);
    await endpoint.getByRole('button', { name: `Disable ${hooks.url()}` }).click();
    await page.locator(`li[data-webhook="${id}"][data-enabled="false"]`).waitFor();
    await endpoint.getByRole('button', { name: `Send test event to ${hooks.url()}` }).click();
    await endpoint.getByRole('alert').filter({ hasText: /^409 webhook_disabled: / }).waitFor();
    await endpoint.getByRole('button', { name: `Enable ${hooks.url()}` }).click();
    await page.locator(`li[data-webhook="${id}"][data-enabled="true"]`).waitFor();

    // A second endpoint, deleted after a confirmation.
    await form.getByLabel('URL', { exact: true }).fill(hooks.url('/second'));
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    const second = page.locator('li[data-webhook]', { hasText: hooks.url('/second') });
    await second.getByRole('button', { name: `Delete ${hooks.url('/second')}` }).click();
    await second.getByRole('button', { name: 'Yes, delete' }).click();
    await second.waitFor({ state: 'detached' });
    assert.deepEqual((await p.api('GET', '/v1/webhooks')).body.webhooks.map((w: { id: string }) => w.id), [id]);
    assert.deepEqual(problems, [], 'no page errors');
    await page.close();
  });

  it("another account's console shows none of these keys or webhooks; a caller without the scope sees the API's 403", async () => {
    const page = await browser.context.newPage();
    watch(page, /status of 403/);
    await openAccount(page, otherManager);
    await page.locator('#keys li[data-key]').first().waitFor();
    const names = await page.locator('#keys li[data-key] strong').allTextContents();
    assert.deepEqual(names.sort(), ['other manager', 'other viewer']);
    await page.locator('#webhooks', { hasText: 'No endpoints.' }).waitFor();
    assert.equal(await page.locator('li[data-webhook]').count(), 0);
    assert.ok(!((await page.evaluate(SHOWN)) as string).includes(hooks.url()), "the first account's webhook is not shown");
    // A scope the key does not hold: the API's refusal.
    await page.locator('#keys').getByLabel('Name', { exact: true }).fill('stronger');
    await page.locator('#keys').getByLabel('admin').check();
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.locator('#keys-action-error', { hasText: /^403 forbidden: this key cannot give the scope `admin`/ }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();

    await openAccount(page, otherViewer);
    await page.locator('#keys-error', { hasText: /^403 forbidden: / }).waitFor();
    await page.locator('#webhooks-error', { hasText: /^403 forbidden: / }).waitFor();
    await page.locator('#usage-jobs', { hasText: '0' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Create key' }).count(), 0, 'no form the caller cannot use');
    assert.equal(await page.getByRole('button', { name: 'Add endpoint' }).count(), 0);
    assert.deepEqual(await page.evaluate(UNLABELLED), [], 'every control has a label');
    await page.screenshot({ path: join(ARTIFACTS, 'account-5-viewer-403.png'), fullPage: true });

    // A person of that account signed in with e-mail and password: the role shown, and the member's 403s.
    const invite = await p.api('POST', `/v1/accounts/${otherAccount}/invites`, { email: 'mia@school.example', role: 'member' });
    assert.equal(invite.status, 201, JSON.stringify(invite.body));
    const accepted = await p.api('POST', '/v1/auth/invites/accept', { token: invite.body.token, password: 'a long enough password' }, { authorization: '' });
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('e-mail and password').check();
    await page.getByLabel('E-mail', { exact: true }).fill('mia@school.example');
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#account-who', { hasText: 'mia@school.example, role member' }).waitFor();
    assert.match((await page.locator('#account-scopes').textContent()) ?? '', /^uploads:write, jobs:read, jobs:write$/);
    await page.locator('#keys-error', { hasText: /^403 forbidden: / }).waitFor();
    await page.locator('#webhooks-error', { hasText: /^403 forbidden: / }).waitFor();
    assert.deepEqual(problems, [], 'no page errors');
    await page.close();
  });
});
