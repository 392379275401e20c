import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DamageVerdict, decodeErrorLimit, type DamageCounts, type TruncationFacts } from './damage.js';
import { DomainError } from './errors.js';
import type { MediaMetadata } from './media.js';

const meta = (over: Partial<MediaMetadata> = {}): MediaMetadata => ({
  kind: 'video', container: 'mp4', duration: 6, width: 320, height: 240, rotation: 0, fps: 30, peakFps: 30, fieldOrder: 'progressive', videoCodec: 'h264', audioCodec: 'aac',
  bitrate: 880_000, hasAudio: true, hasVideo: true, pixelFormat: 'yuv420p', sampleAspectRatio: '1:1', frameCount: 180,
  videoDuration: 6, audioDuration: 6.016, ...over,
});
const cut: TruncationFacts = {
  container: 'mp4', fileBytes: 330_727, declaredBytes: 661_455, indexMissing: false,
  tracks: [
    { kind: 'video', seconds: 6, completeSeconds: 3.033, samples: 180, completeSamples: 91 },
    { kind: 'audio', seconds: 6.016, completeSeconds: 3.042, samples: 259, completeSamples: 131 },
  ],
};
const counts = (over: Partial<DamageCounts> = {}): DamageCounts => ({ truncation: 0, decodeErrors: 0, firstTruncation: null, firstDecodeError: null, ...over });
const thrown = (fn: () => unknown): DomainError => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DomainError, String(err));
    return err;
  }
  assert.fail('expected a DomainError');
};

describe('DamageVerdict at probe time', () => {
  it('fail: a source cut short fails with input_truncated, saying how much is there against what the header declares', () => {
    const err = thrown(() => new DamageVerdict('fail').admitSource(meta(), cut));
    assert.equal(err.code, 'input_truncated');
    assert.equal(err.permanent, true);
    assert.equal(
      err.message,
      'the file ends at 3.0 s of the 6.0 s its header declares (330,727 of 661,455 bytes are there): it was probably cut short in transfer; upload it again, or set input.onDamage to "warn" to process the 3.0 s that are there',
    );
    assert.deepEqual(err.details, { fileBytes: 330_727, declaredBytes: 661_455, declaredDuration: 6, availableDuration: 3.042 });
  });

  it('warn: goes on with the real durations and records the warning', () => {
    const v = new DamageVerdict('warn');
    const m = v.admitSource(meta(), cut);
    assert.deepEqual([m.duration, m.declaredDuration, m.videoDuration, m.audioDuration, m.frameCount], [3.042, 6, 3.033, 3.042, 91]);
    assert.deepEqual(v.warnings.map((w) => [w.code, w.message]), [
      ['input_truncated', 'the file ends at 3.0 s of the 6.0 s its header declares (330,727 of 661,455 bytes are there); only those 3.0 s were processed'],
    ]);
  });

  it('a missing index, or not one complete frame, fails in either policy', () => {
    for (const policy of ['fail', 'warn'] as const) {
      const missing = thrown(() => new DamageVerdict(policy).admitSource(meta(), { ...cut, indexMissing: true, tracks: [] }));
      assert.equal(missing.code, 'input_truncated');
      assert.match(missing.message, /^the file ends after 330,727 bytes but its container declares 661,455 bytes, and the index \(moov\) that says where its frames are is missing/);
      const empty = thrown(() => new DamageVerdict(policy).admitSource(meta(), { ...cut, tracks: cut.tracks.map((t) => ({ ...t, completeSeconds: 0, completeSamples: 0 })) }));
      assert.match(empty.message, /not one frame is complete/);
    }
  });

  it('sizes without an index (Matroska): fail names the bytes; warn keeps the metadata and warns', () => {
    const mkv: TruncationFacts = { container: 'matroska', fileBytes: 100, declaredBytes: 200, indexMissing: false, tracks: [] };
    assert.match(thrown(() => new DamageVerdict('fail').admitSource(meta(), mkv)).message, /^the file ends early \(100 of 200 bytes are there\): .* or set input.onDamage to "warn" to keep what is there$/);
    const v = new DamageVerdict('warn');
    assert.deepEqual(v.admitSource(meta(), mkv), meta());
    assert.equal(v.warnings[0].code, 'input_truncated');
  });

  it('a whole source passes unchanged, with no warning', () => {
    const v = new DamageVerdict('fail');
    assert.deepEqual(v.admitSource(meta(), null), meta());
    assert.deepEqual(v.warnings, []);
  });
});

describe('DamageVerdict after a run', () => {
  const short = { index: 0, type: 'hls' as const, coverage: { produced: 3, expected: 6, tolerance: 0.283 } };
  const full = { index: 1, type: 'mp4' as const, coverage: { produced: 5.9, expected: 6, tolerance: 0.283 } };

  it('fail: "partial file" in the log, or an output short of the source, fails with input_truncated', () => {
    const v = new DamageVerdict('fail', meta());
    const err = thrown(() => v.judgeRun(counts({ truncation: 2, firstTruncation: 'stream 1, offset 0x51105: partial file' }), [short, full]));
    assert.equal(err.code, 'input_truncated');
    assert.equal(
      err.message,
      'the input\'s data ends early: ffmpeg reports the data ending early (stream 1, offset 0x51105: partial file); the hls output (1) covers 3.0 s of the 6.0 s the input declares. It was probably cut short in transfer; upload it again, or set input.onDamage to "warn" to keep what is there',
    );
    assert.match(thrown(() => new DamageVerdict('fail', meta()).judgeRun(counts(), [short])).message, /^the input's data ends early: the hls output \(1\) covers 3\.0 s of the 6\.0 s/);
  });

  it('warn: the truncation once for the source, and each short output with its real and expected seconds', () => {
    const v = new DamageVerdict('warn', meta());
    v.judgeRun(counts({ truncation: 1 }), [short, full]);
    v.judgeRun(counts({ truncation: 1 }), [{ ...short, index: 2, type: 'frames' }]);
    assert.deepEqual(v.warnings.map((w) => [w.code, w.output, w.details]), [
      ['input_truncated', undefined, undefined],
      ['output_short', 0, { producedSeconds: 3, expectedSeconds: 6 }],
      ['output_short', 2, { producedSeconds: 3, expectedSeconds: 6 }],
    ]);
  });

  it('decode errors: a warning up to the limit in either policy; over it, input_invalid (fail) or a warning (warn)', () => {
    const few = counts({ decodeErrors: 3, firstDecodeError: '[h264] concealing 152 DC, 152 AC, 152 MV errors in P frame' });
    for (const policy of ['fail', 'warn'] as const) {
      const v = new DamageVerdict(policy, meta());
      v.judgeRun(few, [full]);
      assert.deepEqual(v.warnings, [
        {
          code: 'input_damaged',
          message: 'ffmpeg could not cleanly decode 3 frames or packets of the input (e.g. "[h264] concealing 152 DC, 152 AC, 152 MV errors in P frame"); those frames may show artefacts or be missing',
          details: { decodeErrors: 3, limit: 10 },
        },
      ]);
    }
    const many = counts({ decodeErrors: 33 });
    const err = thrown(() => new DamageVerdict('fail', meta()).judgeRun(many, [full]));
    assert.equal(err.code, 'input_invalid');
    assert.match(err.message, /^ffmpeg could not cleanly decode 33 frames or packets of the input \(more than the 10 accepted for its length\): the file is damaged/);
    const v = new DamageVerdict('warn', meta());
    v.judgeRun(many, [full]);
    v.judgeRun(few, [full]);
    assert.deepEqual(v.warnings.map((w) => w.details?.decodeErrors), [33], 'one warning, the worst count');
  });

  it('decode errors of a cut are the cut: no second warning', () => {
    const v = new DamageVerdict('warn', meta());
    v.judgeRun(counts({ truncation: 1, decodeErrors: 2 }), [full]);
    v.judgeRun(counts({ decodeErrors: 2 }), [full]);
    assert.deepEqual(v.warnings.map((w) => w.code), ['input_truncated']);
  });

  it('a clean run leaves no warning', () => {
    const v = new DamageVerdict('fail', meta());
    v.judgeRun(counts(), [full, { index: 2, type: 'thumbnail' }]);
    assert.deepEqual(v.warnings, []);
  });

  it('a failed ffmpeg run on a damaged source is a permanent input error; other failures stay as they are', () => {
    const v = new DamageVerdict('fail', meta());
    const failed = new DomainError('ffmpeg_failed', 'ffmpeg exited with code 1: …');
    const cutErr = v.explainFailure(failed, counts({ truncation: 1, firstTruncation: 'partial file' })) as DomainError;
    assert.deepEqual([cutErr.code, cutErr.permanent, cutErr.message], ['input_truncated', true, "the input's data ends early (partial file) and ffmpeg could not finish: ffmpeg exited with code 1: …"]);
    assert.equal((v.explainFailure(failed, counts({ decodeErrors: 4 })) as DomainError).code, 'input_invalid');
    assert.equal(v.explainFailure(failed, counts()), failed);
    const other = new DomainError('output_unsupported', 'no');
    assert.equal(v.explainFailure(other, counts({ truncation: 1 })), other);
  });
});

describe('decodeErrorLimit', () => {
  it('is 1 % of the frames, at least 10', () => {
    assert.equal(decodeErrorLimit(meta()), 10);
    assert.equal(decodeErrorLimit(meta({ frameCount: 108_000 })), 1080);
    assert.equal(decodeErrorLimit(meta({ frameCount: null, duration: 3600, fps: 25 })), 900);
    assert.equal(decodeErrorLimit(meta({ kind: 'audio', frameCount: null, fps: null, duration: 600 })), 300);
  });
});
