import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { OtelTracer } from './otel.tracer.js';
import { otlpSpanExporter, type OtlpProtocol } from './otlp.exporter.js';

/** What one export sent: path, headers, body. */
async function exportOne(protocol: OtlpProtocol): Promise<{ url: string; headers: IncomingHttpHeaders; body: Buffer }> {
  let got: { url: string; headers: IncomingHttpHeaders; body: Buffer } | null = null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? '' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  const tracer = new OtelTracer({ exporter: otlpSpanExporter(url, protocol), serviceName: 'mediaforge-test', serviceVersion: '0' });
  await tracer.inSpan('job.run', { attributes: { 'mediaforge.job.id': 'job_proto' } }, async () => undefined);
  await tracer.shutdown();
  await new Promise((r) => server.close(r));
  assert.ok(got, 'one export request');
  return got;
}

describe('OTLP/HTTP export', () => {
  it('sends protobuf (the default protocol) to the traces URL', async () => {
    const r = await exportOne('http/protobuf');
    assert.equal(r.url, '/v1/traces');
    assert.equal(r.headers['content-type'], 'application/x-protobuf');
    // Strings travel as they are inside protobuf: the span's name, attribute and service.
    for (const s of ['job.run', 'job_proto', 'mediaforge-test']) assert.ok(r.body.includes(Buffer.from(s)), `${s} in the body`);
    assert.throws(() => JSON.parse(r.body.toString('utf8')));
  });

  it('sends JSON with http/json', async () => {
    const r = await exportOne('http/json');
    assert.equal(r.headers['content-type'], 'application/json');
    const body = JSON.parse(r.body.toString('utf8'));
    assert.equal(body.resourceSpans[0].scopeSpans[0].spans[0].name, 'job.run');
  });
});
