import { join } from 'node:path';
import { DomainError } from '../domain/errors.js';
import type { HlsOutputSpec } from '../domain/job-spec.js';
import type { MediaMetadata } from '../domain/media.js';
import { buildHlsArgs, endPadSeconds, planStoryboard, topRungCopyDecision, type CopyDecision, type HlsPlan, type SourceVideoFacts } from '../ffmpeg/hls.args.js';
import { AUDIO_BITRATE, planLadder } from '../ffmpeg/hls.ladder.js';
import { buildSourceFactsArgs, parseSourceFacts } from '../ffmpeg/hls.probe.js';
import { planDeinterlace } from '../ffmpeg/deinterlace.js';
import type { MediaRunner } from '../ports/media-runner.port.js';
import { DEFAULT_PROBE_TIMEOUT_MS, type EncodingSettings } from './pipeline.types.js';

export const DEFAULT_ENCODING: EncodingSettings = { preset: 'veryfast', threads: 0, maxFps: 60 };
export const SPRITE_NAME = 'storyboard.jpg';

export interface PreparedHls {
  plan: HlsPlan;
  facts: SourceVideoFacts | null;
  copy: CopyDecision;
  args: string[];
  spritePath: string;
}

/** Everything decided before ffmpeg starts: the ladder, the copy decision, the one command. Also used by bench/hls.ts. */
export async function prepareHls(
  spec: HlsOutputSpec,
  io: { meta: MediaMetadata; inputPath: string; outDir: string; runner: MediaRunner; signal: AbortSignal; encoding?: EncodingSettings; probeTimeoutMs?: number },
): Promise<PreparedHls> {
  const { meta } = io;
  const encoding = io.encoding ?? DEFAULT_ENCODING;
  if (meta.kind === 'image') throw new DomainError('output_unsupported', 'HLS needs a video or audio input; this input is a still image');
  if (!meta.duration || meta.duration <= 0) throw new DomainError('output_unsupported', 'HLS needs an input with a known duration');
  if (!meta.hasVideo && !meta.hasAudio) throw new DomainError('output_unsupported', 'the input has neither video nor audio');
  if (!io.runner.caps.encoders.has('libx264') && meta.hasVideo) {
    throw new DomainError('output_unsupported', 'this ffmpeg build has no libx264 encoder, which HLS video needs');
  }
  let facts: SourceVideoFacts | null = null;
  if (meta.hasVideo) {
    const fallback = meta.bitrate ? Math.max(meta.bitrate - (meta.hasAudio ? AUDIO_BITRATE : 0), meta.bitrate / 2) : null;
    facts = parseSourceFacts(await io.runner.probe(buildSourceFactsArgs(io.inputPath), { signal: io.signal, timeoutMs: io.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS }), fallback);
  }
  const deinterlace = planDeinterlace(spec.deinterlace, meta, { rate: spec.deinterlaceRate });
  const ladder = planLadder(spec, meta, { maxFps: encoding.maxFps, sourceVideoBitrate: facts?.bitrate ?? null, fieldRate: deinterlace.rate === 'field' });
  let copy: CopyDecision = facts && ladder.rungs.length
    ? topRungCopyDecision(meta, ladder, facts, spec.segmentSeconds, deinterlace.filter !== null)
    : { copy: false, reason: 'no video' };
  // Older HLS muxers (before 5.0) cut a copied stream's first segment late.
  if (copy.copy && io.runner.caps.major < 5) copy = { copy: false, reason: `ffmpeg ${io.runner.caps.version} segments copied streams unevenly` };
  const plan: HlsPlan = {
    ladder,
    duration: meta.duration,
    endPad: endPadSeconds(meta.fps, meta.duration),
    deinterlace,
    copyTop: copy.copy,
    hasAudio: meta.hasAudio,
    segmentSeconds: spec.segmentSeconds,
    segmentType: spec.segmentType,
    storyboard: spec.storyboard && ladder.display ? planStoryboard(meta.duration, ladder.display) : null,
  };
  const spritePath = join(io.outDir, SPRITE_NAME);
  const args = buildHlsArgs(plan, io.runner.caps, encoding, { inputPath: io.inputPath, outDir: io.outDir, spritePath });
  return { plan, facts, copy, args, spritePath };
}
