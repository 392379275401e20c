import { Redis } from 'ioredis';

const reconnectDelay = (times: number) => Math.min(100 * 2 ** Math.min(times, 6), 5000);

/**
 * The Redis client the API's rate limiter counts with (docs/rate-limits.md). It must never
 * hold a request up: commands fail at once while it is disconnected (no offline queue) and
 * after `commandTimeoutMs` when Redis is slow, and the limiter then counts in memory. It
 * reconnects by itself; an unreachable Redis at start is reported, not fatal.
 */
export async function openRateLimitRedis(
  url: string,
  opts: { commandTimeoutMs?: number; onUnreachable?: (err: Error) => void; onError?: (err: Error) => void } = {},
): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs ?? 500,
    connectTimeout: 2000,
    retryStrategy: reconnectDelay,
    connectionName: 'mediaforge:ratelimit',
  });
  client.on('error', (err: Error) => opts.onError?.(err));
  try {
    await client.connect();
  } catch (err) {
    opts.onUnreachable?.(err as Error);
  }
  return client;
}
