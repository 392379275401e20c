import { loadConfig, ConfigError } from '../../main/config.js';
import { startEmbedded, StartupError } from '../../main/embedded.js';

export async function startCommand(opts: { config?: string }): Promise<void> {
  let platform;
  try {
    const config = loadConfig(process.env, { configFile: opts.config });
    platform = await startEmbedded(config);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StartupError) {
      console.error(`mediaforge: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const { url, adminKey, ffmpeg } = platform;
  const lines = [
    '',
    `  mediaforge is running on ${url}`,
    `  API: ${url}/v1   console: ${url}/   OpenAPI: ${url}/v1/openapi.json`,
    `  ffmpeg ${ffmpeg.caps.version} (${ffmpeg.source})`,
  ];
  if (adminKey.created) {
    lines.push('', `  Admin API key (shown once, also saved to ${adminKey.file}):`, `    ${adminKey.key}`);
  } else if (adminKey.file) {
    lines.push(`  Admin API key: in ${adminKey.file}`);
  }
  console.error(lines.join('\n') + '\n');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    platform.logger.info({ signal }, 'shutting down: no new jobs; running jobs finish or are handed back');
    await platform.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
