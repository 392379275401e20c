import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isObjectCreated, parseIngestPrefixes, parseS3Event, prefixFor } from './s3-events.js';

describe('bucket events: prefixes and the S3 event shape', () => {
  it('reads the prefixes, and names a bad or overlapping entry', () => {
    const p = parseIngestPrefixes('media/incoming/=acc_x:lms-hls, media/other/=acc_y:web-mp4-720');
    assert.deepEqual(p, [{ bucket: 'media', prefix: 'incoming/', accountId: 'acc_x', preset: 'lms-hls' }, { bucket: 'media', prefix: 'other/', accountId: 'acc_y', preset: 'web-mp4-720' }]);
    assert.deepEqual(parseIngestPrefixes(''), []);
    assert.throws(() => parseIngestPrefixes('media/incoming/=acc_x'), /"media\/incoming\/=acc_x" is not bucket\/prefix=acc_id:preset/);
    assert.throws(() => parseIngestPrefixes('media/a/=acc_x:p,media/a/b/=acc_y:p'), /overlaps media\/a\//);
    assert.equal(prefixFor(p, 'media', 'incoming/x.mp4')?.accountId, 'acc_x');
    assert.equal(prefixFor(p, 'media', 'elsewhere/x.mp4'), null);
    assert.equal(prefixFor(p, 'other-bucket', 'incoming/x.mp4'), null);
  });

  it('decodes keys, strips ETag quotes, tells created from other events, and refuses what is not an event', () => {
    const [r] = parseS3Event({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'media' }, object: { key: 'incoming/my+clip%281%29.mp4', size: 12, eTag: '"abc"' } } }] });
    assert.deepEqual(r, { eventName: 'ObjectCreated:Put', bucket: 'media', key: 'incoming/my clip(1).mp4', size: 12, etag: 'abc' });
    assert.equal(isObjectCreated(r), true);
    assert.equal(isObjectCreated({ ...r, eventName: 's3:ObjectCreated:CompleteMultipartUpload' }), true, "MinIO's spelling");
    assert.equal(isObjectCreated({ ...r, eventName: 'ObjectRemoved:Delete' }), false);
    assert.throws(() => parseS3Event({}), /no `Records` array/);
    assert.throws(() => parseS3Event({ Records: [{ eventName: 'x' }] }), /Records\[0\] lacks/);
  });
});
