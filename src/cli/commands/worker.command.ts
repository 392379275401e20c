import { createLogger } from '../../main/logger.js';
import { startWorkerProcess } from '../../main/distributed.js';
import { loadOrExit, onShutdown, startOrExit } from './distributed-run.js';

/** `mediaforge worker`: takes jobs from the shared queue; run as many as the load needs. */
export async function workerCommand(opts: { config?: string; concurrency?: string }): Promise<void> {
  let concurrency: number | undefined;
  if (opts.concurrency !== undefined) {
    concurrency = Number(opts.concurrency);
    if (!/^\d+$/.test(opts.concurrency) || concurrency < 1 || concurrency > 256) {
      console.error(`mediaforge: --concurrency ${JSON.stringify(opts.concurrency)} is not allowed; expected a whole number from 1 to 256`);
      process.exit(2);
    }
  }
  const { config, distributed } = loadOrExit(opts.config);
  const logger = createLogger(config.logLevel);
  const w = await startOrExit(() => startWorkerProcess(config, distributed, { logger, concurrency }));
  console.error(
    `\n  mediaforge worker ${w.id} is running (concurrency ${concurrency ?? config.worker.concurrency}, ffmpeg ${w.ffmpeg.caps.version})\n` +
      `  backends: ${Object.entries(w.describe).map(([k, v]) => `${k} ${v}`).join(', ')}\n`,
  );
  onShutdown((msg) => logger.info(msg), w.close);
}
