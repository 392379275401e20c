import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../domain/errors.js';
import { ALLOWED_DEMUXERS, buildFrameOrientationProbeArgs, buildProbeArgs, checkLimits, parseProbe, sniffForbiddenText } from './probe.js';

// The probe's guards against hostile input: text formats that open other resources, the
// size limits, and the arguments that keep ffprobe to local files (parsing: probe.test.ts).

const MP4_H264_AAC = {
  streams: [
    {
      index: 0, codec_name: 'h264', profile: 'High', codec_type: 'video', codec_tag_string: 'avc1', width: 320, height: 240,
      has_b_frames: 2, sample_aspect_ratio: '1:1', display_aspect_ratio: '4:3', pix_fmt: 'yuv420p', level: 13, field_order: 'progressive',
      r_frame_rate: '30/1', avg_frame_rate: '30/1', time_base: '1/15360', start_time: '0.000000', duration: '1.000000',
      bit_rate: '304672', nb_frames: '30', disposition: { default: 1, attached_pic: 0 },
      tags: { language: 'und', handler_name: 'VideoHandler', vendor_id: '[0][0][0][0]', encoder: 'Lavc59.37.100 libx264' },
    },
    {
      index: 1, codec_name: 'aac', profile: 'LC', codec_type: 'audio', sample_fmt: 'fltp', sample_rate: '48000', channels: 1,
      channel_layout: 'mono', r_frame_rate: '0/0', avg_frame_rate: '0/0', time_base: '1/48000', duration: '1.000000',
      bit_rate: '70441', nb_frames: '48', disposition: { default: 1, attached_pic: 0 }, tags: { language: 'und', handler_name: 'SoundHandler' },
    },
  ],
  format: {
    filename: 'a.mp4', nb_streams: 2, format_name: 'mov,mp4,m4a,3gp,3g2,mj2', format_long_name: 'QuickTime / MOV',
    start_time: '0.000000', duration: '1.000000', size: '49581', bit_rate: '396648', probe_score: 100,
    tags: { major_brand: 'isom', minor_version: '512', compatible_brands: 'isomiso2avc1mp41', encoder: 'Lavf59.27.100' },
  },
};

function assertDomainError(fn: () => unknown, code: string): DomainError {
  let caught: unknown;
  assert.throws(fn, (err: unknown) => {
    caught = err;
    assert.ok(err instanceof DomainError, 'expected a DomainError');
    assert.equal(err.code, code);
    return true;
  });
  return caught as DomainError;
}

describe('sniffForbiddenText', () => {
  const sniff = (s: string | Buffer) => sniffForbiddenText(typeof s === 'string' ? Buffer.from(s) : s);

  it('HLS playlists', () => {
    assert.equal(sniff('#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:10,\nhttp://169.254.169.254/latest\n'), 'an HLS/M3U playlist');
    assert.equal(sniff('\n  #extm3u\n'), 'an HLS/M3U playlist');
    assert.equal(sniff('#EXT-X-TARGETDURATION:10\nseg0.ts\n'), 'an HLS/M3U playlist');
  });

  it('HLS behind a UTF-8 byte order mark', () => {
    assert.equal(sniff(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('#EXTM3U\nfile:///etc/passwd\n')])), 'an HLS/M3U playlist');
  });

  it('ffconcat and plain concat lists', () => {
    assert.equal(sniff('ffconcat version 1.0\nfile a.mp4\n'), 'an ffconcat list');
    assert.equal(sniff("file '/etc/passwd'\n"), 'a concat list');
    assert.equal(sniff('# list\nfile "clip.mp4"\nduration 5\n'), 'a concat list');
  });

  it('DASH manifests, with and without an XML declaration', () => {
    assert.equal(sniff('<?xml version="1.0" encoding="utf-8"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static">'), 'a DASH manifest');
    assert.equal(sniff('<MPD xmlns="urn:mpeg:dash:schema:mpd:2011">'), 'a DASH manifest');
  });

  it('SDP descriptions', () => {
    assert.equal(sniff('v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nm=video 5004 RTP/AVP 96\r\n'), 'an SDP description');
    assert.equal(sniff('v=0\nc=IN IP4 10.0.0.1\n'), 'an SDP description');
  });

  it('binary media headers are fine', () => {
    const mp4 = Buffer.from([0, 0, 0, 0x20, ...Buffer.from('ftypisom'), 0, 0, 2, 0, ...Buffer.from('isomiso2avc1mp41'), 0, 0, 0, 8]);
    assert.equal(sniff(mp4), null);
    assert.equal(sniff(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d])), null);
    assert.equal(sniff(Buffer.from('ID3\x03\x00\x00\x00\x00\x00\x0ffile here', 'latin1')), null);
  });

  it('ordinary text and markers past the first KiB are not flagged', () => {
    assert.equal(sniff('hello world\nprofile "x"\n'), null);
    assert.equal(sniff(Buffer.concat([Buffer.alloc(2048), Buffer.from('#EXT-X-VERSION:3\n')])), null);
  });
});

describe('checkLimits', () => {
  const limits = { maxDurationSeconds: 1800, maxPixels: 3840 * 2160 };
  const base = parseProbe(MP4_H264_AAC);

  it('passes within limits and at the limits exactly', () => {
    assert.doesNotThrow(() => checkLimits(base, limits));
    assert.doesNotThrow(() => checkLimits({ ...base, duration: 1800, width: 3840, height: 2160 }, limits));
    assert.doesNotThrow(() => checkLimits({ ...base, duration: null, width: null, height: null }, limits));
  });

  it('too long is limit_exceeded with details', () => {
    const err = assertDomainError(() => checkLimits({ ...base, duration: 3600.5 }, limits), 'limit_exceeded');
    assert.deepEqual(err.details, { limit: 'duration', value: 3600.5, max: 1800 });
    assert.match(err.message, /3600\.5 s.*1800 s/);
  });

  it('too many pixels is limit_exceeded with details', () => {
    const err = assertDomainError(() => checkLimits({ ...base, width: 7680, height: 4320 }, limits), 'limit_exceeded');
    assert.deepEqual(err.details, { limit: 'pixels', value: 7680 * 4320, max: 3840 * 2160 });
    assert.match(err.message, /7680×4320/);
  });
});

describe('buildProbeArgs', () => {
  it('reads only local files through allowed demuxers', () => {
    assert.deepEqual(buildProbeArgs('/tmp/mf/source'), [
      '-v', 'error', '-hide_banner',
      '-protocol_whitelist', 'file', '-format_whitelist', ALLOWED_DEMUXERS.join(','),
      '-show_format', '-show_streams', '-of', 'json', '-i', '/tmp/mf/source',
    ]);
  });

  it('the frame orientation probe reads one packet of the first video stream, through the same guard', () => {
    assert.deepEqual(buildFrameOrientationProbeArgs('/tmp/mf/source'), [
      '-v', 'error', '-hide_banner',
      '-protocol_whitelist', 'file', '-format_whitelist', ALLOWED_DEMUXERS.join(','),
      '-select_streams', 'v:0', '-read_intervals', '%+#1',
      '-show_entries', 'frame_tags=Orientation:frame_side_data=displaymatrix,rotation', '-of', 'json', '-i', '/tmp/mf/source',
    ]);
  });

  it('the whitelist has the common containers and none that open other resources', () => {
    const args = buildProbeArgs('/x');
    const list = args[args.indexOf('-format_whitelist') + 1].split(',');
    for (const ok of ['mov', 'mp4', 'matroska', 'mp3', 'png_pipe']) assert.ok(list.includes(ok), ok);
    for (const bad of ['hls', 'applehttp', 'concat', 'dash', 'sdp', 'rtp', 'rtsp', 'tee', 'lavfi', 'image2pipe', 'http']) {
      assert.equal(list.includes(bad), false, bad);
    }
    assert.equal(args[args.indexOf('-protocol_whitelist') + 1], 'file');
  });
});
