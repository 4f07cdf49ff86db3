// Webhooks: a consumer group on the domain-event topics turns each event into one delivery row per
// subscribed endpoint (idempotent: one row per endpoint and event); the dispatcher (dispatcher.ts)
// sends them.
import type { Logger } from '../../../core/log.js';
import type { RoleReporter } from '../../../core/role-health.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { enabledEndpointsOf, takesEvent } from '../../../marketplace/webhooks/endpoints.js';
import type { Bus, BusMessage } from '../../bus/port.js';
import { datetimeText } from '../../cdc/debezium/envelope-differences.js';
import type { DomainEventMessage } from '../../cdc/outbox-router.js';
import { eventsTopicPattern } from '../../cdc/topics.js';
import { ConsumerRunner } from '../../consumers/runner.js';
import { parseMessage } from '../../consumers/parse-message.js';

export const WEBHOOKS_GROUP = 'webhooks';

/** The users an event is about, whose endpoints receive it. */
export function recipients(event: DomainEventMessage): number[] {
  const data = (event.payload ?? {}) as Record<string, unknown>;
  const ids = (() => {
    switch (event.type) {
      case 'order.placed': return [data.seller_id, data.buyer_id];
      case 'message.received': return [data.recipient_id];
      case 'user.signed_up': return [data.id];
      default: return [data.seller_id ?? data.user_id];
    }
  })();
  return [...new Set(ids.map(Number).filter((id) => Number.isSafeInteger(id) && id > 0))];
}

export interface WebhookEnqueuerOptions {
  bus: Bus;
  pool: Pool;
  topicPrefix: string;
  log: Logger;
  /** Told of failing batches and dead letters, so /health shows the group degraded. */
  health?: RoleReporter;
}

export function startWebhookEnqueuer(options: WebhookEnqueuerOptions): ConsumerRunner {
  const handler = async (messages: BusMessage[]) => {
    const events = messages.map((m) => parseMessage<DomainEventMessage>(m, 'a domain event'));
    const users = [...new Set(events.flatMap(recipients))];
    if (users.length === 0) return;
    const endpoints = await enabledEndpointsOf(options.pool, users);
    const rows: unknown[][] = [];
    for (const event of events) {
      const to = new Set(recipients(event));
      for (const endpoint of endpoints) {
        if (!to.has(endpoint.userId) || !takesEvent(endpoint, event.type)) continue;
        const body = JSON.stringify({ type: event.type, timestamp: datetimeText(event.created_at), data: event.payload });
        rows.push([endpoint.id, event.id, event.type, body]);
      }
    }
    // INSERT IGNORE on (endpoint_id, event_id): a redelivered event adds no second delivery.
    if (rows.length > 0) {
      await options.pool.query('INSERT IGNORE INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, next_attempt_at) VALUES ?',
        [rows.map((row) => [...row, new Date()])]);
    }
  };
  return new ConsumerRunner({
    bus: options.bus, group: WEBHOOKS_GROUP, topics: [eventsTopicPattern(options.topicPrefix)],
    topicPrefix: options.topicPrefix, handler, log: options.log.child({ role: 'webhooks' }), health: options.health,
  });
}

export { WebhookDispatcher, type WebhookDispatcherOptions } from './dispatcher.js';
