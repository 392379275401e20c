import { createLogger } from '../../main/logger.js';
import { createTracer } from '../../main/tracing.js';
import { startWorkerProcess } from '../../main/distributed.js';
import { loadOrExit, onShutdown, startOrExit } from './distributed-run.js';
import { parseRoutes, type Route } from '../../domain/routes.js';

/** `mediaforge worker`: takes jobs from the shared queue; run as many as the load needs. */
export async function workerCommand(opts: { config?: string; concurrency?: string; types?: string }): Promise<void> {
  let concurrency: number | undefined;
  if (opts.concurrency !== undefined) {
    concurrency = Number(opts.concurrency);
    if (!/^\d+$/.test(opts.concurrency) || concurrency < 1 || concurrency > 256) {
      console.error(`mediaforge: --concurrency ${JSON.stringify(opts.concurrency)} is not allowed; expected a whole number from 1 to 256`);
      process.exit(2);
    }
  }
  let routes: Route[] | undefined;
  if (opts.types !== undefined) {
    try {
      routes = parseRoutes(opts.types);
    } catch (err) {
      console.error(`mediaforge: --types ${JSON.stringify(opts.types)}: ${(err as Error).message}`);
      process.exit(2);
    }
  }
  const { config, distributed } = loadOrExit(opts.config);
  const tracer = await startOrExit(() => createTracer(config.tracing, 'worker'));
  const logger = createLogger(config.logLevel, () => tracer.activeIds());
  const w = await startOrExit(() => startWorkerProcess(config, distributed, { logger, tracer, concurrency, routes }));
  const types = (routes ?? distributed.workerTypes)?.join(',') ?? 'all';
  console.error(
    `\n  mediaforge worker ${w.id} is running (concurrency ${concurrency ?? config.worker.concurrency}, types ${types}, ffmpeg ${w.ffmpeg.caps.version})\n` +
      `  backends: ${Object.entries(w.describe).map(([k, v]) => `${k} ${v}`).join(', ')}\n`,
  );
  onShutdown((msg) => logger.info(msg), w.close);
}
