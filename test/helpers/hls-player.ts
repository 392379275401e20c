import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { chromium, type Page } from 'playwright-core';
import { tempDir } from './temp.js';

const require = createRequire(import.meta.url);

/**
 * A page on its own origin (so CORS is exercised) that plays an HLS master URL with hls.js
 * and exposes what happened on `window.playerState`.
 */
export async function startPlayerPage(): Promise<{ pageUrl: (master: string) => string; close: () => Promise<void> }> {
  const hlsJs = await readFile(require.resolve('hls.js/dist/hls.min.js'));
  const html = `<!doctype html><meta charset="utf-8"><title>player</title>
<video id="v" muted playsinline></video>
<script src="/hls.min.js"></script>
<script>
  const state = { events: [], error: null, levels: 0, supported: Hls.isSupported() };
  window.playerState = state;
  const video = document.getElementById('v');
  const master = new URLSearchParams(location.search).get('src');
  const hls = new Hls({ enableWorker: true });
  hls.on(Hls.Events.MANIFEST_PARSED, (_e, data) => { state.levels = data.levels.length; video.play().catch((e) => { state.error = 'play(): ' + e.message; }); });
  hls.on(Hls.Events.ERROR, (_e, data) => { state.events.push(data.type + ':' + data.details); if (data.fatal) state.error = data.type + ':' + data.details; });
  hls.loadSource(master);
  hls.attachMedia(video);
</script>`;
  const server: Server = createServer((req, res) => {
    if (req.url === '/hls.min.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(hlsJs);
    if (req.url?.startsWith('/play')) return res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  // "localhost" vs the platform's "127.0.0.1": a different origin, so the files need CORS.
  return {
    pageUrl: (master) => `http://localhost:${port}/play?src=${encodeURIComponent(master)}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for Debian's chromium; the fresh profile folder goes to playwright as `userDataDir` (it passes --user-data-dir). */
export async function chromiumFlags(): Promise<{ args: string[]; userDataDir: string; cleanup: () => Promise<void> }> {
  const profile = await tempDir('mf-chromium-');
  return {
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
    ],
    userDataDir: profile.dir,
    cleanup: profile.cleanup,
  };
}

/**
 * Opens the player page in `tab` and polls until the video has played `seconds` or the player
 * reported a fatal error (40 s at most). Answers the last state, the position and a summary.
 */
export async function playUntil(tab: Page, url: string, seconds: number): Promise<{ state: any; time: number; buffered: Array<[number, number]>; frames: { time: number; frames: number }; diagnostics: string }> {
  const console: string[] = [];
  tab.on('console', (m) => console.push(m.text()));
  await tab.goto(url);
  const deadline = Date.now() + 40_000;
  let state: any = null;
  let time = 0;
  while (Date.now() < deadline) {
    state = await tab.evaluate(() => (window as any).playerState);
    time = await tab.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime);
    if (state.error || time >= seconds) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  // The media element's buffered ranges, and the frames it decoded (or dropped) to get here:
  // a hole in the video plays on (players skip it) but holds no frames.
  const media = await tab.evaluate(() => {
    const v = document.getElementById('v') as HTMLVideoElement;
    const q = v.getVideoPlaybackQuality();
    return { time: v.currentTime, frames: q.totalVideoFrames, buffered: Array.from({ length: v.buffered.length }, (_, i) => [v.buffered.start(i), v.buffered.end(i)] as [number, number]) };
  });
  return { state, time, buffered: media.buffered, frames: media, diagnostics: JSON.stringify({ state, media, console: console.slice(-5) }) };
}

/**
 * Debian's Chromium (fresh profile) and the hls.js page on its own origin, ready to play a
 * master URL in a new tab.
 */
export async function startPlayer(): Promise<{ play(master: string, seconds: number): ReturnType<typeof playUntil>; close(): Promise<void> }> {
  const page = await startPlayerPage();
  const profile = await chromiumFlags();
  const browser = await chromium.launchPersistentContext(profile.userDataDir, { executablePath: CHROMIUM_PATH, headless: true, args: profile.args }).catch(async (err) => {
    await page.close();
    await profile.cleanup();
    throw err;
  });
  return {
    play: async (master, seconds) => {
      const tab = await browser.newPage();
      try {
        return await playUntil(tab, page.pageUrl(master), seconds);
      } finally {
        await tab.close();
      }
    },
    close: async () => {
      await browser.close();
      await page.close();
      await profile.cleanup();
    },
  };
}
