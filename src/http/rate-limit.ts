import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DomainError } from '../domain/errors.js';
import { statusFor } from './error-mapping.js';
import { LeasedCounter } from './rate-limit-lease.js';

/**
 * Requests per minute per caller (docs/rate-limits.md), counted by @fastify/rate-limit:
 * per API key once the key is verified, per client address otherwise (public routes, and
 * requests whose key was refused). Signed downloads and the health check are not counted.
 */
export interface RateLimitSettings {
  /** Requests one caller may make in a minute; 0: no limit. */
  perMinute: number;
  /** Counters every API process shares (distributed mode with REDIS_URL); absent: this process's memory. */
  shared?: { redis: Redis; keyPrefix: string };
}

const WINDOW_MS = 60_000;
/** Callers the in-memory counters remember at once (least recently seen forgotten first). */
const LOCAL_CALLERS = 50_000;
/** While Redis fails, at most one warning this often. */
const WARN_EVERY_MS = 60_000;

type IncrCallback = (err: Error | null, result?: { current: number; ttl: number }) => void;
interface Store {
  incr(key: string, cb: IncrCallback, timeWindow: number, max: number): void;
  child(routeOptions: unknown): Store;
}
// The plugin's own in-memory store (its LRU window) for embedded mode and as the fallback of
// the shared counter (src/http/rate-limit-lease.ts) while Redis is away. The version is
// pinned exactly in package.json.
const require = createRequire(import.meta.url);
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as new (continueExceeding: boolean, exponentialBackoff: boolean, cache: number) => Store;

/**
 * Redis first; when it does not answer (down, unreachable, slower than the client's command
 * timeout), this process's memory, so a Redis outage neither refuses every request nor lifts
 * every limit: each API process then enforces the budget on its own until Redis answers again.
 */
function sharedStoreClass(shared: NonNullable<RateLimitSettings['shared']>, logger: Logger) {
  const redis = new LeasedCounter(shared.redis, shared.keyPrefix, LOCAL_CALLERS);
  const local = new LocalStore(false, false, LOCAL_CALLERS);
  let failingSince: number | null = null;
  let lastWarning = 0;
  let failures = 0;
  const failed = (err: Error) => {
    const now = Date.now();
    failures++;
    if (failingSince === null) failingSince = now;
    if (now - lastWarning < WARN_EVERY_MS) return;
    lastWarning = now;
    logger.warn(
      { err: err.message, failures },
      'rate limit: Redis does not answer, so this API process counts requests in its own memory until it does (each process then allows the full budget)',
    );
  };
  const answered = () => {
    if (failingSince === null) return;
    logger.info({ failures, seconds: Math.round((Date.now() - failingSince) / 1000) }, 'rate limit: Redis answers again; the budget is shared again');
    failingSince = null;
    failures = 0;
    lastWarning = 0;
  };
  return class SharedStore implements Store {
    incr(key: string, cb: IncrCallback, timeWindow: number, max: number) {
      const taken = redis.take(key);
      if (taken) return cb(null, taken);
      redis.incr(key, timeWindow, max).then(
        (result) => {
          answered();
          cb(null, result);
        },
        (err: Error) => {
          failed(err);
          local.incr(key, cb, timeWindow, max);
        },
      );
    }
    child(): Store {
      throw new Error('per-route rate limits are not used');
    }
  };
}

function exempt(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  // Players fetch many segments through one signed link; probes and scrapers must never be refused.
  return route === '/healthz' || route === '/readyz' || route === '/metrics' || (route !== undefined && route.startsWith('/v1/files/'));
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller this request is counted against, once known (see `installRateLimit`). */
    rateKey?: string;
  }
}

const callerKey = (request: FastifyRequest) => request.rateKey ?? (request.principal ? `key:${request.principal.keyId}` : `addr:${request.ip}`);
const keyOf = (principal: NonNullable<FastifyRequest['principal']>) => `key:${principal.keyId}`;
const bearer = (request: FastifyRequest) => /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
const tokenHash = (token: string) => createHash('sha256').update(token).digest('base64url');

function refusal(request: FastifyRequest, max: number, retryAfter: number): DomainError {
  const perKey = callerKey(request).startsWith('key:');
  const details = { limit: max, windowSeconds: WINDOW_MS / 1000, retryAfterSeconds: retryAfter, per: perKey ? 'key' : 'address' };
  return perKey
    ? new DomainError('rate_limited', `this API key made more than ${max} requests in a minute; wait ${retryAfter} s (Retry-After) before the next one, or ask the operator for a higher MEDIAFORGE_RATE_LIMIT_PER_MINUTE`, details)
    : new DomainError('rate_limited', `this address made more than ${max} requests in a minute without a valid API key; wait ${retryAfter} s (Retry-After) before the next one (each valid key has its own budget)`, details);
}

/**
 * Adds `authenticate` (the hook that sets `request.principal` or throws) and the limiter
 * around it to `app`. The limiter counts every request that passed `authenticate` against its
 * key, and the ones `authenticate` refused (a missing or refused key) by address in an
 * `onSend` hook, so a flood of bad keys is limited too.
 *
 * A token this process saw accepted before is counted while `authenticate` still reads its
 * key: with the Redis store the two round trips overlap instead of adding up. The token is
 * still looked up on every request (a revoked key stops at once); a token never seen before
 * is counted only once it is accepted, so made-up tokens never reach the shared counters.
 */
export async function installRateLimit(
  app: FastifyInstance,
  settings: RateLimitSettings | undefined,
  logger: Logger,
  authenticate: (request: FastifyRequest) => Promise<void>,
): Promise<void> {
  if (!settings || settings.perMinute === 0) {
    app.addHook('onRequest', authenticate);
    return;
  }
  await app.register(rateLimit, {
    global: false,
    max: settings.perMinute,
    timeWindow: WINDOW_MS,
    keyGenerator: callerKey,
    cache: LOCAL_CALLERS,
    // The plugin's typing of a store leaves out the window and limit its stores are called with.
    ...(settings.shared ? { store: sharedStoreClass(settings.shared, logger) as unknown as FastifyRateLimitStoreCtor } : {}),
  });
  const limiter = app.createRateLimit();
  const counted = new WeakSet<FastifyRequest>();
  /** Counts started before the key was checked, and the token they were started for. */
  const early = new WeakMap<FastifyRequest, { token: string; counting: Promise<DomainError | null> }>();
  /** Hash of a token accepted before → the caller it counts against; least recently used first. */
  const known = new Map<string, string>();
  const remember = (token: string, rateKey: string) => {
    known.delete(token);
    known.set(token, rateKey);
    if (known.size > LOCAL_CALLERS) known.delete(known.keys().next().value!);
  };

  /** Counts the request and sets the RateLimit headers; the error to answer with when it is over. */
  const count = async (request: FastifyRequest, reply: FastifyReply): Promise<DomainError | null> => {
    counted.add(request);
    const r = await limiter(request);
    if (r.isAllowed) return null;
    const reset = Math.max(1, r.ttlInSeconds);
    reply.header('ratelimit-limit', r.max).header('ratelimit-remaining', r.remaining).header('ratelimit-reset', reset);
    if (!r.isExceeded) return null;
    reply.header('retry-after', reset);
    return refusal(request, r.max, reset);
  };

  app.addHook('onRequest', async (request, reply) => {
    if (exempt(request) || request.is404 || request.routeOptions.config.public === true) return;
    const token = bearer(request);
    const rateKey = token === undefined ? undefined : known.get(tokenHash(token));
    if (token === undefined || rateKey === undefined) return;
    request.rateKey = rateKey;
    const counting = count(request, reply);
    counting.catch(() => undefined); // awaited below, unless `authenticate` refuses first
    early.set(request, { token: tokenHash(token), counting });
  });
  app.addHook('onRequest', authenticate);
  app.addHook('onRequest', async (request, reply) => {
    if (exempt(request)) return;
    const started = early.get(request);
    if (started && request.principal && keyOf(request.principal) !== request.rateKey) {
      // The token now belongs to another caller than it did (never for a key; kept exact).
      await started.counting;
      counted.delete(request);
      request.rateKey = undefined;
    } else if (started) {
      const over = await started.counting;
      if (over) throw over;
      return;
    }
    const token = bearer(request);
    if (request.principal && token !== undefined) remember(tokenHash(token), keyOf(request.principal));
    const over = await count(request, reply);
    if (over) throw over;
  });
  // `authenticate` refused the request (a missing or refused key): count it now by address,
  // and answer 429 instead when the address is over its budget. A token counted early that
  // was refused (revoked since) has been counted against its key; it is forgotten.
  app.addHook('onSend', async (request, reply, payload) => {
    const started = early.get(request);
    if (started && !request.principal) known.delete(started.token);
    if (counted.has(request) || reply.statusCode < 400 || exempt(request)) return payload;
    const over = await count(request, reply);
    if (!over) return payload;
    reply.status(statusFor(over.code)).header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify({ error: { code: over.code, message: over.message, details: over.details } });
  });
}
