import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (caught) {
    const err = caught as NodeJS.ErrnoException;
    return err.code === 'EPERM';
  }
}

/**
 * Each worker gets `<tmpRoot>/w-<pid>-<random>`. At start, folders of processes that no
 * longer exist (a crash, a kill -9) are removed: nothing a dead worker left survives.
 */
export async function createScratchRoot(tmpRoot: string): Promise<{ dir: string; removedStale: number }> {
  await mkdir(tmpRoot, { recursive: true });
  let removedStale = 0;
  for (const entry of await readdir(tmpRoot)) {
    const m = /^w-(\d+)-[0-9a-f]+$/.exec(entry);
    if (m && !alive(Number(m[1]))) {
      await rm(join(tmpRoot, entry), { recursive: true, force: true });
      removedStale++;
    }
  }
  const dir = join(tmpRoot, `w-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  return { dir, removedStale };
}
