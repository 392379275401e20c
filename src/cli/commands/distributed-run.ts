import { ConfigError, loadConfig, loadDistributedConfig, type Config, type DistributedConfig } from '../../main/config.js';
import { StartupError } from '../../main/compose.js';

/** Loads both configurations; a bad value or combination exits 2 with its one-line message. */
export function loadOrExit(configFile?: string): { config: Config; distributed: DistributedConfig } {
  try {
    return { config: loadConfig(process.env, { configFile }), distributed: loadDistributedConfig(process.env, { configFile }) };
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`mediaforge: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}

/** Startup failures people can fix (config, missing ffmpeg, unreachable backend) exit 2 with one line. */
export async function startOrExit<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StartupError) {
      console.error(`mediaforge: ${err.message}`);
      process.exit(2);
    }
    const e = err as Error & { code?: string };
    console.error(`mediaforge: cannot start: ${e.code ? `${e.code} ` : ''}${e.message}`);
    process.exit(2);
  }
}

/** SIGTERM/SIGINT: stop taking work, let running jobs finish or hand them back, then exit. */
export function onShutdown(log: (msg: string) => void, close: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    await close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
