import { connect, createServer, type Server, type Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * A TCP relay on a local port to a real service (Redis, RabbitMQ): `down()` cuts every
 * connection and stops listening, as a broker that goes away; `up()` listens again on the
 * same port, so clients that reconnect find the service back.
 */
export class TcpRelay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private constructor(readonly port: number, private readonly target: { host: string; port: number }) {}

  /** `port`: listen there (one from `freePort()`, known before the target was started); else any free one. */
  static async open(target: { host: string; port: number }, port?: number): Promise<TcpRelay> {
    const relay = new TcpRelay(port ?? (await freePort()), target);
    await relay.up();
    return relay;
  }

  /** The target's URL with the relay's host and port in its place. */
  via(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(new Pace(() => this.rate)).pipe(upstream).pipe(client);
      if (this.frozen) for (const s of [client, upstream]) s.pause();
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }

  private frozen = false;
  private rate: number | null = null;

  /** Bytes per second from clients to the target (a slow uplink), on every connection; null: as fast as they come. */
  throttle(bytesPerSecond: number | null): void {
    this.rate = bytesPerSecond;
  }

  /**
   * A network partition: every connection stays open but nothing passes either way (new ones
   * are accepted and hang the same), so clients wait instead of seeing a closed socket.
   * `thaw()` lets the held bytes through again.
   */
  freeze(): void {
    this.frozen = true;
    for (const s of this.sockets) s.pause();
  }

  thaw(): void {
    this.frozen = false;
    for (const s of this.sockets) s.resume();
  }

  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise((r) => this.server!.close(r));
    this.server = null;
  }
}

/** A local port nothing listens on now (a relay's, to name in the target's config before it starts). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  return port;
}

/** Passes bytes on at `rate()` bytes per second, in 16 KiB pieces; holding a chunk holds the sender back (backpressure). */
class Pace extends Transform {
  constructor(private readonly rate: () => number | null) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    const next = () => {
      const rate = this.rate();
      if (!rate) return done(null, at === 0 ? chunk : chunk.subarray(at));
      if (at >= chunk.length) return done();
      const piece = chunk.subarray(at, (at += 16 * 1024));
      this.push(piece);
      setTimeout(next, (piece.length / rate) * 1000);
    };
    next();
  }
}
