import { startApiProcess } from '../../main/distributed.js';
import { loadOrExit, onShutdown, startOrExit } from './distributed-run.js';

/** `mediaforge api`: the HTTP API only; run any number of them behind a load balancer. */
export async function apiCommand(opts: { config?: string }): Promise<void> {
  const { config, distributed } = loadOrExit(opts.config);
  const api = await startOrExit(() => startApiProcess(config, distributed));
  const lines = [
    '',
    `  mediaforge api is running on ${api.url}`,
    `  backends: ${Object.entries(api.describe).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ];
  if (api.adminKey.created) lines.push('', `  Admin API key (shown once, also saved to ${api.adminKey.file}):`, `    ${api.adminKey.key}`);
  else if (api.adminKey.file) lines.push(`  Admin API key: in ${api.adminKey.file}`);
  console.error(lines.join('\n') + '\n');
  onShutdown((msg) => api.logger.info(msg), api.close);
}
