import { randomBytes } from 'node:crypto';
import { PgEventBus } from '../../src/adapters/postgres/pg.event-bus.js';
import { runEventBusContract } from './event-bus.contract.js';
import { PG_URL } from './postgres.schema.js';

runEventBusContract('postgres LISTEN/NOTIFY (separate connections)', async () => {
  const channel = `mftest_${randomBytes(5).toString('hex')}`;
  const pub = await PgEventBus.connect({ url: PG_URL, channel });
  const sub = await PgEventBus.connect({ url: PG_URL, channel });
  return { pub, sub, cleanup: async () => void (await Promise.all([pub.close(), sub.close()])) };
});
