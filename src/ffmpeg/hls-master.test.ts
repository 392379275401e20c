import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { avcCodecString, buildMasterPlaylist, buildStoryboardVtt, finalizeMediaPlaylist, measuredBandwidth, parseMediaPlaylist } from './hls-master.js';

const EVENT = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="init_0.mp4"
#EXTINF:4.000000,
seg_00000.m4s
#EXTINF:3.500000,
seg_00001.m4s
`;

describe('HLS playlists', () => {
  it('RFC 6381 codec strings for H.264 profiles and levels', () => {
    assert.equal(avcCodecString('high', 40), 'avc1.640028');
    assert.equal(avcCodecString('main', 31), 'avc1.4d401f');
    assert.equal(avcCodecString('Constrained Baseline', 30), 'avc1.42e01e');
    assert.equal(avcCodecString('High', 51), 'avc1.640033');
  });

  it('parses a media playlist ffmpeg is still writing', () => {
    const p = parseMediaPlaylist(EVENT);
    assert.deepEqual(p, {
      targetDuration: 4, initUri: 'init_0.mp4', ended: false, playlistType: 'EVENT',
      segments: [{ uri: 'seg_00000.m4s', duration: 4 }, { uri: 'seg_00001.m4s', duration: 3.5 }],
    });
  });

  it('a finished playlist becomes VOD and ends', () => {
    const done = finalizeMediaPlaylist(EVENT);
    assert.match(done, /#EXT-X-PLAYLIST-TYPE:VOD/);
    assert.match(done, /#EXT-X-ENDLIST\n$/);
    assert.equal(finalizeMediaPlaylist(`${EVENT}#EXT-X-ENDLIST\n`).match(/ENDLIST/g)?.length, 1);
  });

  it('the master carries BANDWIDTH, AVERAGE-BANDWIDTH, CODECS, RESOLUTION and FRAME-RATE, relative URIs', () => {
    const text = buildMasterPlaylist(
      [
        { uri: '720p/index.m3u8', bandwidth: 3_100_000.4, averageBandwidth: 2_700_000, codecs: ['avc1.64001f', 'mp4a.40.2'], resolution: { width: 1280, height: 720 }, frameRate: 30000 / 1001 },
        { uri: 'audio/index.m3u8', bandwidth: 130_000, averageBandwidth: 129_000, codecs: ['mp4a.40.2'], resolution: null, frameRate: null },
      ],
      { independentSegments: true },
    );
    assert.equal(
      text,
      [
        '#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-STREAM-INF:BANDWIDTH=3100000,AVERAGE-BANDWIDTH=2700000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=29.970',
        '720p/index.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=130000,AVERAGE-BANDWIDTH=129000,CODECS="mp4a.40.2"',
        'audio/index.m3u8', '',
      ].join('\n'),
    );
  });

  it('bandwidth: peak over full segments, average over everything', () => {
    const m = measuredBandwidth([{ duration: 4, size: 500_000 }, { duration: 4, size: 1_000_000 }, { duration: 1, size: 400_000 }], 1000);
    assert.deepEqual(m, { peak: (1_001_000 * 8) / 4, average: (1_901_000 * 8) / 9 });
    assert.equal(measuredBandwidth([], 0), null);
    // A full-length last segment counts for the peak.
    assert.equal(measuredBandwidth([{ duration: 3, size: 300_000 }, { duration: 3, size: 600_000 }], 0)?.peak, 1_600_000);
  });

  it('storyboard VTT: one cue per tile, covering the whole duration, with #xywh fragments', () => {
    const vtt = buildStoryboardVtt({ interval: 2, count: 3, columns: 2, rows: 2, tileWidth: 160, tileHeight: 90 }, 5.5, 'storyboard.jpg');
    assert.equal(
      vtt,
      [
        'WEBVTT', '',
        '00:00:00.000 --> 00:00:02.000', 'storyboard.jpg#xywh=0,0,160,90', '',
        '00:00:02.000 --> 00:00:04.000', 'storyboard.jpg#xywh=160,0,160,90', '',
        '00:00:04.000 --> 00:00:05.500', 'storyboard.jpg#xywh=0,90,160,90', '',
      ].join('\n'),
    );
  });
});
