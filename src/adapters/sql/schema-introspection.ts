import { sql, type DatabaseIntrospector, type Kysely } from 'kysely';

/**
 * `db` with an introspector that sees `schema` only. Kysely's own lists the tables of every
 * schema on the server (checking each one's privileges), which fails with "schema … does not
 * exist" when another schema is dropped while it runs: other deployments or test runs on the
 * same server. The migrator asks it only whether its schema and bookkeeping tables exist.
 */
export function withSchemaIntrospection(db: Kysely<any>, schema: string): Kysely<any> {
  const introspection: DatabaseIntrospector = {
    getSchemas: async () => (await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${schema}`.execute(db)).rows,
    getTables: async () => {
      const { rows } = await sql<{ name: string; kind: string }>`
        select c.relname as name, c.relkind as kind from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'v', 'p')`.execute(db);
      return rows.map((r) => ({ name: r.name, schema, isView: r.kind === 'v', columns: [] }));
    },
    getMetadata: async () => ({ tables: await introspection.getTables() }),
  };
  // Kysely keeps its state in private fields: every other member is the real instance's.
  return new Proxy(db, {
    get: (target, key) => {
      if (key === 'introspection') return introspection;
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
