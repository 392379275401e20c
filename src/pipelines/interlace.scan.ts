import type { OutputSpec } from '../domain/job-spec.js';
import type { MediaMetadata } from '../domain/media.js';
import { needsInterlaceScan } from '../ffmpeg/deinterlace.js';
import { buildIdetArgs, decideInterlace, parseIdet } from '../ffmpeg/idet.args.js';
import type { MediaRunner } from '../ports/media-runner.port.js';

/**
 * The probe's metadata, plus an idet scan when some output deinterlaces on `auto` and the
 * probe could not say whether the video is interlaced. Runs once per job, through the one
 * media runner, so every output decides from the same measurement (it is stored in
 * `input.metadata.interlaceScan`). A source whose field order is known costs nothing.
 */
export async function withInterlaceScan(
  deps: { runner: MediaRunner; signal: AbortSignal; stallTimeoutMs: number },
  inputPath: string,
  meta: MediaMetadata,
  specs: OutputSpec[],
): Promise<MediaMetadata> {
  if (!needsInterlaceScan(meta, specs)) return meta;
  const lines: string[] = [];
  await deps.runner.run(buildIdetArgs(meta, inputPath), {
    signal: deps.signal,
    stallTimeoutMs: deps.stallTimeoutMs,
    onStderrLine: (line) => {
      if (line.includes('frame detection:')) lines.push(line);
    },
  });
  return { ...meta, interlaceScan: decideInterlace(parseIdet(lines)) };
}
