import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FsBlobStore } from '../../src/adapters/fs/fs.blob-store.js';
import { tempDir } from '../helpers/temp.js';
import { runBlobStoreContract } from './blob-store.contract.js';

runBlobStoreContract('local folder', async () => {
  const t = await tempDir();
  return { store: new FsBlobStore(t.dir), cleanup: t.cleanup };
});

describe('local folder: partial files left by a crash', () => {
  it('are removed at start, all of them, or only the stale ones when the folder is shared', async () => {
    const t = await tempDir();
    try {
      const store = new FsBlobStore(t.dir);
      await store.put('uploads/upl_kept/source', (await import('node:stream')).Readable.from([Buffer.from('done')]));
      await mkdir(join(t.dir, 'uploads', 'upl_a'), { recursive: true });
      const old = join(t.dir, 'uploads', 'upl_a', 'source.111111.partial');
      const fresh = join(t.dir, 'uploads', 'upl_a', 'source.222222.partial');
      await writeFile(old, 'x');
      await writeFile(fresh, 'y');
      const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
      await utimes(old, twoDaysAgo, twoDaysAgo);
      assert.equal(await store.sweepPartials({ olderThanMs: 86_400_000 }), 1);
      assert.deepEqual((await readdir(join(t.dir, 'uploads', 'upl_a'))).sort(), ['source.222222.partial']);
      assert.equal(await store.sweepPartials(), 1);
      assert.deepEqual(await readdir(join(t.dir, 'uploads', 'upl_a')), []);
      assert.deepEqual(await store.list('uploads/'), ['uploads/upl_kept/source'], 'stored files stay');
    } finally {
      await t.cleanup();
    }
  });
});
