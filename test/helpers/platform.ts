import type { Logger } from 'pino';
import { loadConfig } from '../../src/main/config.js';
import { startEmbedded, type Platform } from '../../src/main/embedded.js';
import { createLogger } from '../../src/main/logger.js';
import { TEST_RATE_LIMIT } from './process.js';
import { tempDir } from './temp.js';

export const TEST_KEY = 'mf_test_key_0123456789abcdef';

export interface TestPlatform {
  platform: Platform;
  base: string;
  dataDir: string;
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

/** The embedded platform in this process: its own data dir, a free port, fast timings. */
export async function startTestPlatform(env: Record<string, string> = {}, opts: { logger?: Logger } = {}): Promise<TestPlatform> {
  const t = await tempDir('mf-e2e-');
  const config = loadConfig(
    {},
    {
      overrides: {
        PORT: '0',
        HOST: '127.0.0.1',
        MEDIAFORGE_DATA_DIR: t.dir,
        MEDIAFORGE_API_KEY: TEST_KEY,
        MEDIAFORGE_WORKER_CONCURRENCY: '1',
        MEDIAFORGE_LEASE_SECONDS: '3',
        MEDIAFORGE_HEARTBEAT_SECONDS: '0.5',
        MEDIAFORGE_RETRY_BASE_SECONDS: '0.2',
        MEDIAFORGE_PROGRESS_INTERVAL_MS: '100',
        MEDIAFORGE_SHUTDOWN_GRACE_SECONDS: '1',
        MEDIAFORGE_RATE_LIMIT_PER_MINUTE: TEST_RATE_LIMIT,
        ...env,
      },
    },
  );
  const platform = await startEmbedded(config, { logger: opts.logger ?? createLogger(process.env.LOG_LEVEL ?? 'silent') });
  const base = platform.url;
  return {
    platform,
    base,
    dataDir: t.dir,
    api: async (method, path, body, headers = {}) => {
      const isJson = body !== undefined && !(body instanceof Uint8Array) && !(body instanceof FormData) && typeof body !== 'string';
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${TEST_KEY}`, ...(isJson ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : isJson ? JSON.stringify(body) : (body as BodyInit),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed as any, headers: res.headers };
    },
    stop: async () => {
      await platform.close();
      await t.cleanup();
    },
  };
}

/** Reads a job's SSE stream to its end. */
export async function collectEvents(base: string, jobId: string, key = TEST_KEY): Promise<Array<{ event: string; data: any }>> {
  const res = await fetch(`${base}/v1/jobs/${jobId}/events`, { headers: { authorization: `Bearer ${key}` } });
  if (!res.ok) throw new Error(`events: HTTP ${res.status}`);
  const events: Array<{ event: string; data: any }> = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
    }
  }
  return events;
}
