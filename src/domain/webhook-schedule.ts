import { MAX_PAUSE_MS } from './webhooks.js';

/**
 * When a webhook delivery is tried again (docs/notifications.md#retries). Pure: the sender
 * passes the attempts made, the clock's time and a random number.
 *
 * The schedule lists the wait before each attempt: the first entry before the first attempt
 * (0: at once), the second after the first failure, and so on; when the list is used up the
 * delivery has failed for good. The default is Standard Webhooks' schedule, about 75 h in all.
 */
export const DEFAULT_RETRY_SCHEDULE = '0,5s,5m,30m,2h,5h,10h,14h,20h,24h';

/** Each wait is stretched or shrunk by up to this fraction, so deliveries that failed together do not all come back together. */
export const JITTER = 0.1;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_WAIT_MS = 7 * 86_400_000;

/**
 * `0,5s,5m,30m,2h` → waits in ms. Units ms, s, m, h, d; a bare number is seconds. Throws
 * with the entry named when an entry is not a duration, above 7 days, or the list is empty
 * or longer than 50 attempts.
 */
export function parseRetrySchedule(text: string): number[] {
  const entries = text.split(',').map((e) => e.trim());
  if (entries.length > 50) throw new Error(`${entries.length} entries: at most 50 attempts`);
  return entries.map((entry) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(entry);
    const ms = m ? Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 's']) : NaN;
    if (!(ms >= 0 && ms <= MAX_WAIT_MS)) throw new Error(`entry ${JSON.stringify(entry)} is not a wait of 0 to 7d (write e.g. 0,5s,5m,30m,2h)`);
    return ms;
  });
}

/** The wait, stretched by the jitter: `random` is uniform in [0, 1). A wait of 0 stays 0. */
export function jittered(waitMs: number, random: number): number {
  return Math.round(waitMs * (1 - JITTER + 2 * JITTER * random));
}

/** When the first attempt of a new delivery is due. */
export function firstAttemptAt(schedule: readonly number[], now: number, random: number): number {
  return now + jittered(schedule[0] ?? 0, random);
}

/**
 * After `attemptsMade` failed attempts (1 after the first), when the next one is due, or null
 * when the schedule is used up. A `Retry-After` the receiver sent (429, 502, 504) is honoured:
 * the next attempt is not before it.
 */
export function nextAttemptAt(attemptsMade: number, schedule: readonly number[], now: number, random: number, retryAfterMs: number | null = null): number | null {
  if (attemptsMade >= schedule.length) return null;
  return now + Math.max(jittered(schedule[attemptsMade], random), retryAfterMs ?? 0);
}

export type AnswerKind = 'succeeded' | 'gone' | 'failed';

/** 2xx delivered; 410 Gone disables the endpoint; anything else (3xx included: redirects are not followed) failed. */
export function classifyAnswer(status: number): AnswerKind {
  if (status >= 200 && status < 300) return 'succeeded';
  return status === 410 ? 'gone' : 'failed';
}

/** Statuses that ask the sender to slow down, and may say for how long. */
export const SLOW_DOWN_STATUSES: readonly number[] = [429, 502, 504];

/**
 * The wait a `Retry-After` header asks for on a 429, 502 or 504 (seconds, or an HTTP date),
 * capped at an hour; null for any other status or a header that is not one of those forms.
 */
export function retryAfterMs(status: number, header: string | null | undefined, now: number): number | null {
  if (!SLOW_DOWN_STATUSES.includes(status) || !header) return null;
  const text = header.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const date = Date.parse(text);
    if (!Number.isFinite(date) || !/[a-z]/i.test(text)) return null;
    ms = date - now;
  }
  return Math.min(MAX_PAUSE_MS, Math.max(0, ms));
}

/** What one attempt came to: an answer (its status and Retry-After), or no answer (refused, unreachable, timed out). */
export type AttemptAnswer = { status: number; retryAfter: string | null } | { error: string };

export interface AttemptDecision {
  status: 'pending' | 'succeeded' | 'failed';
  /** When the next attempt is due; null unless pending. */
  nextAttemptAt: number | null;
  /** A 410 Gone: the endpoint is disabled, with this reason. */
  disableEndpoint: string | null;
  /** A 429, 502 or 504 with Retry-After: none of the endpoint's deliveries is sent before this. */
  pauseEndpointUntil: number | null;
}

/** The delivery's state after attempt number `attemptsMade` got `answer`. */
export function decideAttempt(attemptsMade: number, answer: AttemptAnswer, schedule: readonly number[], now: number, random: number): AttemptDecision {
  const done = { nextAttemptAt: null, disableEndpoint: null, pauseEndpointUntil: null };
  if ('status' in answer) {
    const kind = classifyAnswer(answer.status);
    if (kind === 'succeeded') return { status: 'succeeded', ...done };
    if (kind === 'gone') return { status: 'failed', ...done, disableEndpoint: `the endpoint answered 410 Gone at ${new Date(now).toISOString()}` };
  }
  const wait = 'status' in answer ? retryAfterMs(answer.status, answer.retryAfter, now) : null;
  const next = nextAttemptAt(attemptsMade, schedule, now, random, wait);
  return { status: next === null ? 'failed' : 'pending', nextAttemptAt: next, disableEndpoint: null, pauseEndpointUntil: wait ? now + wait : null };
}
