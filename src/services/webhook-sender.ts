import { performance } from 'node:perf_hooks';
import { decideAttempt, type AttemptAnswer } from '../domain/webhook-schedule.js';
import { signatureHeaders } from '../domain/webhook-signature.js';
import { DELIVERY_TIMEOUT_MS, deliveryBody, WEBHOOK_RETENTION_MS } from '../domain/webhooks.js';
import { DEFAULT_DISABLE_AFTER_SECONDS } from '../domain/notify.js';
import type { Clock } from '../ports/clock.port.js';
import type { Database } from '../ports/db.port.js';
import type { ClaimedDelivery, WebhookTransport } from '../ports/webhooks.port.js';
import { noopTracer, type Span, type Tracer } from '../ports/tracer.port.js';
import { subjectData, type EventPresenter } from './event-payload.js';
import { WebhookFanout } from './webhook-fanout.js';
import { IdleBackoff } from './relay-loop.js';
import type { WebhookSecretBox } from './webhook-secrets.js';
import { presentEndpoint } from './webhooks.service.js';

/** How a delivery's `data` is shown (the same presenter as the broker's events). */
export type WebhookPresenter = EventPresenter;

export interface WebhookSenderOptions {
  /** This sender's name on its leases. */
  owner: string;
  /** Attempts in flight in this process at once. Default 16. */
  concurrency?: number;
  /** Attempts in flight to one endpoint, over every sender. Default 4: a receiver that never answers holds 4 slots, not all. */
  perEndpoint?: number;
  /** How often it looks for work. Default 250 ms. */
  pollMs?: number;
  /** While passes find nothing, the poll slows down to this (IdleBackoff); default `pollMs` (no slowing). For deployments whose every writer pokes. */
  idlePollMaxMs?: number;
  /** The wait for a receiver's whole answer. Default 15 s. */
  timeoutMs?: number;
  /** An endpoint whose every attempt has failed for this long is disabled (MEDIAFORGE_WEBHOOK_DISABLE_AFTER_SECONDS). Default 5 days. */
  disableAfterMs?: number;
}

type Logger = { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };

/**
 * Sends webhook deliveries, in the worker processes: fans out the outbox's `webhook.event`
 * rows (WebhookFanout), claims due deliveries with a lease (per endpoint at most
 * `perEndpoint` in flight), signs each attempt (Standard Webhooks; during a rotation with the
 * new and the old secret), POSTs it through the transport (which checks the URL policy again
 * and connects to the checked address), and records the attempt and what
 * src/domain/webhook-schedule.ts decides: delivered, tried again later, or failed; a 410
 * disables the endpoint, a Retry-After pauses it. The delivery's `data` is the resource as
 * it is when the attempt is made, so every retry carries links that are fresh.
 */
export class WebhookSender {
  private readonly fanout: WebhookFanout;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly aborts = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** A pass is running; `again`: a poke came meanwhile. */
  private passing = false;
  private again = false;
  private lastPrune = 0;
  private readonly random: () => number;
  private readonly backoff: IdleBackoff;

  constructor(
    private readonly deps: {
      db: Pick<Database, 'outbox' | 'webhookDeliveries' | 'jobs' | 'uploads'>;
      transport: WebhookTransport;
      clock: Clock;
      box: WebhookSecretBox;
      presenter: WebhookPresenter;
      schedule: readonly number[];
      random?: () => number;
      logger?: Logger;
      /** Each delivery attempt is a span (`webhook.deliver`); absent: none. */
      tracer?: Tracer;
    },
    private readonly opts: WebhookSenderOptions,
  ) {
    this.random = deps.random ?? Math.random;
    this.backoff = new IdleBackoff(opts.pollMs ?? 250, opts.idlePollMaxMs);
    this.fanout = new WebhookFanout(deps, { owner: opts.owner });
  }

  /** Passes every `pollMs` (slower while idle with `idlePollMaxMs`), at once after a pass that found work, and whenever `poke` says there is some. */
  start(): void {
    void this.loop();
  }

  /**
   * Work may be waiting (a transition of this process wrote an event, an attempt ended and
   * freed its endpoint's slot): pass now instead of at the next poll, or right after the pass
   * that is running. Other processes' events wait for the poll.
   */
  poke(): void {
    if (this.stopping) return;
    this.backoff.reset();
    if (this.passing) {
      this.again = true;
      return;
    }
    if (!this.timer) return; // not started (tests drive `tick` themselves)
    clearTimeout(this.timer);
    this.timer = null;
    void this.loop();
  }

  private async loop(): Promise<void> {
    this.timer = null;
    this.passing = true;
    const busy = await this.tick().catch((err: unknown) => {
      this.deps.logger?.warn({ err }, 'webhook sender pass failed; trying again');
      return false;
    });
    this.passing = false;
    if (this.stopping) return;
    const now = busy || this.again;
    this.again = false;
    this.timer = setTimeout(() => void this.loop(), this.backoff.next(now));
  }

  /** Stops taking work; attempts still in flight are cut (their leases run out and another sender tries them again). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.aborts.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  /** One pass: fan out new events, then start attempts for due deliveries in the free slots. True when it found work. */
  async tick(): Promise<boolean> {
    if (this.stopping) return false;
    const made = await this.fanout.pass();
    await this.prune();
    const free = (this.opts.concurrency ?? 16) - this.inFlight.size;
    if (free <= 0) return false;
    const claimed = await this.deps.db.webhookDeliveries.claim({
      owner: this.opts.owner,
      now: this.deps.clock.now(),
      leaseMs: (this.opts.timeoutMs ?? DELIVERY_TIMEOUT_MS) + 15_000,
      limit: free,
      perEndpoint: this.opts.perEndpoint ?? 4,
    });
    for (const c of claimed) {
      const p: Promise<void> = this.tracedAttempt(c)
        .catch((err: unknown) => this.deps.logger?.warn({ err, delivery: c.id }, 'webhook attempt could not be recorded; its lease runs out and it is tried again'))
        .finally(() => {
          this.inFlight.delete(p);
          this.poke();
        });
      this.inFlight.add(p);
    }
    return made > 0 || claimed.length > 0;
  }

  /** Waits for the attempts in flight (tests). */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** One attempt as its own trace: the sender's pass belongs to no request. */
  private tracedAttempt(c: ClaimedDelivery): Promise<void> {
    const attributes = { 'mediaforge.webhook.delivery_id': c.id, 'mediaforge.webhook.endpoint_id': c.endpoint.id, 'mediaforge.webhook.event': c.event.type, 'mediaforge.webhook.attempt': c.attempts, 'mediaforge.account.id': c.event.accountId };
    return (this.deps.tracer ?? noopTracer).inSpan('webhook.deliver', { kind: 'client', parent: null, attributes }, (span) => this.attempt(c, span));
  }

  private async attempt(c: ClaimedDelivery, span: Span): Promise<void> {
    const at = this.deps.clock.now();
    const sent = await this.send(c, at);
    if (!sent) return;
    span.setAttributes({ 'http.response.status_code': 'status' in sent.answer ? sent.answer.status : undefined, 'mediaforge.webhook.error': 'error' in sent.answer ? sent.answer.error : undefined });
    const now = this.deps.clock.now();
    const { answer } = sent;
    // A subject that is gone fails the delivery at once: there is nothing to send, now or later.
    const decision = sent.gone ? { status: 'failed' as const, nextAttemptAt: null, disableEndpoint: null, pauseEndpointUntil: null } : decideAttempt(c.attempts, answer, this.deps.schedule, now, this.random());
    const error = 'error' in answer ? answer.error : null;
    const statusCode = 'status' in answer ? answer.status : null;
    const attempt = { at, statusCode, latencyMs: sent.latencyMs, responseBody: sent.responseBody, error };
    // A subject that is gone made no request: it says nothing of the endpoint. Running out of
    // attempts (not a 410, which disables and says so) is told to the account.
    const endpointHealth = sent.gone ? null : decision.status === 'succeeded' ? ('ok' as const) : ('failing' as const);
    const exhausted = !sent.gone && decision.status === 'failed' && !decision.disableEndpoint;
    const disableFailingAfterMs = this.opts.disableAfterMs ?? DEFAULT_DISABLE_AFTER_SECONDS * 1000;
    span.setAttributes({ 'mediaforge.webhook.outcome': decision.status });
    if (!(await this.deps.db.webhookDeliveries.settle(c, { attempt, ...decision, endpointHealth, exhausted, disableFailingAfterMs }, now))) return;
    const where = { delivery: c.id, endpoint: c.endpoint.id, event: c.event.type, attempt: c.attempts, status: statusCode, error };
    if (decision.disableEndpoint) this.deps.logger?.warn(where, 'webhook endpoint answered 410 Gone: disabled');
    else if (exhausted) this.deps.logger?.warn(where, 'webhook delivery failed for good: no attempts left (the account is told by e-mail when it has a notify address)');
  }

  /** One signed POST of the delivery. Null when shutdown cut it (not the receiver's doing: nothing is recorded, the lease runs out). */
  private async send(c: ClaimedDelivery, at: number): Promise<{ answer: AttemptAnswer; responseBody: string | null; latencyMs: number; gone: boolean } | null> {
    let latencyMs = 0;
    try {
      const data = await this.payload(c);
      if (data === undefined) return { answer: { error: `the ${c.event.subject} ${c.event.subjectId} no longer exists` }, responseBody: null, latencyMs, gone: true };
      const body = deliveryBody(c.event, data);
      const headers = { 'content-type': 'application/json', 'user-agent': 'mediaforge-webhooks', ...signatureHeaders(this.secrets(c, at), c.event.id, Math.floor(at / 1000), body) };
      const started = performance.now();
      try {
        const res = await this.deps.transport.post(c.endpoint.url, headers, body, this.opts.timeoutMs ?? DELIVERY_TIMEOUT_MS, this.aborts.signal);
        return { answer: { status: res.status, retryAfter: res.retryAfter }, responseBody: res.body, latencyMs: performance.now() - started, gone: false };
      } finally {
        latencyMs = performance.now() - started;
      }
    } catch (err) {
      if (this.aborts.signal.aborted) return null;
      return { answer: { error: (err as Error).message }, responseBody: null, latencyMs, gone: false };
    }
  }

  /** Newest first; the secret before a rotation while its day lasts. */
  private secrets(c: ClaimedDelivery, now: number): string[] {
    const { secret, previousSecret, previousSecretUntil } = c.endpoint;
    const keep = previousSecret !== null && previousSecretUntil !== null && previousSecretUntil > now;
    return [this.deps.box.open(secret), ...(keep ? [this.deps.box.open(previousSecret)] : [])];
  }

  /** The resource as its account reads it now; undefined when it is gone. */
  private payload(c: ClaimedDelivery): Promise<unknown> {
    const { event } = c;
    if (event.subject === 'endpoint') return Promise.resolve(presentEndpoint(c.endpoint));
    return subjectData(this.deps, { accountId: event.accountId, subject: event.subject, subjectId: event.subjectId }, 'webhooks');
  }

  /** Events and deliveries past their 30 days, now and then. */
  private async prune(): Promise<void> {
    const now = this.deps.clock.now();
    if (now - this.lastPrune < 3600_000) return;
    this.lastPrune = now;
    await this.deps.db.webhookDeliveries.prune(now - WEBHOOK_RETENTION_MS, 1000);
  }
}
