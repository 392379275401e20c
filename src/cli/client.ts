import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The parts of the API's answers the CLI reads (the whole shapes: GET /openapi.json). */
export interface ApiJob {
  id: string;
  status: string;
  progress: number;
  stage: string | null;
  createdAt: string;
  error: { code: string; message: string } | null;
  outputs: Array<{ type: string; files: Array<{ name: string; url: string }> }>;
  /** What a success could not do cleanly (a damaged source processed with onDamage "warn"). */
  warnings?: Array<{ code: string; message: string }>;
}

export interface ApiUpload {
  id: string;
  size: number;
  sha256: string;
  /** The job the upload's `process` made (null: none asked, or refused: see processError). */
  jobId?: string | null;
  processError?: { code: string; message: string } | null;
}

/** An SSE event's data: the whole job (`status`), or `{ id, status, progress, stage, etaSeconds }` (`progress`). */
export type ApiJobEvent = Pick<ApiJob, 'id' | 'status' | 'progress' | 'stage'> & Partial<ApiJob> & { etaSeconds?: number | null };

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** A small client of the public HTTP API, used by the CLI (and handy in scripts and tests). */
export class MediaforgeClient {
  constructor(readonly baseUrl: string, private readonly apiKey: string) {}

  private headers(extra: Record<string, string> = {}) {
    return { authorization: `Bearer ${this.apiKey}`, ...extra };
  }

  private async json<T>(res: Response): Promise<T> {
    const text = await res.text();
    const body = text ? JSON.parse(text) : null;
    if (!res.ok) throw new ApiError(res.status, body?.error?.code ?? 'http_error', body?.error?.message ?? `HTTP ${res.status}`);
    return body as T;
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: this.headers(body !== undefined ? { 'content-type': 'application/json', ...headers } : headers),
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return this.json<T>(res);
  }

  /** Streams the file as the raw request body; `onBytes` sees the running total; `process` (docs/lifecycle.md) makes its job on arrival. */
  async upload(path: string, onBytes?: (sent: number, total: number) => void, process?: Record<string, unknown>): Promise<ApiUpload> {
    const { size } = await stat(path);
    let sent = 0;
    const counter = new Transform({
      transform(chunk, _enc, cb) {
        sent += chunk.length;
        onBytes?.(sent, size);
        cb(null, chunk);
      },
    });
    const body = Readable.toWeb(createReadStream(path).pipe(counter)) as unknown as ReadableStream;
    const res = await fetch(`${this.baseUrl}/v1/uploads?filename=${encodeURIComponent(basename(path))}`, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/octet-stream', 'content-length': String(size), ...(process ? { 'x-mediaforge-process': JSON.stringify(process) } : {}) }),
      body,
      duplex: 'half',
    } as RequestInit);
    return this.json<ApiUpload>(res);
  }

  /** Follows the job's SSE stream until it ends; calls `onEvent` for each event. */
  async follow(jobId: string, onEvent: (type: string, data: ApiJobEvent) => void): Promise<void> {
    const res = await fetch(`${this.baseUrl}/v1/jobs/${jobId}/events`, { headers: this.headers({ accept: 'text/event-stream' }) });
    if (!res.ok || !res.body) await this.json(res);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let idx: number;
      while ((idx = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, idx);
        buffer = buffer.slice(idx + 2);
        let type = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) type = line.slice(6).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trim();
        }
        if (data) onEvent(type, JSON.parse(data));
      }
    }
  }

  async download(url: string, to: string): Promise<number> {
    const res = await fetch(url);
    if (!res.ok || !res.body) await this.json(res);
    let bytes = 0;
    await pipeline(
      Readable.fromWeb(res.body as Parameters<typeof Readable.fromWeb>[0]),
      new Transform({
        transform(chunk, _e, cb) {
          bytes += chunk.length;
          cb(null, chunk);
        },
      }),
      createWriteStream(to),
    );
    return bytes;
  }
}
