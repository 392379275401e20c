import { open, readFile, rmdir, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Another process (or this one) has the database file open: it cannot be opened twice. */
export class SqliteInUseError extends Error {
  readonly code = 'database_in_use';
}

/** How often the owner touches its owner file, and when another host's file counts as stale. */
const TOUCH_MS = 10_000;
const OTHER_HOST_STALE_MS = 60_000;
/** A lock directory with no owner file: how long a process of an earlier version may hold it. */
const UNOWNED_LOCK_WAIT_MS = 3_000;

const claimed = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Makes this process the one owner of a SQLite file, so the database can run with
 * `locking_mode = EXCLUSIVE` (and so WAL without shared memory; sqlite.database.ts).
 *
 * The WASM build's VFS locks with a `<db>.lock` directory, and in exclusive mode it holds
 * that directory until the database is closed, so a killed process leaves it behind and the
 * next start would find the database busy for ever. Beside it we keep `<db>.owner` (the
 * owner's pid and host, created with O_EXCL, touched every 10 s): a start that finds an
 * owner file whose process is gone (same host, pid not running; or another host's file
 * untouched for 60 s) takes the database over and removes the stale lock directory; one
 * whose owner lives is refused with a message naming it. Returns the release function.
 */
export async function claimSqliteFile(filename: string): Promise<() => Promise<void>> {
  const ownerPath = `${filename}.owner`;
  const lockDir = `${filename}.lock`;
  if (claimed.has(filename)) throw new SqliteInUseError(`The database ${filename} is already open in this process.`);
  for (let tries = 0; tries < 3; tries++) {
    let created = false;
    try {
      const fh = await open(ownerPath, 'wx', 0o600);
      created = true;
      await fh.writeFile(`${process.pid} ${hostname()}\n`);
      await fh.close();
    } catch (err) {
      if (created || (err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await takeOverIfStale(filename, ownerPath);
      continue;
    }
    await clearUnownedLock(lockDir);
    claimed.add(filename);
    const touch = setInterval(() => {
      const now = new Date();
      utimes(ownerPath, now, now).catch(() => undefined);
    }, TOUCH_MS);
    touch.unref();
    return async () => {
      clearInterval(touch);
      claimed.delete(filename);
      await unlink(ownerPath).catch(() => undefined);
    };
  }
  throw new SqliteInUseError(`Could not take ownership of ${filename}: ${ownerPath} keeps coming back; is another mediaforge starting on the same data folder?`);
}

/** Removes a dead owner's file; throws when the owner is alive. */
async function takeOverIfStale(filename: string, ownerPath: string): Promise<void> {
  const [text, info] = await Promise.all([readFile(ownerPath, 'utf8').catch(() => null), stat(ownerPath).catch(() => null)]);
  if (text === null || info === null) return; // gone meanwhile: try again
  const [pidText, host] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  const age = Date.now() - info.mtimeMs;
  // An empty file just created by a process that is writing it: that one is starting.
  const starting = text.trim() === '' && age < UNOWNED_LOCK_WAIT_MS;
  const sameHost = host === hostname();
  // This pid on this host is us, and we have not claimed the file: a previous life (a container's pid 1).
  const stale = !starting && (sameHost ? !Number.isInteger(pid) || pid <= 0 || pid === process.pid || !alive(pid) : age > OTHER_HOST_STALE_MS);
  if (!stale) {
    const who = text.trim() === '' ? 'another process that is starting' : `process ${pid} on ${host}`;
    throw new SqliteInUseError(
      `The database ${filename} is in use by ${who} (is another mediaforge running on the same data folder?). ` +
        `Stop it, or give this one its own MEDIAFORGE_DATA_DIR.` +
        (sameHost || text.trim() === '' ? '' : ` If nothing runs there, this start takes it over once ${ownerPath} is ${OTHER_HOST_STALE_MS / 1000} s old, or delete that file.`),
    );
  }
  await unlink(ownerPath).catch(() => undefined);
  // The dead owner's lock directory: nobody holds it now.
  await rmdir(`${filename}.lock`).catch(() => undefined);
}

/**
 * A lock directory without an owner file: left by a process of a version before owner files
 * (killed, or still running a statement). A live one releases it between statements; one
 * still there after a few seconds is stale.
 */
async function clearUnownedLock(lockDir: string): Promise<void> {
  const until = Date.now() + UNOWNED_LOCK_WAIT_MS;
  while (await exists(lockDir)) {
    if (Date.now() > until) {
      await rmdir(lockDir).catch(() => undefined);
      return;
    }
    await sleep(50);
  }
}
