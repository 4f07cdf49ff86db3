// The transactional outbox, routed as Debezium's outbox event router does: an inserted outbox
// row becomes a domain event on `<prefix>.events.<aggregate_type>`, keyed by the aggregate id
// (as JSON), instead of a row change on the outbox table's own topic.
import type { OutgoingMessage } from '../bus/port.js';
import type { Row } from './envelope.js';
import { eventsTopic } from './topics.js';

export const OUTBOX_TABLE = 'outbox';

export interface DomainEventMessage {
  id: string;
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  created_at: string;
  payload: unknown;
}

function parsePayload(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** The topic and message for an outbox row (already normalized: created_at in ISO 8601). */
export function routeOutboxRow(prefix: string, row: Row): { topic: string; message: OutgoingMessage } {
  const id = String(row.id);
  const type = String(row.type);
  const aggregateType = String(row.aggregate_type);
  const aggregateId = JSON.stringify(String(row.aggregate_id));
  // The DomainEventMessage as JSON.stringify writes it, written out: every outbox row passes here.
  const payload = JSON.stringify(parsePayload(row.payload)) as string | undefined;
  const value = `{"id":${JSON.stringify(id)},"type":${JSON.stringify(type)},"aggregate_type":${JSON.stringify(aggregateType)},"aggregate_id":${aggregateId},"created_at":${JSON.stringify(String(row.created_at))}${payload === undefined ? '' : `,"payload":${payload}`}}`;
  return {
    topic: eventsTopic(prefix, aggregateType),
    // The key as a JSON string ("42"), as Debezium's outbox router writes it through the JSON
    // converter: both engines then put an aggregate's events in the same partition.
    message: { key: aggregateId, value, headers: { id, type } },
  };
}
