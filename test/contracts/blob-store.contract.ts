import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '../../src/domain/errors.js';
import type { BlobStore } from '../../src/ports/blob-store.port.js';

export interface BlobStoreUnderTest {
  store: BlobStore;
  cleanup(): Promise<void>;
}

/** Every blob store adapter must pass this suite against the real storage. */
export function runBlobStoreContract(name: string, make: () => Promise<BlobStoreUnderTest>) {
  describe(`blob store contract: ${name}`, () => {
    let h: BlobStoreUnderTest;
    let store: BlobStore;
    before(async () => {
      h = await make();
      store = h.store;
    });
    after(async () => h.cleanup());

    it('puts a stream and gets it back, whole and by byte range', async () => {
      const { size } = await store.put('jobs/job_c1/00-frames/a.txt', Readable.from([Buffer.from('hello '), Buffer.from('world')]));
      assert.equal(size, 11);
      assert.deepEqual(await store.stat('jobs/job_c1/00-frames/a.txt'), { size: 11 });
      assert.equal(await text(await store.get('jobs/job_c1/00-frames/a.txt')), 'hello world');
      assert.equal(await text(await store.get('jobs/job_c1/00-frames/a.txt', { start: 6, end: 10 })), 'world');
    });

    it('overwrites a key atomically', async () => {
      await store.put('jobs/job_c2/x.txt', Readable.from([Buffer.from('one')]));
      await store.put('jobs/job_c2/x.txt', Readable.from([Buffer.from('two!')]));
      assert.equal(await text(await store.get('jobs/job_c2/x.txt')), 'two!');
    });

    it('enforces maxBytes while streaming and keeps nothing of a refused write', async () => {
      const big = Readable.from((function* () {
        for (let i = 0; i < 100; i++) yield Buffer.alloc(1024, 1);
      })());
      await assert.rejects(store.put('uploads/upl_big/source', big, { maxBytes: 10_000 }), (err: unknown) => err instanceof DomainError && err.code === 'upload_too_large');
      assert.equal(await store.stat('uploads/upl_big/source'), null);
      assert.deepEqual(await store.list('uploads/upl_big/'), []);
    });

    it('lists, deletes and deletes by prefix', async () => {
      await store.put('jobs/job_c3/00-a/1.txt', Readable.from([Buffer.from('1')]));
      await store.put('jobs/job_c3/01-b/2.txt', Readable.from([Buffer.from('2')]));
      await store.put('jobs/job_c30/keep.txt', Readable.from([Buffer.from('k')]));
      assert.deepEqual(await store.list('jobs/job_c3/'), ['jobs/job_c3/00-a/1.txt', 'jobs/job_c3/01-b/2.txt']);
      await store.delete('jobs/job_c3/00-a/1.txt');
      assert.equal(await store.stat('jobs/job_c3/00-a/1.txt'), null);
      await store.deletePrefix('jobs/job_c3/');
      assert.deepEqual(await store.list('jobs/job_c3/'), []);
      assert.deepEqual(await store.list('jobs/job_c30/'), ['jobs/job_c30/keep.txt'], 'a sibling with a longer name survives');
      await store.delete('jobs/job_c3/never-existed');
    });

    it('deletes many keys at once, missing ones included, and nothing else; refuses a bad key before deleting any', async () => {
      const keys = Array.from({ length: 5 }, (_, i) => `acc_c/jobs/job_many/00-frames/f${i}.jpg`);
      for (const k of keys) await store.put(k, Readable.from([Buffer.from(k)]));
      await store.put('acc_c/jobs/job_many/01-mp4/video.mp4', Readable.from([Buffer.from('kept')]));
      await store.put('acc_c/uploads/upl_many/source', Readable.from([Buffer.from('kept too')]));
      await store.deleteMany([...keys.slice(0, 4), 'acc_c/jobs/job_many/00-frames/never-stored.jpg']);
      assert.deepEqual(await store.list('acc_c/'), ['acc_c/jobs/job_many/00-frames/f4.jpg', 'acc_c/jobs/job_many/01-mp4/video.mp4', 'acc_c/uploads/upl_many/source']);
      await assert.rejects(store.deleteMany(['acc_c/jobs/job_many/00-frames/f4.jpg', '../escape']), (e: unknown) => e instanceof DomainError && e.code === 'validation_failed');
      assert.equal((await store.stat('acc_c/jobs/job_many/00-frames/f4.jpg'))?.size, keys[4].length, 'nothing deleted when one key is refused');
      await store.deleteMany([]);
      await store.deleteMany(['acc_c/jobs/job_many/00-frames/f4.jpg', 'acc_c/uploads/upl_many/source']);
      assert.deepEqual(await store.list('acc_c/'), ['acc_c/jobs/job_many/01-mp4/video.mp4']);
    });

    it('copies a local file in with putFile and lends a local path with withLocalFile', async () => {
      await store.put('uploads/upl_local/source', Readable.from([Buffer.from('media bytes')]));
      const seen = await store.withLocalFile('uploads/upl_local/source', async (path) => readFile(path, 'utf8'));
      assert.equal(seen, 'media bytes');
      await assert.rejects(store.withLocalFile('uploads/upl_none/source', async () => 1), (e: unknown) => e instanceof DomainError && e.code === 'not_found');
    });

    it('refuses keys that could escape the store', async () => {
      for (const bad of ['../etc/passwd', '/abs/path', 'jobs/../../x', 'jobs//x', 'a/b\0c', 'with space/x', '']) {
        await assert.rejects(store.put(bad, Readable.from([Buffer.from('x')])), (e: unknown) => e instanceof DomainError && e.code === 'validation_failed', `accepted ${JSON.stringify(bad)}`);
        await assert.rejects(store.get(bad));
      }
    });

    it('says not_found for a missing key', async () => {
      assert.equal(await store.stat('jobs/job_none/x'), null);
      await assert.rejects(store.get('jobs/job_none/x'), (e: unknown) => e instanceof DomainError && e.code === 'not_found');
    });
  });
}
