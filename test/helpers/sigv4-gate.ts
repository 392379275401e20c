import { createHash, createHmac } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListPartsRecorder } from './s3-list-parts.js';

/**
 * s3rver accepts any SigV4 signature (its v4 check is unimplemented), while AWS, R2 and
 * MinIO verify it. This gate sits in front of s3rver and checks SigV4 *query* signatures
 * (presigned URLs) the way S3 does — canonical request over method, path, query and signed
 * headers, with UNSIGNED-PAYLOAD, plus expiry — then forwards the request unchanged.
 * Requests signed in headers (the server's own SDK calls) pass straight through, and so do
 * CORS preflights (S3 answers OPTIONS from the bucket's CORS rules without authentication).
 * Every request is recorded with its answer's status, for tests that count what reached storage.
 */
export interface GateRequest {
  method: string;
  path: string;
  /** A presigned (query-signed) request, as opposed to one signed in headers. */
  presigned: boolean;
  origin: string | undefined;
  range: string | undefined;
  status: number;
}

export async function startSigV4Gate(upstream: string, secretAccessKey: string): Promise<{ endpoint: string; requests: GateRequest[]; stop(): Promise<void> }> {
  const target = new URL(upstream);
  const requests: GateRequest[] = [];
  const parts = new ListPartsRecorder();
  const server: Server = createServer((req, res) => {
    const seen: GateRequest = {
      method: req.method ?? '',
      path: new URL(req.url ?? '/', 'http://gate').pathname,
      presigned: /[?&]X-Amz-Signature=/.test(req.url ?? ''),
      origin: req.headers.origin,
      range: req.headers.range,
      status: 0,
    };
    requests.push(seen);
    res.on('finish', () => (seen.status = res.statusCode));
    const problem = req.method === 'OPTIONS' ? null : presignedProblem(req, secretAccessKey);
    if (problem) {
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${problem.code}</Code><Message>${problem.message}</Message></Error>`);
      req.resume();
      return;
    }
    if (parts.answer(req, res)) return;
    const sent = parts.count(req);
    const up = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (r) => {
        parts.observe(req, r.statusCode ?? 502, r.headers, sent());
        // CreateMultipartUpload: the new id is in the answer's body.
        if (req.method === 'POST' && /[?&]uploads(=|&|$)/.test(req.url ?? '')) {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => {
            const id = /<UploadId>([^<]+)<\/UploadId>/.exec(Buffer.concat(chunks).toString())?.[1];
            if (id) parts.started(id);
          });
        }
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // a browser's keep-alive connections would hold close() open
      }),
  };
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function presignedProblem(req: IncomingMessage, secret: string): { code: string; message: string } | null {
  const url = new URL(req.url ?? '/', 'http://gate');
  const q = url.searchParams;
  if (!q.has('X-Amz-Signature')) return null;
  const amzDate = q.get('X-Amz-Date') ?? '';
  const [, dateStamp, region, service] = /^[^/]+\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/.exec(q.get('X-Amz-Credential') ?? '') ?? [];
  if (!dateStamp) return { code: 'AuthorizationQueryParametersError', message: 'bad X-Amz-Credential' };
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) return { code: 'AuthorizationQueryParametersError', message: 'bad X-Amz-Date' };
  const signedAt = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (Date.now() > signedAt + Number(q.get('X-Amz-Expires')) * 1000) return { code: 'AccessDenied', message: 'Request has expired' };

  const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
  const canonicalQuery = [...q.entries()]
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [encode(k), encode(v)])
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${String(req.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [req.method, url.pathname, canonicalQuery, canonicalHeaders, signedHeaders.join(';'), 'UNSIGNED-PAYLOAD'].join('\n');
  const scope = `${dateStamp}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, dateStamp), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  return expected === q.get('X-Amz-Signature') ? null : { code: 'SignatureDoesNotMatch', message: 'The request signature does not match' };
}
