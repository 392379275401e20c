import { DomainError } from '../domain/errors.js';
import type { MediaMetadata } from '../domain/media.js';
import type { AudioOutputSpec } from '../domain/outputs/audio.spec.js';
import type { Capabilities } from '../domain/ffmpeg.js';
import { headArgs, inputArgs } from './common.args.js';

/** The codec arguments per format; m4a copies an AAC source unless a bitrate asks otherwise. */
export function audioCodecArgs(spec: AudioOutputSpec, meta: Pick<MediaMetadata, 'audioCodec'>, caps: Pick<Capabilities, 'encoders'>): string[] {
  switch (spec.format) {
    case 'mp3':
      if (!caps.encoders.has('libmp3lame')) throw new DomainError('output_unsupported', 'this ffmpeg build has no MP3 encoder (libmp3lame); use m4a or wav');
      return ['-c:a', 'libmp3lame', '-b:a', `${spec.bitrate ?? 192}k`, '-f', 'mp3'];
    case 'm4a':
      if (meta.audioCodec === 'aac' && spec.bitrate === undefined) return ['-c:a', 'copy', '-movflags', '+faststart', '-f', 'mp4'];
      return ['-c:a', 'aac', '-b:a', `${spec.bitrate ?? 160}k`, '-movflags', '+faststart', '-f', 'mp4'];
    case 'wav':
      return ['-c:a', 'pcm_s16le', '-f', 'wav'];
  }
}

export function buildAudioArgs(
  spec: AudioOutputSpec,
  meta: MediaMetadata,
  caps: Pick<Capabilities, 'encoders'>,
  io: { inputPath: string; outputPath: string },
): string[] {
  return [...headArgs(), ...inputArgs(io.inputPath), ...audioOutputArgs(spec, meta, caps, io.outputPath)];
}

/** Everything after the input: the first audio stream, its codec and the file (also one output of a fused run). */
export function audioOutputArgs(spec: AudioOutputSpec, meta: MediaMetadata, caps: Pick<Capabilities, 'encoders'>, outputPath: string): string[] {
  if (!meta.hasAudio) throw new DomainError('input_has_no_audio', 'the input has no audio track, so there is nothing to extract');
  return ['-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '-1', ...audioCodecArgs(spec, meta, caps), outputPath];
}
