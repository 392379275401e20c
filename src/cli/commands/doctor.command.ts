import { access, mkdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import { loadConfig, loadDistributedConfig } from '../../main/config.js';
import { checkBackends } from './doctor-backends.js';
import { detectCapabilities, findYtdlp, resolveFfmpegBinaries, ytdlpVersion } from '../../main/external-tools.js';

/** Prints what was found and what it means; exits 1 when the platform cannot run. */
export async function doctorCommand(opts: { config?: string }): Promise<void> {
  let problems = 0;
  const ok = (msg: string) => console.log(`  ok    ${msg}`);
  const warn = (msg: string) => console.log(`  warn  ${msg}`);
  const bad = (msg: string) => {
    problems++;
    console.log(`  FAIL  ${msg}`);
  };
  console.log('mediaforge doctor');
  console.log(`  node  ${process.version}`);
  const [maj, min] = process.versions.node.split('.').map(Number);
  if (maj < 20 || (maj === 20 && min < 19)) bad(`Node.js ${process.version} is too old; mediaforge needs 20.19 or newer`);

  let config;
  try {
    config = loadConfig(process.env, { configFile: opts.config });
    ok(`configuration is valid (data dir ${config.dataDir}, port ${config.port}, worker concurrency ${config.worker.concurrency})`);
  } catch (err) {
    bad((err as Error).message);
    process.exitCode = 1;
    return;
  }
  try {
    await mkdir(config.dataDir, { recursive: true });
    await access(config.dataDir, constants.W_OK);
    ok(`data dir ${config.dataDir} is writable`);
  } catch (err) {
    bad(`data dir ${config.dataDir} is not writable: ${(err as Error).message}`);
  }

  const bins = resolveFfmpegBinaries({ FFMPEG_PATH: config.ffmpegPath ?? undefined, FFPROBE_PATH: config.ffprobePath ?? undefined, PATH: process.env.PATH });
  if (!bins) {
    bad('ffmpeg not found: apt-get install ffmpeg (or set FFMPEG_PATH/FFPROBE_PATH)');
  } else {
    try {
      const caps = await detectCapabilities(bins);
      ok(`ffmpeg ${caps.version} (major ${caps.major || '?'}) from ${bins.source}: ${bins.ffmpeg}`);
      ok(`ffprobe: ${bins.ffprobe}`);
      if (bins.source === 'npm') warn('using the ffmpeg shipped in npm packages (an older static build); a system ffmpeg is preferred when installed');
      const checks: Array<[string, boolean, string, boolean]> = [
        ['mjpeg encoder', caps.encoders.has('mjpeg'), 'jpg frames and thumbnails', true],
        ['png encoder', caps.encoders.has('png'), 'png frames', true],
        ['libwebp encoder', caps.encoders.has('libwebp'), 'webp frames (optional)', false],
        ['libx264 encoder', caps.encoders.has('libx264'), 'H.264 renditions (HLS, MP4, clips)', false],
        ['select filter', caps.filters.has('select'), 'frame extraction', true],
        ['thumbnail filter', caps.filters.has('thumbnail'), 'representative thumbnails', true],
        ['showinfo filter', caps.filters.has('showinfo'), 'exact frame times in manifests', true],
      ];
      for (const [name, has, why, required] of checks) {
        const line = `${name}: ${has ? 'yes' : 'missing'} — ${why}`;
        if (has) ok(line);
        else if (required) bad(line);
        else warn(line);
      }
      ok(`frame timing option: ${caps.hasFpsMode ? '-fps_mode' : '-vsync (ffmpeg < 5.1)'}`);
    } catch (err) {
      bad(`ffmpeg at ${bins.ffmpeg} does not run: ${(err as Error).message}`);
    }
  }
  const ytdlpSetting = config.urlImport.ytdlp;
  if (ytdlpSetting === 'off') ok('yt-dlp: off (MEDIAFORGE_YTDLP=off): URLs of web pages and streams fail with url_needs_ytdlp');
  else {
    const cmd = await findYtdlp(ytdlpSetting).catch(() => null);
    const version = cmd ? await ytdlpVersion(cmd).catch(() => null) : null;
    if (cmd && version) ok(`yt-dlp ${version}: ${cmd.path} — imports video pages and HLS/DASH streams given as input.url, through the URL policy`);
    else if (ytdlpSetting) bad(`yt-dlp: MEDIAFORGE_YTDLP=${ytdlpSetting} does not run; install it (Debian/Ubuntu: apt-get install yt-dlp), fix the path, or set MEDIAFORGE_YTDLP=off`);
    else warn('yt-dlp not found: URLs of video pages and streams fail with url_needs_ytdlp; install it for those (Debian/Ubuntu: apt-get install yt-dlp)');
  }
  try {
    await checkBackends(loadDistributedConfig(process.env, { configFile: opts.config }), { ok, warn, bad });
  } catch (err) {
    bad((err as Error).message);
  }
  console.log(problems ? `\n${problems} problem(s): fix them before \`mediaforge start\`.` : '\nAll good: `mediaforge start` will run.');
  if (problems) process.exitCode = 1;
}
