import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { SqliteInUseError } from './sqlite-owner.js';
import { openSqliteDatabase } from './sqlite.database.js';

describe('the embedded SQLite file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sqlite-file-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('runs WAL in exclusive locking mode, synchronous NORMAL, and leaves a plain rollback-journal file when closed', async () => {
    const file = join(dir, 'pragmas.db');
    const db = await openSqliteDatabase(file);
    try {
      const pragma = async (name: string) => Object.values((await sql.raw<Record<string, unknown>>(`PRAGMA ${name}`).execute(db.kysely)).rows[0])[0];
      assert.equal(await pragma('journal_mode'), 'wal');
      assert.equal(await pragma('locking_mode'), 'exclusive');
      assert.equal(await pragma('synchronous'), 1); // NORMAL
      // The lock is held for as long as the file is open, by the process its owner file names.
      assert.equal(existsSync(`${file}.lock`), true);
      assert.equal(existsSync(`${file}-wal`), true);
      assert.equal((await readFile(`${file}.owner`, 'utf8')).trim(), `${process.pid} ${hostname()}`);
    } finally {
      await db.close();
    }
    assert.deepEqual([existsSync(`${file}.lock`), existsSync(`${file}-wal`), existsSync(`${file}.owner`)], [false, false, false]);
    const reopened = await openSqliteDatabase(file);
    await reopened.close();
  });

  it('refuses a second opening while the owner lives, in this process or another', async () => {
    const file = join(dir, 'twice.db');
    const db = await openSqliteDatabase(file);
    try {
      await assert.rejects(openSqliteDatabase(file), (e: unknown) => e instanceof SqliteInUseError && /already open in this process/.test(e.message));
      // Another live process's owner file (pid 1 is always alive).
      await db.close();
      await writeFile(`${file}.owner`, `1 ${hostname()}\n`);
      await assert.rejects(openSqliteDatabase(file), (e: unknown) => e instanceof SqliteInUseError && /in use by process 1 on .*MEDIAFORGE_DATA_DIR/.test(e.message));
      // Another host's file touched recently: refused with what to do.
      await writeFile(`${file}.owner`, `4242 elsewhere.example\n`);
      await assert.rejects(openSqliteDatabase(file), (e: unknown) => e instanceof SqliteInUseError && /process 4242 on elsewhere.example.*60 s old, or delete that file/.test(e.message));
      // …and taken over once it is a minute old.
      const old = new Date(Date.now() - 61_000);
      await utimes(`${file}.owner`, old, old);
      const taken = await openSqliteDatabase(file);
      await taken.close();
    } finally {
      await rm(`${file}.owner`, { force: true });
    }
  });

  it('clears a lock directory no owner file explains (an earlier version killed mid-statement) after a short wait', async () => {
    const file = join(dir, 'unowned.db');
    await (await openSqliteDatabase(file)).close();
    await mkdir(`${file}.lock`);
    const db = await openSqliteDatabase(file);
    await db.close();
  });
});
