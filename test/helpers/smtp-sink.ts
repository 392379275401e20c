import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { waitFor } from './temp.js';

/**
 * A real SMTP server on an ephemeral port (the smtp-server package) that parses what it
 * accepts with mailparser. `refuse(n, code)` makes it answer the next n RCPT TO with `code`.
 */
export class SmtpSink {
  readonly received: Array<{ to: string[]; mail: ParsedMail }> = [];
  /** RCPT TO commands answered with a refusal. */
  refused = 0;
  private refusals: { left: number; code: number } = { left: 0, code: 451 };

  private constructor(private readonly server: SMTPServer, readonly port: number) {}

  static async start(): Promise<SmtpSink> {
    let sink: SmtpSink | null = null;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, cb) {
        const r = sink!.refusals;
        if (r.left > 0) {
          r.left--;
          sink!.refused++;
          return cb(Object.assign(new Error(`try again later (${address.address})`), { responseCode: r.code }));
        }
        cb();
      },
      onData(stream, session, cb) {
        simpleParser(stream).then(
          (mail) => {
            sink!.received.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
            cb();
          },
          (err: Error) => cb(err),
        );
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as { port: number }).port;
    sink = new SmtpSink(server, port);
    return sink;
  }

  url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  refuse(n: number, code = 451): void {
    this.refusals = { left: n, code };
  }

  async waitFor(pred: (m: { to: string[]; mail: ParsedMail }) => boolean, what: string, timeoutMs = 30_000) {
    await waitFor(async () => this.received.some(pred), { timeoutMs, what });
    return this.received.filter(pred);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
