import type { WebhookEventType } from '../domain/webhooks.js';

/** One event for other services, its body already made (src/domain/webhooks.ts `brokerEventBody`). */
export interface PublishedEvent {
  /** The event id (`evt_…`): the same on every re-send of the event. */
  id: string;
  type: WebhookEventType;
  accountId: string;
  /** When the event happened (epoch ms). */
  at: number;
  /** The JSON body. */
  body: string;
}

/**
 * Where every event goes for other services (docs/notifications.md#events-on-the-broker): a
 * RabbitMQ topic exchange or a Redis stream. The outbox relay
 * (src/services/broker-event-relay.ts) marks an event sent only after `publish` resolved.
 */
export interface EventPublisher {
  /**
   * Resolves once the broker holds the event (RabbitMQ: the publisher confirm; Redis: XADD
   * answered); rejects when it cannot say so within its timeout. A rejected publish may
   * still have reached the broker: the relay sends it again (at least once).
   */
  publish(event: PublishedEvent): Promise<void>;
  /** Where the events go, for the start log and `doctor`. */
  readonly destination: string;
  close(): Promise<void>;
}
