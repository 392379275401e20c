import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { media } from '../helpers/media.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { waitFor } from '../helpers/temp.js';

/**
 * E-mail notifications end to end: the embedded platform sends through a real SMTP server
 * (smtp-server) on an ephemeral port, and each message is parsed with mailparser. Retries
 * follow MEDIAFORGE_WEBHOOK_RETRY_SCHEDULE, here 0,300ms,300ms,300ms.
 */
describe('e2e: e-mail notifications', () => {
  let p: TestPlatform;
  let smtp: SmtpSink;
  let uploadId: string;

  before(async () => {
    smtp = await SmtpSink.start();
    p = await startTestPlatform({ MEDIAFORGE_SMTP_URL: smtp.url(), MEDIAFORGE_SMTP_FROM: 'mediaforge@example.com', MEDIAFORGE_WEBHOOK_RETRY_SCHEDULE: '0,300ms,300ms,300ms' });
    const up = await p.api('POST', '/v1/uploads?filename=tiny.mp4', await readFile(await media('tiny1.mp4')), { 'content-type': 'application/octet-stream' });
    uploadId = up.body.id;
  });
  after(async () => {
    await p?.stop();
    await smtp?.close();
  });

  const submit = async (body: Record<string, unknown>) => {
    const res = await p.api('POST', '/v1/jobs', { input: { uploadId }, ...body });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.id as string;
  };
  const mailsFor = (jobId: string) => smtp.received.filter((m) => m.mail.subject?.includes(jobId));

  it('a job with notify.email that succeeds sends one message to that address with download links that open', async () => {
    const jobId = await submit({ outputs: [{ type: 'thumbnail', width: 80 }], notify: { email: 'dev@example.com' }, metadata: { title: '<script>alert(1)</script>' } });
    const [m] = await smtp.waitFor((r) => r.mail.subject?.includes(jobId) ?? false, 'the success e-mail');
    assert.deepEqual(m.to, ['dev@example.com']);
    assert.equal(m.mail.subject, `mediaforge: job ${jobId} succeeded`);
    assert.equal(m.mail.from?.value[0]?.address, 'mediaforge@example.com');
    assert.match(String(m.mail.messageId), /^<notify-\d+\.job_/);
    const link = /(http:\/\/127\.0\.0\.1:\d+\/v1\/files\/\S+)/.exec(m.mail.text ?? '')?.[1];
    assert.ok(link, m.mail.text);
    assert.equal((await fetch(link)).status, 200, 'the link in the message opens');
    assert.ok(String(m.mail.html).includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'metadata is escaped in the HTML');
    assert.ok(!String(m.mail.html).includes('<script>'));
    const shown = await p.api('GET', `/v1/jobs/${jobId}`);
    assert.deepEqual(shown.body.notify, { email: 'dev@example.com' });
  });

  it("a failed job tells the account's address (no notify on the job) with the reason", async () => {
    const set = await p.api('PATCH', '/v1/accounts/acc_admin', { notify: { email: 'ops@example.com' } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual((await p.api('GET', '/v1/account')).body.notify, { email: 'ops@example.com' });
    const jobId = await submit({ outputs: [{ type: 'audio', format: 'mp3' }], maxAttempts: 1 });
    const [m] = await smtp.waitFor((r) => r.mail.subject?.includes(jobId) ?? false, 'the failure e-mail');
    assert.deepEqual(m.to, ['ops@example.com']);
    const job = (await p.api('GET', `/v1/jobs/${jobId}`)).body;
    assert.equal(job.status, 'failed');
    assert.equal(m.mail.subject, `mediaforge: job ${jobId} failed (${job.error.code})`);
    assert.ok(m.mail.text?.includes(`Reason: ${job.error.code}: ${job.error.message}`), m.mail.text);
    await p.api('PATCH', '/v1/accounts/acc_admin', { notify: { email: null } });
    assert.deepEqual((await p.api('GET', '/v1/account')).body.notify, { email: null });
  });

  it('an SMTP server that refuses (451) for a while gets the message later, on the schedule, once', async () => {
    smtp.refuse(2);
    const refusedBefore = smtp.refused;
    const jobId = await submit({ outputs: [{ type: 'thumbnail', width: 80 }], notify: { email: 'retry@example.com' } });
    await smtp.waitFor((r) => r.mail.subject?.includes(jobId) ?? false, 'the e-mail after the refusals');
    assert.equal(smtp.refused - refusedBefore, 2, 'two attempts were refused');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(mailsFor(jobId).length, 1, 'delivered once');
  });

  it('a permanent refusal (550) is not retried', async () => {
    smtp.refuse(1, 550);
    const refusedBefore = smtp.refused;
    const jobId = await submit({ outputs: [{ type: 'thumbnail', width: 80 }], notify: { email: 'nobody@example.com' } });
    await waitFor(async () => (await p.api('GET', `/v1/jobs/${jobId}`)).body.status === 'succeeded', { what: 'the job' });
    await waitFor(async () => smtp.refused > refusedBefore, { what: 'the refusal' });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(smtp.refused - refusedBefore, 1);
    assert.equal(mailsFor(jobId).length, 0);
  });

  it('refuses a notify address that is not a plain address: 422 email_invalid', async () => {
    for (const email of ['not-an-address', 'a@b.com\r\nBcc: x@evil.com', 'Dev <dev@example.com>', 'a@b.com,c@d.com', 'a b@example.com']) {
      const res = await p.api('POST', '/v1/jobs', { input: { uploadId }, outputs: [{ type: 'thumbnail' }], notify: { email } });
      assert.equal(res.status, 422, email);
      assert.equal(res.body.error.code, 'email_invalid');
      assert.equal(res.body.error.details.path, 'notify.email');
    }
    const acc = await p.api('PATCH', '/v1/accounts/acc_admin', { notify: { email: 'x@y.com\nBcc: z@evil.com' } });
    assert.equal(acc.status, 422);
    assert.equal(acc.body.error.code, 'email_invalid');
  });
});

describe('e2e: e-mail without MEDIAFORGE_SMTP_URL', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform();
  });
  after(async () => p?.stop());

  it('refuses notify.email on a job and on an account: 422 email_not_configured', async () => {
    const res = await p.api('POST', '/v1/jobs', { input: { uploadId: 'upl_x' }, outputs: [{ type: 'thumbnail' }], notify: { email: 'dev@example.com' } });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, 'email_not_configured');
    const acc = await p.api('PATCH', '/v1/accounts/acc_admin', { notify: { email: 'dev@example.com' } });
    assert.equal(acc.status, 422);
    assert.equal(acc.body.error.code, 'email_not_configured');
  });
});
