import type { MediaMetadata } from '../domain/media.js';
import { buildFrameOrientationProbeArgs, buildProbeArgs, checkLimits, parseFrameOrientation, parseProbe, type MediaLimits } from '../ffmpeg/probe.js';
import type { MediaRunner } from '../ports/media-runner.port.js';

// The worker's input checks come from here, so it needs no src/ffmpeg import of its own.
export { sniffForbiddenText, type MediaLimits } from '../ffmpeg/probe.js';

/**
 * The input's metadata: streams and format first (this decodes nothing), then the limits,
 * then for a still image the first picture's orientation (EXIF lives on the decoded frame),
 * so a hostile 60000×60000 JPEG is refused before anything decodes it.
 */
export async function probeInput(
  runner: Pick<MediaRunner, 'probe'>,
  inputPath: string,
  opts: { signal: AbortSignal; timeoutMs: number; limits?: MediaLimits },
): Promise<MediaMetadata> {
  const run = { signal: opts.signal, timeoutMs: opts.timeoutMs };
  const meta = parseProbe(await runner.probe(buildProbeArgs(inputPath), run));
  if (opts.limits) checkLimits(meta, opts.limits);
  if (meta.kind !== 'image') return meta;
  const orientation = parseFrameOrientation(await runner.probe(buildFrameOrientationProbeArgs(inputPath), run));
  return orientation ? { ...meta, ...orientation } : meta;
}
