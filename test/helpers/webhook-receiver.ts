import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { waitFor } from './temp.js';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body. */
  json: any;
  /** 1 for the first request with this webhook-id, 2 for its first retry … */
  nth: number;
}

/** What the receiver answers a request: a status (and headers, body), or `hang` (never answers). */
export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/**
 * A local HTTP receiver for webhook tests: records every request and answers as `answer`
 * says (200 unless told). `verify` checks a request with the standardwebhooks package.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  answer: (r: Received) => Answer = () => ({ status: 200, body: 'ok' });
  private readonly hanging: ServerResponse[] = [];
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id']);
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        /* not JSON */
      }
      const r: Received = { headers: req.headers, body, json, nth: this.received.filter((x) => x.headers['webhook-id'] === id).length + 1 };
      this.received.push(r);
      const a = this.answer(r);
      if (a === 'hang') return void this.hanging.push(res);
      res.writeHead(a.status, a.headers).end(a.body ?? '');
    });
  });

  static async start(): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    return r;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests of one event type (or of one webhook-id). */
  of(type: string): Received[] {
    return this.received.filter((r) => r.json?.type === type || r.headers['webhook-id'] === type);
  }

  /** Waits for `n` requests matching `pred` (30 s at most: a deadline for a hang, not a timing claim). */
  async waitFor(pred: (r: Received) => boolean, n = 1, what = 'a delivery'): Promise<Received[]> {
    return waitFor(async () => {
      const found = this.received.filter(pred);
      return found.length >= n ? found : null;
    }, { what, timeoutMs: 30_000 });
  }

  /** The parsed payload, after the standardwebhooks package has verified its signature with `secret`. */
  static verify(r: Received, secret: string): any {
    return new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
