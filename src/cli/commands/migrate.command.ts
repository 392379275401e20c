import { migrateDatabase } from '../../main/distributed.js';
import { loadOrExit, startOrExit } from './distributed-run.js';

/** `mediaforge migrate`: applies pending migrations; safe to run while other processes start (advisory lock). */
export async function migrateCommand(opts: { config?: string }): Promise<void> {
  const { distributed } = loadOrExit(opts.config);
  const applied = await startOrExit(() => migrateDatabase(distributed));
  console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'the database is up to date');
}
