// Domain events go into the outbox table inside the same transaction as the change they
// describe: either both commit or neither, so no event is lost and none is invented.
import type { PoolConnection } from '../mysql/connection.js';
import { uuidV7 } from './uuid-v7.js';

/** Every aggregate that writes domain events; each has its topic, `<prefix>.events.<aggregate>`. */
export const AGGREGATE_TYPES = ['user', 'listing', 'order', 'message', 'complaint', 'saved_search'] as const;
export type AggregateType = (typeof AGGREGATE_TYPES)[number];

export interface DomainEvent {
  aggregateType: AggregateType;
  aggregateId: string | number;
  /** `<aggregate>.<past-tense verb>`, e.g. `order.placed`. */
  type: string;
  payload: Record<string, unknown>;
}

/** Appends events to the outbox on a connection that is inside the caller's transaction. */
export async function appendToOutbox(connection: PoolConnection, events: readonly DomainEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const ids = events.map(() => uuidV7());
  const rows = events.map((event, i) => [ids[i], event.aggregateType, String(event.aggregateId), event.type, JSON.stringify(event.payload)]);
  await connection.query('INSERT INTO outbox (id, aggregate_type, aggregate_id, type, payload) VALUES ?', [rows]);
  return ids;
}
