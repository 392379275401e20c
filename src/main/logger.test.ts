import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { createLogger, logSafeUrl } from './logger.js';

describe('request logs leave out the capabilities URLs carry', () => {
  it('redacts a download link token and ?token=/signature query values, and keeps the rest', () => {
    assert.equal(logSafeUrl('/v1/files/1733.abcDEF123/acc_1/jobs/job_1/out/frames.zip'), '/v1/files/[redacted]/acc_1/jobs/job_1/out/frames.zip');
    assert.equal(logSafeUrl('/v1/uploads/tus/upl_1?token=acc_1.1733.mac&x=1'), '/v1/uploads/tus/upl_1?token=[redacted]&x=1');
    assert.equal(logSafeUrl('/v1/jobs?status=running&limit=5'), '/v1/jobs?status=running&limit=5');
    assert.equal(logSafeUrl('/x?X-Amz-Signature=abc&X-Amz-Credential=AKIA%2F'), '/x?X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]');
  });

  it("Fastify's own request lines use it", async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
    const app = Fastify({ loggerInstance: createLogger('info', undefined, sink) as FastifyBaseLogger });
    app.get('/v1/files/:token/*', async () => 'ok');
    await app.inject({ url: '/v1/files/1733.SECRETMAC/acc_1/a.zip?token=SECRET2' });
    await app.close();
    const incoming = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'incoming request');
    assert.equal(incoming.req.url, '/v1/files/[redacted]/acc_1/a.zip?token=[redacted]');
    assert.ok(!lines.join('').includes('SECRET'), 'no token anywhere in the log');
  });
});
