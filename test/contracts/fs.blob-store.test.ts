import { FsBlobStore } from '../../src/adapters/fs/fs.blob-store.js';
import { tempDir } from '../helpers/temp.js';
import { runBlobStoreContract } from './blob-store.contract.js';

runBlobStoreContract('local folder', async () => {
  const t = await tempDir();
  return { store: new FsBlobStore(t.dir), cleanup: t.cleanup };
});
