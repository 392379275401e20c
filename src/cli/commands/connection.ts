import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MediaforgeClient } from '../client.js';

export interface ConnectionOptions {
  url?: string;
  key?: string;
}

/** --url/--key, else MEDIAFORGE_URL/MEDIAFORGE_API_KEY, else the local server's data dir. */
export function clientFrom(opts: ConnectionOptions): MediaforgeClient {
  const url = (opts.url ?? process.env.MEDIAFORGE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/+$/, '');
  let key = opts.key ?? process.env.MEDIAFORGE_API_KEY;
  if (!key) {
    const file = join(resolve(process.env.MEDIAFORGE_DATA_DIR ?? './data'), 'admin.key');
    try {
      key = readFileSync(file, 'utf8').trim();
    } catch {
      console.error(`mediaforge: no API key: pass --key, set MEDIAFORGE_API_KEY, or run from the folder whose data dir holds admin.key (${file})`);
      process.exit(2);
    }
  }
  return new MediaforgeClient(url, key);
}
