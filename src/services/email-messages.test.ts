import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobMessage, webhookMessage } from './email-messages.js';

const job = {
  id: 'job_1', status: 'failed', finishedAt: '2026-03-01T10:00:00.000Z', metadata: { '<b>k</b>': '"><img src=x onerror=alert(1)>' },
  error: { code: 'input_invalid', message: 'bad <input> & more' },
  outputs: [{ type: 'audio', status: 'failed', files: [], error: { code: 'input_has_no_audio', message: 'no <audio>' } }],
};

describe('e-mail messages', () => {
  it('escapes every user value in the HTML and keeps the subject to ids and codes', () => {
    const m = jobMessage(job, { linkTtlSeconds: 3600, apiBase: 'http://api' });
    assert.equal(m.subject, 'mediaforge: job job_1 failed (input_invalid)');
    assert.ok(m.html.includes('bad &lt;input&gt; &amp; more') && m.html.includes('&lt;b&gt;k&lt;/b&gt;') && m.html.includes('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(!m.html.includes('<img') && !m.html.includes('<input>') && !m.html.includes('<audio>'));
    assert.ok(m.text.includes('Reason: input_invalid: bad <input> & more') && m.text.includes('audio: input_has_no_audio: no <audio>'));
  });

  it('lists a link for every stored file of a job that succeeded', () => {
    const ok = { ...job, status: 'succeeded', error: null, outputs: [{ type: 'thumbnail', status: 'succeeded', files: [{ name: 'a&b.jpg', url: 'http://api/v1/files/x?sig=1&exp=2', size: 10 }, { name: 'gone.jpg', url: null, size: 1 }] }] };
    const m = jobMessage(ok, { linkTtlSeconds: 7200, apiBase: 'http://api' });
    assert.equal(m.subject, 'mediaforge: job job_1 succeeded');
    assert.ok(m.text.includes('thumbnail a&b.jpg (10 bytes): http://api/v1/files/x?sig=1&exp=2') && m.text.includes('valid for 2 h'));
    assert.ok(!m.text.includes('gone.jpg'));
    assert.ok(m.html.includes('<a href="http://api/v1/files/x?sig=1&amp;exp=2">a&amp;b.jpg</a>'));
  });

  it('a webhook message escapes the endpoint URL', () => {
    const m = webhookMessage({ kind: 'email.notify', topic: 'webhook.endpoint.disabled', subjectId: 'whk_1', at: 0, accountId: 'acc_1', webhook: { url: 'https://x.example/<script>', eventId: 'evt_1', eventType: 'job.failed', deliveryId: 'dlv_1', reason: 'every attempt failed' } });
    assert.equal(m.subject, 'mediaforge: webhook endpoint whk_1 was disabled');
    assert.ok(m.html.includes('https://x.example/&lt;script&gt;') && !m.html.includes('<script>'));
  });
});
