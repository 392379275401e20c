import { DomainError } from './errors.js';

/**
 * E-mail notifications (docs/notifications.md#e-mail): who is told, and what about. Pure: the
 * relay is src/services/email-relay.ts, the messages src/services/email-messages.ts.
 */

/** What an e-mail is about: a job's end, or the account's webhooks failing. */
export const EMAIL_TOPICS = ['job.succeeded', 'job.failed', 'webhook.delivery.exhausted', 'webhook.endpoint.disabled'] as const;
export type EmailTopic = (typeof EMAIL_TOPICS)[number];

/** The job events that send the job's (or its account's) notify address an e-mail. */
export const JOB_EMAIL_TOPICS: readonly EmailTopic[] = ['job.succeeded', 'job.failed'];

/** An endpoint failing every attempt this long is disabled (MEDIAFORGE_WEBHOOK_DISABLE_AFTER_SECONDS). */
export const DEFAULT_DISABLE_AFTER_SECONDS = 5 * 86_400;

const MAX_ADDRESS = 254;
/**
 * A plain mailbox `local@domain`: visible ASCII only (no spaces, no CR/LF, so nothing can
 * reach a header), no display name, no comments, no quoted or bracketed forms, no second
 * address (`,` `;`). Stricter than RFC 5322 on purpose: this is user input that becomes an
 * SMTP recipient.
 */
const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= MAX_ADDRESS && ADDRESS.test(value) && !value.startsWith('.') && !value.split('@')[0].endsWith('.') && !value.includes('..');
}

/**
 * The notify address of a request, checked: `email_invalid` naming `path` when it is not a
 * plain address, `email_not_configured` when this server sends no e-mail (no MEDIAFORGE_SMTP_URL).
 */
export function checkNotifyEmail(value: string, path: string, emailEnabled: boolean): string {
  if (!isEmailAddress(value)) {
    throw new DomainError('email_invalid', `${path} is not an e-mail address this server sends to: give a plain address such as dev@example.com (no name, no spaces, one address)`, { path });
  }
  if (!emailEnabled) {
    throw new DomainError('email_not_configured', `${path}: this server sends no e-mail (the operator has not set MEDIAFORGE_SMTP_URL); leave notify.email out, or use a webhook`, { path });
  }
  return value;
}

/** The reason an endpoint failing since `since` is disabled at `now`, shown as its `disabledReason`. */
export function failingDisableReason(since: number, now: number): string {
  const days = Math.round(((now - since) / 86_400_000) * 10) / 10;
  return `every attempt failed since ${new Date(since).toISOString()} (${days} days): disabled at ${new Date(now).toISOString()}; PATCH {"disabled": false} enables it again`;
}
