import nodemailer, { type Transporter } from 'nodemailer';
import { PermanentMailError, type Mailer, type MailMessage } from '../../ports/mailer.port.js';
import { redactUrl } from '../redact-url.js';

/**
 * The mailer over SMTP with nodemailer: `url` is MEDIAFORGE_SMTP_URL (smtp://host:port,
 * smtps://user:password@host:465; an operator's value), `from` MEDIAFORGE_SMTP_FROM. One
 * connection per message (no pool: notifications are few, and a server that went away
 * costs nothing to reconnect to). Nodemailer writes the headers and encodes the subject; the
 * recipient is a plain address checked before it got here (src/domain/notify.ts).
 */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  readonly destination: string;

  constructor(url: string, private readonly from: string, timeouts: { connectMs?: number; socketMs?: number } = {}) {
    this.destination = redactUrl(url);
    this.transport = nodemailer.createTransport({
      url,
      connectionTimeout: timeouts.connectMs ?? 10_000,
      greetingTimeout: timeouts.connectMs ?? 10_000,
      socketTimeout: timeouts.socketMs ?? 30_000,
    });
  }

  async send(m: MailMessage): Promise<void> {
    try {
      await this.transport.sendMail({ from: this.from, to: m.to, subject: m.subject, text: m.text, html: m.html, messageId: m.messageId, disableFileAccess: true, disableUrlAccess: true });
    } catch (err) {
      const e = err as Error & { responseCode?: number; response?: string };
      const what = e.responseCode ? `the SMTP server (${this.destination}) answered ${e.response ?? e.responseCode}` : `SMTP (${this.destination}): ${e.message}`;
      if (e.responseCode !== undefined && e.responseCode >= 500 && e.responseCode < 600) throw new PermanentMailError(what);
      throw new Error(what);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
