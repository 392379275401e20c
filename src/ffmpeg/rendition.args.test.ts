import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../domain/errors.js';
import type { MediaMetadata } from '../domain/media.js';
import { audioOutputSchema } from '../domain/outputs/audio.spec.js';
import { mp4OutputSchema } from '../domain/outputs/mp4.spec.js';
import { buildAudioArgs } from './audio.args.js';
import { buildMp4Args, mp4CanCopy } from './mp4.args.js';
import { INPUT_GUARD_ARGS } from './probe.js';

const HEAD = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'info', '-nostats', '-progress', 'pipe:1', ...INPUT_GUARD_ARGS, '-i', '/in'];
const CAPS = { encoders: new Set(['libx264', 'aac', 'libmp3lame']) };
const MAP = ['-map', '0:v:0', '-map', '0:a:0', '-sn', '-dn', '-map_metadata', '-1'];
const TAIL = ['-movflags', '+faststart', '-f', 'mp4', '/out/video.mp4'];

function meta(over: Partial<MediaMetadata> = {}): MediaMetadata {
  return {
    kind: 'video', container: 'mp4', duration: 60, width: 1920, height: 1080, rotation: 0, fps: 30,
    videoCodec: 'h264', audioCodec: 'aac', bitrate: 4_000_000, hasAudio: true, hasVideo: true,
    pixelFormat: 'yuv420p', sampleAspectRatio: '1:1', frameCount: 1800,
    peakFps: 30, fieldOrder: 'progressive', ...over,
  };
}
const mp4 = (over: object = {}) => mp4OutputSchema.parse({ type: 'mp4', ...over });
const audio = (over: object = {}) => audioOutputSchema.parse({ type: 'audio', ...over });
const mp4Args = (s: object, m = meta()) => buildMp4Args(mp4(s), m, CAPS, { inputPath: '/in', outputPath: '/out/video.mp4' });
const audioArgs = (s: object, m = meta()) => buildAudioArgs(audio(s), m, CAPS, { inputPath: '/in', outputPath: '/out/a' });

describe('mp4 rendition arguments', () => {
  it('stream-copies an H.264/AAC source that already satisfies the request', () => {
    const copy = [...HEAD, ...MAP, '-c', 'copy', ...TAIL];
    assert.deepEqual(mp4Args({}), copy);
    assert.deepEqual(mp4Args({ height: 1080 }), copy);
    assert.deepEqual(mp4Args({ height: 2160 }), copy, 'a taller height does not upscale');
    assert.deepEqual(mp4Args({ bitrate: 5000 }), copy, 'already under the bitrate');
  });

  it('re-encodes when the codec, pixel format, audio codec, size, bitrate or a crf asks for it', () => {
    const encode = (vf: string[], rate: string[], audioRate = '128') => [
      ...HEAD, ...MAP, ...vf, '-c:v', 'libx264', '-preset', 'veryfast', ...rate, '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', `${audioRate}k`, ...TAIL,
    ];
    const crf23 = ['-crf', '23'];
    assert.deepEqual(mp4Args({}, meta({ videoCodec: 'hevc' })), encode([], crf23));
    assert.deepEqual(mp4Args({}, meta({ pixelFormat: 'yuv444p' })), encode([], crf23));
    assert.deepEqual(mp4Args({}, meta({ audioCodec: 'mp3' })), encode([], crf23));
    assert.deepEqual(mp4Args({ height: 720 }), encode(['-vf', 'scale=1280:720,setsar=1'], crf23));
    assert.deepEqual(mp4Args({ crf: 18, audioBitrate: 192 }), encode([], ['-crf', '18'], '192'));
    assert.deepEqual(mp4Args({ bitrate: 2000 }), encode([], ['-b:v', '2000k', '-maxrate', '3000k', '-bufsize', '4000k']));
    assert.deepEqual(
      buildMp4Args(mp4({ preset: 'medium' }), meta({ videoCodec: 'vp9', hasAudio: false, audioCodec: null }), CAPS, { inputPath: '/in', outputPath: '/out/video.mp4' }),
      [...HEAD, '-map', '0:v:0', '-sn', '-dn', '-map_metadata', '-1', '-c:v', 'libx264', '-preset', 'medium', '-crf', '23', '-pix_fmt', 'yuv420p', '-an', ...TAIL],
    );
  });

  it('copy decision as data', () => {
    assert.equal(mp4CanCopy(mp4(), meta()), true);
    assert.equal(mp4CanCopy(mp4({ bitrate: 1000 }), meta()), false);
    assert.equal(mp4CanCopy(mp4({ bitrate: 1000 }), meta({ bitrate: null })), false);
    assert.equal(mp4CanCopy(mp4(), meta({ sampleAspectRatio: '4:3' })), false);
    assert.equal(mp4CanCopy(mp4(), meta({ kind: 'image' })), false);
  });

  it('crf with bitrate is a validation error', () => {
    const r = mp4OutputSchema.safeParse({ type: 'mp4', crf: 20, bitrate: 1000 });
    assert.equal(r.success, false);
    assert.match(r.error!.issues[0].message, /crf or bitrate, not both/);
  });
});

describe('audio arguments', () => {
  const head = [...HEAD, '-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '-1'];
  it('mp3, m4a (copied from AAC, encoded otherwise), wav', () => {
    assert.deepEqual(audioArgs({ format: 'mp3' }), [...head, '-c:a', 'libmp3lame', '-b:a', '192k', '-f', 'mp3', '/out/a']);
    assert.deepEqual(audioArgs({ format: 'm4a' }), [...head, '-c:a', 'copy', '-movflags', '+faststart', '-f', 'mp4', '/out/a']);
    assert.deepEqual(audioArgs({ format: 'm4a', bitrate: 96 }), [...head, '-c:a', 'aac', '-b:a', '96k', '-movflags', '+faststart', '-f', 'mp4', '/out/a']);
    assert.deepEqual(audioArgs({ format: 'm4a' }, meta({ audioCodec: 'opus' })), [...head, '-c:a', 'aac', '-b:a', '160k', '-movflags', '+faststart', '-f', 'mp4', '/out/a']);
    assert.deepEqual(audioArgs({ format: 'wav' }), [...head, '-c:a', 'pcm_s16le', '-f', 'wav', '/out/a']);
  });

  it('no audio track is input_has_no_audio; no mp3 encoder is output_unsupported', () => {
    assert.throws(() => audioArgs({ format: 'mp3' }, meta({ hasAudio: false, audioCodec: null })), (e: DomainError) => e.code === 'input_has_no_audio');
    assert.throws(
      () => buildAudioArgs(audio({ format: 'mp3' }), meta(), { encoders: new Set(['aac']) }, { inputPath: '/in', outputPath: '/out/a' }),
      (e: DomainError) => e.code === 'output_unsupported' && /libmp3lame/.test(e.message),
    );
  });
});
