import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { media } from '../helpers/media.js';
import { startS3Platform, type S3Platform } from '../helpers/s3-platform.js';
import { waitFor } from '../helpers/temp.js';

const SECRET = 'a-shared-ingest-secret-0123456789';
const BUCKET = 'mediaforge-test';
const codeOf = (res: { status: number; body: any }) => [res.status, res.body?.error?.code];

/** AWS's documented S3 event notification shape (as an HTTP subscription or MinIO's webhook target sends it). */
const event = (records: Array<{ name?: string; bucket?: string; key: string; size: number; etag: string }>) => ({
  Records: records.map((r) => ({
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: new Date().toISOString(),
    eventName: r.name ?? 'ObjectCreated:Put',
    s3: { s3SchemaVersion: '1.0', bucket: { name: r.bucket ?? BUCKET, arn: `arn:aws:s3:::${r.bucket ?? BUCKET}` }, object: { key: r.key, size: r.size, eTag: r.etag, sequencer: '0055AED6DCD90281E5' } },
  })),
});

/** Processing on presigned uploads and bucket events: PostgreSQL, S3 (s3rver behind the SigV4 gate), one API and one worker. */
describe('e2e: presigned uploads with process, and S3 bucket events', () => {
  let p: S3Platform;
  let client: S3Client;
  let clip: Buffer;
  before(async () => {
    p = await startS3Platform({ MEDIAFORGE_INGEST_S3_SECRET: SECRET, MEDIAFORGE_INGEST_S3_PREFIXES: `${BUCKET}/incoming/=acc_admin:frames-1fps` });
    client = new S3Client({ region: p.s3.region, endpoint: p.s3.endpoint, forcePathStyle: true, credentials: p.s3.credentials });
    clip = await readFile(await media('tiny1.mp4'));
  });
  after(async () => {
    client?.destroy();
    await p?.stop();
  });

  const succeeded = async (jobId: string) =>
    waitFor(async () => {
      const job = (await p.call('GET', `/v1/jobs/${jobId}`)).body;
      assert.notEqual(job.status, 'failed', JSON.stringify(job.error));
      return job.status === 'succeeded' && job;
    }, { what: `job ${jobId} to succeed`, timeoutMs: 60_000 });
  const jobsOn = async (uploadId: string) => (await p.call('GET', '/v1/jobs?limit=100')).body.jobs.filter((j: any) => j.input.uploadId === uploadId);
  const ingest = (body: unknown, auth: string | null = `Bearer ${SECRET}`) => p.call('POST', '/v1/ingest/s3-events', body, auth === null ? { authorization: '' } : { authorization: auth });
  const putObject = async (key: string) => (await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: clip, ContentType: 'video/mp4' }))).ETag!;

  it('a presigned upload with process makes its job at complete; two concurrent completes make one job', async () => {
    const created = await p.call('POST', '/v1/uploads', { method: 'presigned', filename: 'a.mp4', size: clip.length, contentType: 'video/mp4', process: { outputs: [{ type: 'thumbnail', width: 80 }] } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual([created.body.upload.status, created.body.upload.jobId], ['pending', null]);
    const put = await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: new Uint8Array(clip) });
    assert.equal(put.status, 200, await put.text());
    const id = created.body.upload.id as string;
    const [a, b] = await Promise.all([p.call('POST', `/v1/uploads/${id}/complete`), p.call('POST', `/v1/uploads/${id}/complete`)]);
    assert.deepEqual([a.status, b.status], [200, 200], JSON.stringify([a.body, b.body]));
    assert.match(a.body.jobId, /^job_/);
    assert.equal(b.body.jobId, a.body.jobId, 'both answers name the one job');
    assert.equal((await jobsOn(id)).length, 1, 'exactly one job');
    await succeeded(a.body.jobId);
    assert.equal((await p.call('POST', `/v1/uploads/${id}/complete`)).body.jobId, a.body.jobId, 'a later complete changes nothing');
  });

  it('a presigned request with an unknown preset is refused before any URL is handed out', async () => {
    const res = await p.call('POST', '/v1/uploads', { method: 'presigned', size: 10, contentType: 'video/mp4', process: { preset: 'nope' } });
    assert.deepEqual(codeOf(res), [422, 'preset_not_found']);
  });

  it('refuses an event without the shared secret, or with a wrong one, with 401 ingest_unauthorized', async () => {
    const body = event([{ key: 'incoming/x.mp4', size: 1, etag: '"x"' }]);
    assert.deepEqual(codeOf(await ingest(body, null)), [401, 'ingest_unauthorized']);
    assert.deepEqual(codeOf(await ingest(body, 'Bearer not-the-secret')), [401, 'ingest_unauthorized']);
    assert.deepEqual(codeOf(await ingest({ nope: true })), [400, 'validation_failed']);
  });

  it('an ObjectCreated under a prefix becomes one upload and one job with the preset; a replay makes nothing new', async () => {
    const etag = await putObject('incoming/my clip (1).mp4');
    const body = event([
      { key: 'incoming/my+clip+%281%29.mp4', size: clip.length, etag },
      { key: 'elsewhere/other.mp4', size: 5, etag: '"o"' },
      { name: 'ObjectRemoved:Delete', key: 'incoming/gone.mp4', size: 0, etag: '"g"' },
    ]);
    const first = await ingest(body);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual([first.body.received, first.body.created.length, first.body.duplicates.length, first.body.ignored, first.body.failed], [3, 1, 0, 2, []]);
    const made = first.body.created[0];
    assert.equal(made.key, 'incoming/my clip (1).mp4');
    const upload = (await p.call('GET', `/v1/uploads/${made.uploadId}`)).body;
    assert.deepEqual([upload.filename, upload.size, upload.jobId, upload.process], ['my clip (1).mp4', clip.length, made.jobId, { preset: 'frames-1fps' }]);
    const job = await succeeded(made.jobId);
    assert.deepEqual(job.outputs.map((o: any) => o.type), ['frames']);

    const replay = await ingest(body);
    assert.deepEqual([replay.body.created.length, replay.body.duplicates], [0, [{ bucket: BUCKET, key: 'incoming/my clip (1).mp4', uploadId: made.uploadId }]]);
    assert.equal((await jobsOn(made.uploadId)).length, 1, 'no second job');
  });

  it('two deliveries of a new event at once make one upload and one job', async () => {
    const etag = await putObject('incoming/twice.mp4');
    const body = event([{ key: 'incoming/twice.mp4', size: clip.length, etag }]);
    const before = (await p.call('GET', '/v1/jobs?limit=100')).body.jobs.length;
    const answers = await Promise.all([ingest(body), ingest(body)]);
    assert.deepEqual(answers.map((a) => a.status), [200, 200]);
    assert.equal(answers.reduce((n, a) => n + a.body.created.length, 0), 1, JSON.stringify(answers.map((a) => a.body)));
    assert.equal(answers.reduce((n, a) => n + a.body.duplicates.length, 0), 1);
    assert.equal((await p.call('GET', '/v1/jobs?limit=100')).body.jobs.length, before + 1);
  });
});
