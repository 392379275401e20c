import type { Kysely } from 'kysely';
import type { LoginFailureRepository } from '../../ports/users.port.js';
import type { Tables } from './schema.js';

const num = (v: number | string | bigint | null): number | null => (v == null ? null : Number(v));

/** Failed sign-ins by e-mail and by address (docs/login.md: the lockout counts them). */
export class SqlLoginFailureRepository implements LoginFailureRepository {
  constructor(private readonly db: Kysely<Tables>) {}
  async record(f: { email: string; address: string; at: number }): Promise<void> {
    await this.db.insertInto('login_failures').values(f).execute();
  }
  async count(email: string, address: string, since: number) {
    const one = async (column: 'email' | 'address', value: string) => {
      const row = await this.db
        .selectFrom('login_failures')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('at').as('oldest')])
        .where(column, '=', value)
        .where('at', '>', since)
        .executeTakeFirstOrThrow();
      return { count: Number(row.n), oldest: num(row.oldest as number | null) };
    };
    const [e, a] = await Promise.all([one('email', email), one('address', address)]);
    return { email: e, address: a };
  }
  async clearEmail(email: string): Promise<void> {
    await this.db.deleteFrom('login_failures').where('email', '=', email).execute();
  }
  async prune(before: number): Promise<void> {
    await this.db.deleteFrom('login_failures').where('at', '<=', before).execute();
  }
}
