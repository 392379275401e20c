import type { EmailNotifyMessage } from '../domain/outbox.js';

/**
 * The text of each e-mail notification (docs/notifications.md#e-mail), as plain text and as
 * HTML. Everything that came from a user (metadata, file names, error messages, URLs) is
 * escaped in the HTML and never reaches the subject, which holds only ids and codes this
 * server made (and is stripped of control characters all the same).
 */

/** The part of a job as GET /v1/jobs/{id} presents it that a message shows. */
export interface JobView {
  id: string;
  status: string;
  outputs: Array<{ type: string; status: string; files: Array<{ name: string; url: string | null; size: number }>; error?: { code: string; message: string } }>;
  metadata: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  finishedAt: string | null;
}

export interface Composed {
  subject: string;
  text: string;
  html: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
// eslint-disable-next-line no-control-regex
const oneLine = (s: string): string => s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif">${body}</body></html>`;

function metadataLines(metadata: Record<string, unknown> | null): { text: string; html: string } {
  const entries = Object.entries(metadata ?? {});
  if (!entries.length) return { text: '', html: '' };
  const value = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  return {
    text: `\nMetadata:\n${entries.map(([k, v]) => `  ${k}: ${value(v)}`).join('\n')}\n`,
    html: `<p>Metadata:</p><ul>${entries.map(([k, v]) => `<li>${escapeHtml(k)}: ${escapeHtml(value(v))}</li>`).join('')}</ul>`,
  };
}

/** A job that succeeded, with a link to every file (signed when the message is made, valid `linkTtlSeconds`), or one that failed, with its reason. */
export function jobMessage(job: JobView, opts: { linkTtlSeconds: number; apiBase: string }): Composed {
  const meta = metadataLines(job.metadata);
  const jobUrl = `${opts.apiBase}/v1/jobs/${job.id}`;
  if (job.status === 'succeeded') {
    const files = job.outputs.flatMap((o) => o.files.filter((f) => f.url !== null).map((f) => ({ type: o.type, ...f, url: f.url! })));
    const hours = Math.round((opts.linkTtlSeconds / 3600) * 10) / 10;
    const text = [
      `Your mediaforge job ${job.id} succeeded${job.finishedAt ? ` at ${job.finishedAt}` : ''}.`,
      '',
      `Download links (valid for ${hours} h; GET ${jobUrl} gives fresh ones):`,
      ...files.map((f) => `  ${f.type} ${f.name} (${f.size} bytes): ${f.url}`),
      meta.text,
    ].join('\n');
    const html = page(
      `Job ${job.id} succeeded`,
      `<p>Your mediaforge job <code>${escapeHtml(job.id)}</code> succeeded${job.finishedAt ? ` at ${escapeHtml(job.finishedAt)}` : ''}.</p>` +
        `<p>Download links (valid for ${hours} h; <code>GET ${escapeHtml(jobUrl)}</code> gives fresh ones):</p><ul>` +
        files.map((f) => `<li>${escapeHtml(f.type)}: <a href="${escapeHtml(f.url)}">${escapeHtml(f.name)}</a> (${f.size} bytes)</li>`).join('') +
        `</ul>${meta.html}`,
    );
    return { subject: oneLine(`mediaforge: job ${job.id} succeeded`), text, html };
  }
  const reason = job.error ?? { code: 'internal', message: 'the job failed' };
  const failedOutputs = job.outputs.filter((o) => o.error);
  const text = [
    `Your mediaforge job ${job.id} failed${job.finishedAt ? ` at ${job.finishedAt}` : ''}.`,
    '',
    `Reason: ${reason.code}: ${reason.message}`,
    ...failedOutputs.map((o) => `  ${o.type}: ${o.error!.code}: ${o.error!.message}`),
    '',
    `Details: GET ${jobUrl}`,
    meta.text,
  ].join('\n');
  const html = page(
    `Job ${job.id} failed`,
    `<p>Your mediaforge job <code>${escapeHtml(job.id)}</code> failed${job.finishedAt ? ` at ${escapeHtml(job.finishedAt)}` : ''}.</p>` +
      `<p>Reason: <code>${escapeHtml(reason.code)}</code>: ${escapeHtml(reason.message)}</p>` +
      (failedOutputs.length ? `<ul>${failedOutputs.map((o) => `<li>${escapeHtml(o.type)}: <code>${escapeHtml(o.error!.code)}</code>: ${escapeHtml(o.error!.message)}</li>`).join('')}</ul>` : '') +
      `<p>Details: <code>GET ${escapeHtml(jobUrl)}</code></p>${meta.html}`,
  );
  return { subject: oneLine(`mediaforge: job ${job.id} failed (${reason.code})`), text, html };
}

/** A webhook delivery out of attempts, or an endpoint disabled for failing. */
export function webhookMessage(m: EmailNotifyMessage & { webhook: NonNullable<EmailNotifyMessage['webhook']> }): Composed {
  const w = m.webhook;
  const disabled = m.topic === 'webhook.endpoint.disabled';
  const lines = disabled
    ? [
        `Your mediaforge webhook endpoint ${m.subjectId} (${w.url}) was disabled: ${w.reason}.`,
        '',
        `Its pending deliveries wait; fix the receiver, then enable it again: PATCH /v1/webhooks/${m.subjectId} {"disabled": false}.`,
      ]
    : [
        `A webhook delivery to your endpoint ${m.subjectId} (${w.url}) failed for good: every attempt of the retry schedule failed, and ${w.reason}.`,
        '',
        `Event: ${w.eventType} ${w.eventId}; delivery ${w.deliveryId}.`,
        `Its attempts: GET /v1/webhooks/${m.subjectId}/deliveries?status=failed; send it again: POST /v1/webhooks/${m.subjectId}/deliveries/${w.deliveryId}/retry.`,
      ];
  const title = disabled ? `Webhook endpoint ${m.subjectId} disabled` : `Webhook delivery ${w.deliveryId} failed for good`;
  return {
    subject: oneLine(disabled ? `mediaforge: webhook endpoint ${m.subjectId} was disabled` : `mediaforge: a webhook delivery to ${m.subjectId} failed for good (${w.eventType})`),
    text: lines.join('\n'),
    html: page(title, lines.filter((l) => l).map((l) => `<p>${escapeHtml(l)}</p>`).join('')),
  };
}
