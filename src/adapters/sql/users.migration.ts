import type { Kysely, Migration } from 'kysely';
import type { DialectCapabilities } from './dialect.js';

/**
 * 0014_users: people who sign in to the console (docs/login.md). Only new tables: nothing
 * that exists changes, so a process of the previous version keeps working beside it.
 *
 * - `users`: one per email on the deployment, in one account with a role; the password as an
 *   argon2id PHC string.
 * - `sessions` and `refresh_tokens`: a session is one login; its refresh tokens rotate (each
 *   used once, stored as SHA-256). A token used twice ends its session.
 * - `invites`: one-time links to join an account (the token stored as SHA-256).
 * - `login_failures`: failed logins of the last window, per email and client address, so
 *   every API process counts the same attempts.
 *
 * (0012 is not used: the name was taken by a branch that never landed.)
 */
export function usersMigration(caps: DialectCapabilities): Migration {
  const epoch = caps.epochType;
  return {
    async up(outer: Kysely<any>) {
      const steps = async (db: Kysely<any>) => {
        await db.schema
          .createTable('users')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('email', 'text', (c) => c.notNull().unique())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('created_at', epoch, (c) => c.notNull())
          .addColumn('updated_at', epoch, (c) => c.notNull())
          .addColumn('last_login_at', epoch)
          .addColumn('disabled_at', epoch)
          .execute();
        await db.schema.createIndex('users_account').on('users').columns(['account_id', 'id']).execute();

        await db.schema
          .createTable('sessions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('created_at', epoch, (c) => c.notNull())
          .addColumn('expires_at', epoch, (c) => c.notNull())
          .addColumn('revoked_at', epoch)
          .execute();
        await db.schema.createIndex('sessions_user').on('sessions').columns(['user_id']).execute();

        await db.schema
          .createTable('refresh_tokens')
          .addColumn('hash', 'text', (c) => c.primaryKey())
          .addColumn('session_id', 'text', (c) => c.notNull())
          .addColumn('created_at', epoch, (c) => c.notNull())
          .addColumn('used_at', epoch)
          .execute();
        await db.schema.createIndex('refresh_tokens_session').on('refresh_tokens').columns(['session_id']).execute();

        await db.schema
          .createTable('invites')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('created_at', epoch, (c) => c.notNull())
          .addColumn('expires_at', epoch, (c) => c.notNull())
          .addColumn('accepted_at', epoch)
          .addColumn('revoked_at', epoch)
          .execute();
        await db.schema.createIndex('invites_account').on('invites').columns(['account_id', 'id']).execute();

        await db.schema
          .createTable('login_failures')
          .addColumn('id', caps.serialType, (c) => (caps.name === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('address', 'text', (c) => c.notNull())
          .addColumn('at', epoch, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('login_failures_email').on('login_failures').columns(['email', 'at']).execute();
        await db.schema.createIndex('login_failures_address').on('login_failures').columns(['address', 'at']).execute();
        await db.schema.createIndex('login_failures_at').on('login_failures').columns(['at']).execute();
      };
      // All tables or none: a failed start leaves nothing half made.
      if (caps.migratesInTransaction) await steps(outer);
      else await outer.transaction().execute(steps);
    },
  };
}
