import { rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_PATH, chromiumFlags } from './hls-player.js';
import { tempDir } from './temp.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Where the console tests write their screenshots (gitignored). */
export const ARTIFACTS = join(root, 'test-artifacts', 'console');

let built: Promise<string> | null = null;

/**
 * The console built from web/console as it is now (vite build into a temp dir, once per
 * process): tests run from src, and a dist/console from an earlier build could be stale.
 */
export function buildConsole(): Promise<string> {
  built ??= (async () => {
    const out = await tempDir('mf-console-build-');
    const { build } = await import('vite');
    await build({ configFile: join(root, 'web/console/vite.config.ts'), configLoader: 'runner', logLevel: 'warn', build: { outDir: out.dir, emptyOutDir: true } });
    process.once('exit', () => rmSync(out.dir, { recursive: true, force: true }));
    return out.dir;
  })();
  return built;
}

/** Debian's Chromium with a fresh profile; `close` removes the profile. */
export async function startBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await chromiumFlags();
  await mkdir(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile.userDataDir, { executablePath: CHROMIUM_PATH, headless: true, args: profile.args, viewport: { width: 1100, height: 900 } }).catch(async (err) => {
    await profile.cleanup();
    throw err;
  });
  return {
    context,
    close: async () => {
      await context.close();
      await profile.cleanup();
    },
  };
}

/** Signs in on the console's page with an API key, until the job list shows. */
export async function signInWithKey(page: Page, key: string) {
  await page.getByLabel('API key', { exact: true }).fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
}
