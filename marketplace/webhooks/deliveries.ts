// What an endpoint's owner sees of its deliveries (the log, each delivery with its attempts) and
// can do with them: replay one, replay every failed one since a time, or send a test event. A
// replay starts the retry schedule over; the attempt count and the log keep growing.
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { uuidV7 } from '../domain/uuid-v7.js';
import type { Pool, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
import { apiRow } from '../queries/api-row.js';
import { keysetPage, type Page, type PageRequest } from '../queries/keyset-page.js';
import { getEndpoint } from './endpoints.js';

export const DELIVERY_STATUSES = ['pending', 'sending', 'succeeded', 'retrying', 'failed', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface WebhookDelivery {
  id: number;
  endpoint_id: number;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_response_code: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  created_at: string;
}

export interface DeliveryAttempt {
  attempt: number;
  started_at: string;
  latency_ms: number;
  response_code: number | null;
  response_body: string | null;
  error: string | null;
  succeeded: boolean;
}

const SELECT = `SELECT id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, last_attempt_at, last_response_code,
  last_latency_ms, last_error, created_at FROM webhook_deliveries`;
/** Statuses a replay may restart: the ones with nothing left to try. */
const FINISHED: DeliveryStatus[] = ['succeeded', 'failed', 'dead'];

function toDelivery(row: RowDataPacket): WebhookDelivery {
  return apiRow<WebhookDelivery>(row);
}

export async function deliveriesOf(pool: Pool, userId: number, endpointId: number, status: DeliveryStatus | undefined, page: PageRequest): Promise<Page<WebhookDelivery>> {
  await getEndpoint(pool, userId, endpointId);
  const filter = { conditions: ['endpoint_id = ?'], params: [endpointId] as unknown[] };
  if (status) {
    filter.conditions.push('status = ?');
    filter.params.push(status);
  }
  return keysetPage<WebhookDelivery>(pool, SELECT, filter, page);
}

async function ownedDelivery(pool: Pool, userId: number, id: number): Promise<WebhookDelivery> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `${SELECT} WHERE id = ? AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE user_id = ?)`, [id, userId],
  );
  if (!rows[0]) throw new NotFoundError(`webhook delivery ${id} does not exist`);
  return toDelivery(rows[0]);
}

export async function getDelivery(pool: Pool, userId: number, id: number): Promise<WebhookDelivery & { attempt_log: DeliveryAttempt[] }> {
  const delivery = await ownedDelivery(pool, userId, id);
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT attempt, started_at, latency_ms, response_code, response_body, error, succeeded FROM webhook_delivery_attempts WHERE delivery_id = ? ORDER BY id', [id],
  );
  const attempts = rows.map((row) => ({ ...apiRow<DeliveryAttempt>(row), succeeded: Boolean(Number(row.succeeded)) }));
  return { ...delivery, attempt_log: attempts };
}

async function assertEnabled(pool: Pool, userId: number, endpointId: number): Promise<void> {
  const endpoint = await getEndpoint(pool, userId, endpointId);
  if (!endpoint.enabled) throw new ConflictError(`webhook endpoint ${endpointId} is disabled (${endpoint.disabled_reason ?? 'no reason given'}); enable it first`);
}

export async function replayDelivery(pool: Pool, userId: number, id: number): Promise<WebhookDelivery> {
  const delivery = await ownedDelivery(pool, userId, id);
  await assertEnabled(pool, userId, delivery.endpoint_id);
  const [result] = await pool.query<ResultSetHeader>(
    "UPDATE webhook_deliveries SET status = 'pending', schedule_step = 0, next_attempt_at = UTC_TIMESTAMP(6), lease_until = NULL WHERE id = ? AND status IN (?)",
    [id, FINISHED],
  );
  if (result.affectedRows === 0) throw new ConflictError(`webhook delivery ${id} is ${delivery.status}: it is still being tried, so there is nothing to replay yet`);
  return ownedDelivery(pool, userId, id);
}

/** Replays every failed or dead delivery of the endpoint created at or after `since`; returns how many. */
export async function replayFailedSince(pool: Pool, userId: number, endpointId: number, since: Date): Promise<number> {
  await assertEnabled(pool, userId, endpointId);
  const [result] = await pool.query<ResultSetHeader>(
    `UPDATE webhook_deliveries SET status = 'pending', schedule_step = 0, next_attempt_at = UTC_TIMESTAMP(6), lease_until = NULL
     WHERE endpoint_id = ? AND status IN ('failed', 'dead') AND created_at >= ?`,
    [endpointId, since],
  );
  return result.affectedRows;
}

/** Queues a `webhook.test` event for the endpoint alone; it goes through the normal sender, signed and retried. */
export async function sendTestEvent(pool: Pool, userId: number, endpointId: number): Promise<WebhookDelivery> {
  await assertEnabled(pool, userId, endpointId);
  const eventId = uuidV7();
  const timestamp = new Date().toISOString();
  const body = JSON.stringify({ type: 'webhook.test', timestamp, data: { endpoint_id: endpointId, message: 'A test event from Steveslist: your endpoint receives and verifies deliveries.' } });
  const [result] = await pool.query<ResultSetHeader>(
    "INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, next_attempt_at) VALUES (?, ?, 'webhook.test', ?, UTC_TIMESTAMP(6))",
    [endpointId, eventId, body],
  );
  return ownedDelivery(pool, userId, result.insertId);
}
