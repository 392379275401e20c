import type { Logger } from 'pino';
import { RabbitmqEventPublisher } from '../adapters/rabbitmq/rabbitmq.event-publisher.js';
import { RedisEventStream } from '../adapters/redis/redis.event-stream.js';
import { systemClock } from '../adapters/system-clock.js';
import type { Database } from '../ports/db.port.js';
import type { EventPublisher } from '../ports/event-publisher.port.js';
import { BrokerEventRelay } from '../services/broker-event-relay.js';
import type { EventPresenter } from '../services/event-payload.js';
import type { DistributedConfig } from './config.js';

/**
 * Events on the broker (docs/notifications.md#events-on-the-broker). Every process of a
 * deployment with MEDIAFORGE_EVENTS_BROKER=on opens its database with `brokerEvents`, so each
 * event writes its broker row; the worker processes also open the publisher and run the
 * relay that publishes those rows.
 */
export async function openEventPublisher(d: DistributedConfig, logger: Logger): Promise<EventPublisher | null> {
  const target = d.eventsBroker;
  if (!target) return null;
  const onError = (err: Error) => logger.warn({ err }, 'events broker connection error');
  if (target.kind === 'rabbitmq') return RabbitmqEventPublisher.connect({ url: target.amqpUrl, exchange: target.exchange, onError });
  return RedisEventStream.connect({ redisUrl: target.redisUrl, key: target.stream, maxLen: target.maxLen, onError });
}

/** Starts the relay of a worker process. */
export function startBrokerEventRelay(
  b: { db: Database; eventPublisher: EventPublisher },
  opts: { logger: Logger; id: string; presenter: EventPresenter },
): BrokerEventRelay {
  const relay = new BrokerEventRelay({ db: b.db, publisher: b.eventPublisher, clock: systemClock, presenter: opts.presenter, logger: opts.logger }, { owner: opts.id });
  relay.start();
  return relay;
}
