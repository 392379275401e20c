import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: string;
  body: string;
}

/**
 * One HTTP/1.1 request written byte for byte on a socket: the request-target goes out
 * exactly as given (percent-escapes, absolute form, dot segments), which fetch and curl
 * would normalise. Resolves with what the server answered before closing.
 */
export function rawRequest(base: string, method: string, target: string, opts: { headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {}): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no answer to ${method} ${target}`)), opts.timeoutMs ?? 10_000);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split >= 0 ? text.slice(0, split) : text;
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (!m) return reject(new Error(`no HTTP answer to ${method} ${target}: ${JSON.stringify(text.slice(0, 200))}`));
      resolve({ status: Number(m[1]), headers: head, body: split >= 0 ? text.slice(split + 4) : '' });
    });
    const body = opts.body === undefined ? Buffer.alloc(0) : Buffer.from(opts.body);
    const headers = { host: url.host, connection: 'close', 'content-length': String(body.length), ...opts.headers };
    socket.write(`${method} ${target} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
    socket.write(body);
  });
}
