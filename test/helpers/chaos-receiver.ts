import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A delivery the receiver accepted: it verified the signature and recorded the event. */
export interface Accepted {
  webhookId: string;
  type: string;
  /** `data.id` of the payload (the job). */
  subjectId: string;
  /** `data.status` of the payload. */
  status: string | null;
}

/**
 * What the receiver does with one request:
 * - `error`: answers 500 (not recorded);
 * - `drop`: destroys the socket as soon as the headers are in, without answering (not recorded);
 * - `lose-answer`: verifies and records the event, then destroys the socket instead of
 *   answering (a receiver that committed and crashed before its 2xx: the sender must try again,
 *   and the receiver then sees the same webhook-id twice);
 * - `accept`: verifies, records, answers 204.
 */
export type Fault = 'error' | 'drop' | 'lose-answer' | 'accept';

/** Mulberry32: a small seeded generator, so a run's sequence of faults is the same every time. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ChaosPlan {
  seed: number;
  /** Share of requests answered 500. */
  error: number;
  /** Share dropped without an answer. */
  drop: number;
  /** Share recorded and then dropped without an answer. */
  loseAnswer: number;
  /**
   * The receiver's own faults stop after this many requests of one webhook-id: a delivery
   * must succeed within the sender's schedule (its last attempt failing is a delivery the
   * schedule gave up on, which is the configured behaviour, not a loss), so the receiver leaves
   * room for the attempts the outage and the killed worker take.
   */
  maxFaultsPerId: number;
}

/**
 * A webhook receiver that misbehaves on a seeded sequence (500s, dropped connections, answers
 * lost after recording), can be taken down (closed: connections refused) and brought back on
 * the same port, and verifies everything it accepts with the standardwebhooks package.
 */
export class ChaosReceiver {
  readonly accepted: Accepted[] = [];
  readonly counts = { requests: 0, error: 0, drop: 0, loseAnswer: 0, accept: 0, unverified: 0 };
  /** Requests per webhook-id so far. */
  private readonly seen = new Map<string, number>();
  private readonly random: () => number;
  private secret: string | null = null;
  private port = 0;
  private up = false;
  private readonly server = createServer((req, res) => this.handle(req, res));

  private constructor(private readonly plan: ChaosPlan) {
    this.random = seeded(plan.seed);
  }

  static async start(plan: ChaosPlan): Promise<ChaosReceiver> {
    const r = new ChaosReceiver(plan);
    await r.listen(0);
    r.port = (r.server.address() as AddressInfo).port;
    return r;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  url(): string {
    return `http://${this.address}/hooks/mediaforge`;
  }

  /** The endpoint's secret (`whsec_…`), known once the endpoint is created; requests before it are refused as unverified. */
  verifyWith(secret: string): void {
    this.secret = secret;
  }

  /** Closes the server (connections in progress cut, new ones refused) for `ms`, then listens on the same port again. */
  async outage(ms: number): Promise<void> {
    this.up = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    await new Promise((r) => setTimeout(r, ms));
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    if (!this.up) return;
    this.up = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private listen(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.up = true;
        resolve();
      });
    });
  }

  private decide(id: string): Fault {
    const nth = (this.seen.get(id) ?? 0) + 1;
    this.seen.set(id, nth);
    const r = this.random();
    if (nth > this.plan.maxFaultsPerId) return 'accept';
    const { error, drop, loseAnswer } = this.plan;
    if (r < error) return 'error';
    if (r < error + drop) return 'drop';
    if (r < error + drop + loseAnswer) return 'lose-answer';
    return 'accept';
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.counts.requests++;
    const fault = this.decide(String(req.headers['webhook-id']));
    if (fault === 'drop') {
      this.counts.drop++;
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    req.on('end', () => {
      if (!this.up) return void req.socket.destroy(); // the outage began while the body came
      if (fault === 'error') {
        this.counts.error++;
        res.writeHead(500).end('receiver failed');
        return;
      }
      const event = this.verify(req.headers, Buffer.concat(chunks).toString('utf8'));
      if (!event) {
        this.counts.unverified++;
        res.writeHead(400).end('signature does not verify');
        return;
      }
      this.accepted.push(event);
      if (fault === 'lose-answer') {
        this.counts.loseAnswer++;
        req.socket.destroy();
        return;
      }
      this.counts.accept++;
      res.writeHead(204).end();
    });
  }

  private verify(headers: IncomingHttpHeaders, body: string): Accepted | null {
    if (!this.secret) return null;
    try {
      const payload = new Webhook(this.secret).verify(body, headers as Record<string, string>) as { type: string; data: { id: string; status?: string } };
      return { webhookId: String(headers['webhook-id']), type: payload.type, subjectId: payload.data.id, status: payload.data.status ?? null };
    } catch {
      return null;
    }
  }
}
