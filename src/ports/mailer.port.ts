/**
 * Sends one e-mail (docs/notifications.md#e-mail); the SMTP adapter is
 * src/adapters/smtp/smtp.mailer.ts. The recipient is one plain address checked by
 * src/domain/notify.ts; the subject carries no line breaks; `messageId` is the same on every
 * attempt of one notification, so a mail client that sees it twice can tell.
 */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

/** A refusal that no retry can change (an SMTP 5xx: no such mailbox, relaying denied): the notification fails at once. */
export class PermanentMailError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentMailError';
  }
}

export interface Mailer {
  /** Resolves once the server accepted the message; throws PermanentMailError for a 5xx, another error for anything to retry. */
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}
