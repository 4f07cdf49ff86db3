// Webhook endpoints, owned by a user: created with a signing secret shown once, edited, enabled
// and disabled, rotated with an overlap (the old secret keeps signing beside the new one so a
// receiver can switch without dropping deliveries), deleted with their delivery history.
import { generateWebhookSecret } from '../../core/webhook-signature.js';
import { NotFoundError } from '../../core/errors.js';
import { withTransaction } from '../domain/transaction.js';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
import { apiRow } from '../queries/api-row.js';

export interface WebhookEndpoint {
  id: number;
  url: string;
  description: string | null;
  event_types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: string | null;
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface EndpointInput {
  url: string;
  description?: string | null;
  eventTypes?: string[];
}

export interface EndpointChange {
  url?: string;
  description?: string | null;
  eventTypes?: string[];
  enabled?: boolean;
}

// The secrets are never selected here: only creation and rotation return one, once.
const SELECT = `SELECT id, url, description, event_types, enabled, disabled_reason, failing_since,
  IF(previous_secret_expires_at > UTC_TIMESTAMP(6), previous_secret_expires_at, NULL) AS previous_secret_expires_at, created_at, updated_at
  FROM webhook_endpoints`;

/** The JSON column as the driver hands it over: text, or already parsed. */
const eventTypesOf = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as string[];

function toEndpoint(row: RowDataPacket): WebhookEndpoint {
  const out = apiRow<WebhookEndpoint & { event_types: unknown; enabled: unknown }>(row);
  return { ...out, event_types: eventTypesOf(out.event_types), enabled: Boolean(Number(out.enabled)) };
}

/** An enabled endpoint as delivering needs it: whose it is and which events it takes. */
export interface DeliveryEndpoint {
  id: number;
  userId: number;
  eventTypes: string[];
}

/** The enabled endpoints of `userIds`, read on a pool or inside a caller's transaction. */
export async function enabledEndpointsOf(db: Pool | PoolConnection, userIds: readonly number[]): Promise<DeliveryEndpoint[]> {
  if (userIds.length === 0) return [];
  const [rows] = await db.query<RowDataPacket[]>('SELECT id, user_id, event_types FROM webhook_endpoints WHERE enabled = 1 AND user_id IN (?)', [userIds]);
  return rows.map((row) => ({ id: Number(row.id), userId: Number(row.user_id), eventTypes: eventTypesOf(row.event_types) }));
}

/** Whether the endpoint takes events of `type` (an endpoint naming no types takes every event). */
export const takesEvent = (endpoint: DeliveryEndpoint, type: string) => endpoint.eventTypes.length === 0 || endpoint.eventTypes.includes(type);

/** The caller's endpoint; another user's is as absent as a missing one. */
export async function getEndpoint(pool: Pool, userId: number, id: number): Promise<WebhookEndpoint> {
  const [rows] = await pool.query<RowDataPacket[]>(`${SELECT} WHERE id = ? AND user_id = ?`, [id, userId]);
  if (!rows[0]) throw new NotFoundError(`webhook endpoint ${id} does not exist`);
  return toEndpoint(rows[0]);
}

export async function listEndpoints(pool: Pool, userId: number): Promise<WebhookEndpoint[]> {
  const [rows] = await pool.query<RowDataPacket[]>(`${SELECT} WHERE user_id = ? ORDER BY id`, [userId]);
  return rows.map(toEndpoint);
}

export async function createEndpoint(pool: Pool, userId: number, input: EndpointInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const secret = generateWebhookSecret();
  const [result] = await pool.query<ResultSetHeader>(
    'INSERT INTO webhook_endpoints (user_id, url, description, event_types, secret) VALUES (?, ?, ?, ?, ?)',
    [userId, input.url, input.description ?? null, JSON.stringify(input.eventTypes ?? []), secret],
  );
  return { endpoint: await getEndpoint(pool, userId, result.insertId), secret };
}

export async function updateEndpoint(pool: Pool, userId: number, id: number, change: EndpointChange): Promise<WebhookEndpoint> {
  const sets: string[] = [];
  const params: unknown[] = [];
  const set = (column: string, value: unknown) => {
    sets.push(`${column} = ?`);
    params.push(value);
  };
  if (change.url !== undefined) set('url', change.url);
  if (change.description !== undefined) set('description', change.description);
  if (change.eventTypes !== undefined) set('event_types', JSON.stringify(change.eventTypes));
  if (change.enabled === true) sets.push('enabled = 1, disabled_reason = NULL, failing_since = NULL');
  // An owner's own switch-off says so, unlike one for failing too long.
  if (change.enabled === false) sets.push("disabled_reason = IF(enabled = 1, 'disabled by its owner', disabled_reason), enabled = 0");
  if (sets.length > 0) {
    const [result] = await pool.query<ResultSetHeader>(`UPDATE webhook_endpoints SET ${sets.join(', ')} WHERE id = ? AND user_id = ?`, [...params, id, userId]);
    if (result.affectedRows === 0) throw new NotFoundError(`webhook endpoint ${id} does not exist`);
  }
  return getEndpoint(pool, userId, id);
}

/** A new secret; the current one keeps signing (as a second signature) for `overlapHours`. */
export async function rotateSecret(pool: Pool, userId: number, id: number, overlapHours: number): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const secret = generateWebhookSecret();
  const [result] = await pool.query<ResultSetHeader>(
    `UPDATE webhook_endpoints SET previous_secret = IF(? > 0, secret, NULL),
       previous_secret_expires_at = IF(? > 0, UTC_TIMESTAMP(6) + INTERVAL ? SECOND, NULL), secret = ? WHERE id = ? AND user_id = ?`,
    [overlapHours, overlapHours, Math.round(overlapHours * 3600), secret, id, userId],
  );
  if (result.affectedRows === 0) throw new NotFoundError(`webhook endpoint ${id} does not exist`);
  return { endpoint: await getEndpoint(pool, userId, id), secret };
}

/** Deletes the endpoint with its deliveries and their attempts, explicitly: cascades never reach the binlog. */
export async function deleteEndpoint(pool: Pool, userId: number, id: number): Promise<void> {
  await withTransaction(pool, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>('SELECT id FROM webhook_endpoints WHERE id = ? AND user_id = ? FOR UPDATE', [id, userId]);
    if (!rows[0]) throw new NotFoundError(`webhook endpoint ${id} does not exist`);
    await connection.query('DELETE a FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = ?', [id]);
    await connection.query('DELETE FROM webhook_deliveries WHERE endpoint_id = ?', [id]);
    await connection.query('DELETE FROM webhook_endpoints WHERE id = ?', [id]);
  });
}
