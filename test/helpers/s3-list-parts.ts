import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * ListParts, which s3rver lacks (it answers 405) and @tus/s3-store needs to find an upload's
 * offset: the gate in front of s3rver (sigv4-gate.ts) records each UploadPart that s3rver
 * accepted (number, ETag, size) and answers ListParts from that record as S3 does; a completed
 * or aborted upload is forgotten, and answers NoSuchUpload as on AWS.
 */
export class ListPartsRecorder {
  private readonly uploads = new Map<string, Map<number, { etag: string; size: number }>>();

  /** Answers a ListParts request itself (true), or lets it through (false). */
  answer(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://gate');
    const uploadId = url.searchParams.get('uploadId');
    if (req.method !== 'GET' || !uploadId || url.searchParams.has('partNumber')) return false;
    const parts = this.uploads.get(uploadId);
    req.resume();
    if (!parts) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>');
      return true;
    }
    const [, bucket, ...key] = url.pathname.split('/');
    const list = [...parts.entries()].sort(([a], [b]) => a - b);
    const xml = list.map(([n, p]) => `<Part><PartNumber>${n}</PartNumber><ETag>${p.etag.replace(/"/g, '&quot;')}</ETag><Size>${p.size}</Size></Part>`).join('');
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${bucket}</Bucket><Key>${key.join('/')}</Key><UploadId>${uploadId}</UploadId><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>${xml}</ListPartsResult>`,
    );
    return true;
  }

  /** What s3rver answered: a part stored, an upload started, completed or aborted. */
  /** Counts the bytes of a part as they pass (the SDK may send it chunked, with no Content-Length). */
  count(req: IncomingMessage): () => number {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    return () => bytes;
  }

  observe(req: IncomingMessage, status: number, headers: IncomingMessage['headers'], bytes: number): void {
    const url = new URL(req.url ?? '/', 'http://gate');
    const uploadId = url.searchParams.get('uploadId');
    if (!uploadId || status >= 300) return;
    const partNumber = Number(url.searchParams.get('partNumber'));
    if (req.method === 'PUT' && partNumber > 0) {
      const parts = this.uploads.get(uploadId) ?? new Map();
      parts.set(partNumber, { etag: String(headers.etag ?? ''), size: Number(req.headers['x-amz-decoded-content-length'] ?? bytes) });
      this.uploads.set(uploadId, parts);
    } else if (req.method === 'POST' || req.method === 'DELETE') {
      this.uploads.delete(uploadId);
    }
  }

  /** An upload s3rver started (CreateMultipartUpload answered with its id). */
  started(uploadId: string): void {
    if (!this.uploads.has(uploadId)) this.uploads.set(uploadId, new Map());
  }
}
