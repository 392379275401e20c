import { createRequire } from 'node:module';
import { minimalEnv, runsOk } from '../adapters/process/process-runner.js';

export interface BinarySource {
  ffmpeg: string;
  ffprobe: string;
  source: 'env' | 'system' | 'npm';
}

/** Runs with the environment the media runner will give it, so "works" means works there. */
function works(bin: string): boolean {
  return runsOk(bin, ['-version'], { env: minimalEnv(), timeoutMs: 10_000 });
}

/**
 * FFMPEG_PATH/FFPROBE_PATH if set, else the system's ffmpeg/ffprobe, else the binaries
 * shipped inside the optional npm packages, so `npm install && npm start` works on a
 * machine with no ffmpeg at all. `preferNpm` forces the last (tests of that path).
 */
export function resolveFfmpegBinaries(env: NodeJS.ProcessEnv, opts: { preferNpm?: boolean } = {}): BinarySource | null {
  if (env.FFMPEG_PATH || env.FFPROBE_PATH) {
    return { ffmpeg: env.FFMPEG_PATH ?? 'ffmpeg', ffprobe: env.FFPROBE_PATH ?? 'ffprobe', source: 'env' };
  }
  if (!opts.preferNpm && works('ffmpeg') && works('ffprobe')) return { ffmpeg: 'ffmpeg', ffprobe: 'ffprobe', source: 'system' };
  const npm = npmBinaries();
  if (npm && works(npm.ffmpeg) && works(npm.ffprobe)) return { ...npm, source: 'npm' };
  return null;
}

export function npmBinaries(): { ffmpeg: string; ffprobe: string } | null {
  const require = createRequire(import.meta.url);
  try {
    const ffmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    const ffprobe = (require('@ffprobe-installer/ffprobe') as { path: string }).path;
    return { ffmpeg, ffprobe };
  } catch {
    return null;
  }
}
