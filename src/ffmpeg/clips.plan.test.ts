import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../domain/errors.js';
import { clipsOutputSchema } from '../domain/outputs/clips.spec.js';
import { parseTimecode } from '../domain/outputs/timecode.js';
import { clipFileName, parseKeyframes, planClips, snapToKeyframes } from './clips.plan.js';

const spec = (over: object = {}) => clipsOutputSchema.parse({ type: 'clips', ...over });

describe('clip planning', () => {
  it('segmentSeconds splits the trimmed range, the last clip shorter', () => {
    assert.deepEqual(planClips(spec({ segmentSeconds: 10 }), 25), [
      { start: 0, end: 10 }, { start: 10, end: 20 }, { start: 20, end: 25 },
    ]);
    assert.deepEqual(planClips(spec({ segmentSeconds: 60, start: '00:01:00', end: '00:03:30.5' }), 600), [
      { start: 60, end: 120 }, { start: 120, end: 180 }, { start: 180, end: 210.5 },
    ]);
    // Exactly divisible: no empty clip at the end.
    assert.equal(planClips(spec({ segmentSeconds: 10 }), 60).length, 6);
  });

  it('trim only gives one clip; end past the input is clamped; start past it is refused', () => {
    assert.deepEqual(planClips(spec({ start: 5 }), 12.5), [{ start: 5, end: 12.5 }]);
    assert.deepEqual(planClips(spec({ end: 99 }), 12.5), [{ start: 0, end: 12.5 }]);
    assert.throws(() => planClips(spec({ start: 13 }), 12.5), (e: DomainError) => e.code === 'output_unsupported');
    assert.throws(() => planClips(spec(), null), (e: DomainError) => e.code === 'output_unsupported' && /known duration/.test(e.message));
  });

  it('too many clips is limit_exceeded', () => {
    assert.throws(() => planClips(spec({ segmentSeconds: 1 }), 5000), (e: DomainError) => e.code === 'limit_exceeded');
  });

  it('ranges keep their order and names', () => {
    assert.deepEqual(planClips(spec({ ranges: [{ start: 5, end: 8, name: 'b' }, { start: '00:00:01', end: 3 }] }), 30), [
      { name: 'b', start: 5, end: 8 }, { name: undefined, start: 1, end: 3 },
    ]);
  });

  it('file names are numbered from 001 and widen past 999', () => {
    assert.equal(clipFileName(0, 6), 'clip-001.mp4');
    assert.equal(clipFileName(41, 1000), 'clip-0042.mp4');
  });

  it('fast mode snaps starts back to keyframes, ends to the next cut, and drops collapsed clips', () => {
    const kfs = [0, 4, 8, 12];
    assert.deepEqual(snapToKeyframes([{ start: 0, end: 5 }, { start: 5, end: 10 }, { start: 10, end: 14 }], kfs, 14), [
      { start: 0, end: 4 }, { start: 4, end: 8 }, { start: 8, end: 14 },
    ]);
    assert.deepEqual(snapToKeyframes([{ start: 0, end: 1 }, { start: 1, end: 2 }], kfs, 14), [{ start: 0, end: 4 }]);
    assert.throws(() => snapToKeyframes([{ start: 0, end: 1 }], [], 14), (e: DomainError) => e.code === 'output_unsupported');
  });

  it('keyframes come from packet flags', () => {
    const raw = { packets: [{ pts_time: '0.000000', flags: 'K__' }, { pts_time: '0.033', flags: '___' }, { pts_time: '1.5', flags: 'K_' }, { pts_time: 'N/A', flags: 'K' }] };
    assert.deepEqual(parseKeyframes(raw), [0, 1.5]);
    assert.deepEqual(parseKeyframes({}), []);
  });

  it('timecodes: seconds or HH:MM:SS.mmm; nonsense is null', () => {
    assert.equal(parseTimecode('01:02:03.250'), 3723.25);
    assert.equal(parseTimecode('02:03'), 123);
    assert.equal(parseTimecode('12.5'), 12.5);
    assert.equal(parseTimecode(7), 7);
    for (const bad of ['1:75:00', 'abc', '-3', '', '1:2:3:4']) assert.equal(parseTimecode(bad), null, bad);
    assert.equal(parseTimecode(-1), null);
  });
});

describe('clips request schema', () => {
  const issues = (v: object) => {
    const r = clipsOutputSchema.safeParse({ type: 'clips', ...v });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  it('defaults: accurate, source aspect, crop, no archive', () => {
    const s = spec();
    assert.deepEqual([s.mode, s.aspect, s.fit, s.archive, s.crf, s.preset, s.deinterlace, s.deinterlaceRate], ['accurate', 'source', 'crop', false, 20, 'veryfast', 'auto', 'frame']);
  });
  it('rejections name the field and say what to do', () => {
    assert.match(issues({ segmentSeconds: 10, ranges: [{ start: 0, end: 1 }] }).join(), /either segmentSeconds or ranges/);
    assert.match(issues({ start: 10, end: 5 }).join(), /^end: end must be after start/);
    assert.match(issues({ ranges: [{ start: 3, end: 2 }] }).join(), /ranges\.0\.end: end must be after start/);
    assert.match(issues({ start: 'soon' }).join(), /HH:MM:SS\.mmm/);
    assert.match(issues({ mode: 'fast', aspect: '9:16' }).join(), /fast mode copies the streams/);
    assert.match(issues({ mode: 'fast', deinterlace: 'on' }).join(), /^deinterlace: fast mode copies the streams, so it cannot deinterlace/);
    assert.match(issues({ mode: 'fast', deinterlaceRate: 'field' }).join(), /^deinterlace: fast mode/);
    assert.deepEqual(issues({ mode: 'fast', deinterlace: 'off' }), []);
    assert.match(issues({ ranges: [{ start: 0, end: 1 }], start: 1 }).join(), /drop the top-level start\/end/);
    assert.match(issues({ aspect: '16:10' }).join(), /aspect/);
    assert.match(issues({ extra: 1 }).join(), /extra|Unrecognized/);
  });
});
