import type { Logger } from 'pino';
import { PrometheusMetrics } from '../adapters/prometheus/prometheus.metrics.js';
import { buildObservabilityApp, type Observability, type Readiness } from '../http/observability.js';
import type { Database, UploadRepository } from '../ports/db.port.js';
import type { Metrics, UploadMetrics, WebhookMetrics } from '../ports/metrics.port.js';
import type { WebhookDeliveryStore } from '../ports/webhooks.port.js';
import type { BlobStore } from '../ports/blob-store.port.js';
import type { JobQueue } from '../ports/queue.port.js';
import type { Config } from './config.js';

/**
 * Observability for the composition roots (docs/operations.md#observability): the one Metrics
 * object of a process, the readiness checks, the decorators that count at the ports, and a
 * worker process's metrics server. Nothing here is global: each root builds its own.
 */

/** The process's metrics (null when MEDIAFORGE_METRICS=off); the gauges read the job counts from `db`. */
export function createMetrics(config: Config, db: Pick<Database, 'jobs'>): Metrics | null {
  if (!config.metrics.enabled) return null;
  return new PrometheusMetrics({ gauges: { activeCounts: () => db.jobs.activeCounts() } });
}

const CHECK_TIMEOUT_MS = 2000;

/** `work`'s answer, or a rejection after `ms`: an unreachable host (packets dropped) must not hang the probe. */
async function within<T>(ms: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Ready while the database, the queue and the storage answer, and while no worker of this
 * process is draining at shutdown. Each check has 2 s; they run at once.
 */
export function readinessOf(b: { db: Pick<Database, 'apiKeys'>; queue: Pick<JobQueue, 'depth'>; blobs: Pick<BlobStore, 'stat'> }, draining: () => boolean = () => false, timeoutMs = CHECK_TIMEOUT_MS): () => Promise<Readiness> {
  const checks: Record<string, () => Promise<unknown>> = {
    database: () => b.db.apiKeys.count(),
    queue: () => b.queue.depth(),
    // A key nobody writes: the answer (absent) proves the store answers.
    storage: () => b.blobs.stat('readyz/probe'),
  };
  return async () => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await within(timeoutMs, check);
          return [name, 'ok'] as const;
        } catch (err) {
          return [name, `unreachable: ${(err as Error).message}`] as const;
        }
      }),
    );
    const result: Record<string, string> = Object.fromEntries(entries);
    if (draining()) result.worker = 'draining: shutting down, finishing its running jobs';
    return { ok: Object.values(result).every((v) => v === 'ok'), checks: result };
  };
}

/**
 * `db`, counting at the repositories: the bytes of every upload that becomes ready (however
 * it came: body, multipart, presigned, or a route added later that goes through the same
 * repository), and every webhook delivery attempt recorded.
 */
export function observedDatabase(db: Database, metrics: (UploadMetrics & WebhookMetrics) | null): Database {
  if (!metrics) return db;
  /** The upload repository `repo`, telling `count` the size of each upload it makes ready. */
  const counted = (repo: UploadRepository, count: (bytes: number) => void): UploadRepository => {
    const uploads = Object.create(repo) as UploadRepository;
    uploads.create = async (principal, upload, messages) => {
      await repo.create(principal, upload, messages);
      if ((upload.status ?? 'ready') === 'ready') count(upload.size);
    };
    uploads.markReady = async (principal, id, done, messages) => {
      const applied = await repo.markReady(principal, id, done, messages);
      if (applied) {
        const upload = await repo.get(principal, id).catch(() => null);
        if (upload) count(upload.size);
      }
      return applied;
    };
    return uploads;
  };
  const uploads = counted(db.uploads, (n) => metrics.uploadBytes(n));
  // An upload made ready inside a unit of work (processing on upload) counts once it commits.
  const transaction: Database['transaction'] = async (work) => {
    const sizes: number[] = [];
    const result = await db.transaction((tx) => work({ ...tx, uploads: counted(tx.uploads, (n) => sizes.push(n)) }));
    for (const n of sizes) metrics.uploadBytes(n);
    return result;
  };
  const deliveries = Object.create(db.webhookDeliveries) as WebhookDeliveryStore;
  deliveries.settle = async (fence, result, now) => {
    const applied = await db.webhookDeliveries.settle(fence, result, now);
    if (applied) metrics.webhookDelivery(result.status === 'pending' ? 'retrying' : result.status);
    return applied;
  };
  return { ...db, uploads, webhookDeliveries: deliveries, transaction };
}

/** A worker process's /metrics, /readyz and /healthz on MEDIAFORGE_METRICS_PORT (null when unset). */
export async function startMetricsServer(config: Config, obs: Observability, logger: Logger): Promise<{ url: string; close(): Promise<void> } | null> {
  if (config.metrics.port === null) return null;
  const app = await buildObservabilityApp(obs, logger);
  const url = await app.listen({ port: config.metrics.port, host: config.host });
  logger.info({ url: url.replace('0.0.0.0', '127.0.0.1') }, 'metrics server listening');
  return { url: url.replace('0.0.0.0', '127.0.0.1'), close: () => app.close() };
}
