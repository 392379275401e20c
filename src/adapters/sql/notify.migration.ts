import type { Kysely, Migration } from 'kysely';
import type { DialectCapabilities } from './dialect.js';

/**
 * 0017_notify: e-mail notifications and endpoint auto-disable (docs/notifications.md#e-mail).
 *
 * - `jobs.notify_email`: the address a job asked to be told at (`notify.email`); null: the
 *   account's, if it has one.
 * - `accounts.notify_email`: the account's notify address, set by an admin.
 * - `webhook_endpoints.failing_since`: when the first attempt of the current run of failures
 *   was made (null after a success); an endpoint failing for MEDIAFORGE_WEBHOOK_DISABLE_AFTER_SECONDS
 *   is disabled.
 *
 * Only nullable columns: a process of the previous version keeps working beside it (it
 * neither reads nor writes them, and sends no e-mail).
 */
export function notifyMigration(caps: DialectCapabilities): Migration {
  return {
    async up(outer: Kysely<any>) {
      const steps = async (db: Kysely<any>) => {
        await db.schema.alterTable('jobs').addColumn('notify_email', 'text').execute();
        await db.schema.alterTable('accounts').addColumn('notify_email', 'text').execute();
        await db.schema.alterTable('webhook_endpoints').addColumn('failing_since', caps.epochType).execute();
      };
      if (caps.migratesInTransaction) await steps(outer);
      else await outer.transaction().execute(steps);
    },
  };
}
