import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { DomainError } from '../domain/errors.js';
import { s3IngestService } from './ingest.js';

const settings = (accountId: string, preset: string) => ({ secret: 'x'.repeat(16), prefixes: [{ bucket: 'media', prefix: 'in/', accountId, preset }] });
const deps = {
  db: { accounts: { get: async (id: string) => (id === 'acc_x' ? { id } : null) } },
  presets: {
    outputsFor: async (_p: unknown, name: string) => {
      if (name !== 'lms-hls') throw new DomainError('preset_not_found', `no preset named "${name}"`);
      return [];
    },
  },
  uploads: {},
  jobs: {},
  clock: { now: () => 0 },
} as never;
const objects = { bucketObjects: { open: async () => Readable.from([]) } };

describe('bucket events at start', () => {
  it('needs S3 storage, and accounts and presets that exist, named in the message', async () => {
    await assert.rejects(s3IngestService(settings('acc_x', 'lms-hls'), {}, deps), /needs S3 storage \(MEDIAFORGE_STORAGE=s3\)/);
    await assert.rejects(s3IngestService(settings('acc_gone', 'lms-hls'), objects, deps), /media\/in\/ names account acc_gone, which does not exist/);
    await assert.rejects(s3IngestService(settings('acc_x', 'nope'), objects, deps), /media\/in\/: no preset named "nope" in account acc_x/);
    const service = await s3IngestService(settings('acc_x', 'lms-hls'), objects, deps);
    assert.throws(() => service.authenticate(undefined), (e: DomainError) => e.code === 'ingest_unauthorized');
    assert.throws(() => service.authenticate(`Bearer ${'x'.repeat(15)}`), (e: DomainError) => e.code === 'ingest_unauthorized');
    assert.doesNotThrow(() => service.authenticate(`Bearer ${'x'.repeat(16)}`));
  });
});
