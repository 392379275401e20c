import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { SqliteInUseError } from '../../src/adapters/sqlite/sqlite-owner.js';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite.database.js';
import { tempDir } from '../helpers/temp.js';

/** The embedded database after its owner was SIGKILLed (a process of its own, holding the file). */
describe('the embedded SQLite file after its owner was killed', () => {
  let t: Awaited<ReturnType<typeof tempDir>>;
  let dir: string;
  before(async () => {
    t = await tempDir('mf-sqlite-owner-');
    dir = t.dir;
  });
  after(() => t.cleanup());

  it('takes over from a killed owner: its stale lock directory is removed and its commits are there', async () => {
    const file = join(dir, 'killed.db');
    const script = `
      import { openSqliteDatabase } from ${JSON.stringify(new URL('../../src/adapters/sqlite/sqlite.database.ts', import.meta.url).pathname)};
      import { sql } from 'kysely';
      const db = await openSqliteDatabase(${JSON.stringify(file)});
      await sql\`CREATE TABLE survivor (v TEXT)\`.execute(db.kysely);
      await sql\`INSERT INTO survivor VALUES ('committed before the kill')\`.execute(db.kysely);
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    await assert.rejects(openSqliteDatabase(file), (e: unknown) => e instanceof SqliteInUseError && e.message.includes(`process ${child.pid} on`));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.equal(existsSync(`${file}.lock`), true, 'the killed owner left its lock directory');
    const db = await openSqliteDatabase(file);
    try {
      const rows = await sql<{ v: string }>`SELECT v FROM survivor`.execute(db.kysely);
      assert.deepEqual(rows.rows, [{ v: 'committed before the kill' }]);
    } finally {
      await db.close();
    }
  });

});
