/**
 * What a write costs in the embedded database, per SQLite locking and journal mode, with the
 * WebAssembly build the platform uses (node-sqlite3-wasm), in the same run:
 *
 *   npx tsx bench/sqlite-modes.ts                 # 500 UPDATE + SELECT pairs per mode, 3 rounds
 *   npx tsx bench/sqlite-modes.ts --ops 2000 --rounds 5
 *
 * Modes: `truncate` (the rollback journal the platform used until 2026-12-08: the VFS's lock
 * directory is made and removed around every statement, the journal synced and truncated at
 * every commit), `exclusive + truncate`, `exclusive + WAL` with synchronous NORMAL (what
 * src/adapters/sqlite/sqlite.database.ts runs now) and with FULL. Printed per mode: CPU ms per
 * pair (user + system), of which system, wall ms, and CPU ÷ the `truncate` mode's (medians).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqliteWasm from 'node-sqlite3-wasm';
import { Options, median, runMain, table } from './lib.js';

const MODES: Record<string, string> = {
  truncate: 'PRAGMA journal_mode = TRUNCATE; PRAGMA synchronous = NORMAL;',
  'exclusive + truncate': 'PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = TRUNCATE; PRAGMA synchronous = NORMAL;',
  'exclusive + WAL, NORMAL': 'PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;',
  'exclusive + WAL, FULL': 'PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;',
};

function once(pragmas: string, ops: number): { cpu: number; sys: number; wall: number } {
  const dir = mkdtempSync(join(tmpdir(), 'mf-sqlite-modes-'));
  const db = new sqliteWasm.Database(join(dir, 'bench.db'));
  try {
    db.exec(pragmas);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, n INTEGER)');
    for (let i = 0; i < 50; i++) db.run('INSERT INTO t (v, n) VALUES (?, ?)', ['x'.repeat(200), i]);
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    for (let i = 0; i < ops; i++) {
      db.run('UPDATE t SET n = n + 1, v = ? WHERE id = ?', ['y'.repeat(200), (i % 50) + 1]);
      db.all('SELECT * FROM t WHERE id = ?', [(i % 50) + 1]);
    }
    const wall = performance.now() - w0;
    const c = process.cpuUsage(c0);
    return { cpu: (c.user + c.system) / 1000 / ops, sys: c.system / 1000 / ops, wall: wall / ops };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const opts = new Options();
  const ops = Math.round(opts.number('ops', 500, 1));
  const rounds = Math.round(opts.number('rounds', 3, 1));
  const got = new Map<string, Array<ReturnType<typeof once>>>();
  for (let r = 0; r < rounds; r++) for (const [name, pragmas] of Object.entries(MODES)) got.set(name, [...(got.get(name) ?? []), once(pragmas, ops)]);
  const base = median(got.get('truncate')!.map((x) => x.cpu));
  const rows = [['mode', 'CPU ms / write+read', 'of which system', 'wall ms', 'CPU ÷ truncate']];
  for (const [name, runs] of got) {
    const cpu = median(runs.map((x) => x.cpu));
    rows.push([name, cpu.toFixed(3), median(runs.map((x) => x.sys)).toFixed(3), median(runs.map((x) => x.wall)).toFixed(3), (cpu / base).toFixed(3)]);
  }
  console.log(`== ${ops} UPDATE + SELECT pairs on a 50-row table, ${rounds} rounds, medians ==`);
  console.log(table(rows));
}

runMain(main);
