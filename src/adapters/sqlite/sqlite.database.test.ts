import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { openSqliteDatabase } from './sqlite.database.js';

describe('the embedded SQLite file', () => {
  it('keeps a rollback journal that is emptied, not unlinked, at each commit; synchronous NORMAL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sqlite-pragmas-'));
    const file = join(dir, 'mediaforge.db');
    const db = await openSqliteDatabase(file);
    try {
      const mode = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(db.kysely);
      assert.equal(mode.rows[0].journal_mode, 'truncate');
      const sync = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db.kysely);
      assert.equal(sync.rows[0].synchronous, 1); // NORMAL
      // The migrations committed: the journal is there, empty, and no lock is held between transactions.
      assert.equal(existsSync(`${file}-journal`), true);
      assert.equal(existsSync(`${file}.lock`), false);
    } finally {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
