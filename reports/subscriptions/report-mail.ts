// Queuing a subscription's or an alert's email with the email worker (it sends, retries and
// dead-letters them like any other), and the delivery log. Queuing is idempotent on an event id
// made from what the email is for: a job run twice for one occurrence mails once.
import { createHash } from 'node:crypto';
import type { Pool, ResultSetHeader, RowDataPacket } from '../../marketplace/mysql/connection.js';
import type { RenderedEmail } from '../../pipelines/sinks/email/templates.js';

/** A UUID-shaped id that is the same for the same key. */
export function reportEventId(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The email_messages row of the email (queued now or before). */
export async function queueReportEmail(pool: Pool, eventId: string, to: string, email: RenderedEmail): Promise<number> {
  await pool.query<ResultSetHeader>(
    "INSERT IGNORE INTO email_messages (user_id, event_id, template, to_address, subject, data, next_attempt_at) VALUES (NULL, ?, 'report', ?, ?, ?, UTC_TIMESTAMP(6))",
    [eventId, to, email.subject.slice(0, 300), JSON.stringify(email)],
  );
  const [rows] = await pool.query<RowDataPacket[]>("SELECT id FROM email_messages WHERE event_id = ? AND template = 'report'", [eventId]);
  return Number(rows[0]!.id);
}

export type DeliveryOutcome = 'queued' | 'skipped_empty' | 'failed';

export interface Delivery {
  subscriptionId?: number;
  alertId?: number;
  trigger: 'schedule' | 'manual';
  dueAt: Date;
  outcome: DeliveryOutcome;
  rows?: number;
  emailMessageId?: number;
  detail?: string;
}

export async function recordDelivery(pool: Pool, delivery: Delivery): Promise<number> {
  const [result] = await pool.query<ResultSetHeader>(
    'INSERT INTO report_deliveries (subscription_id, alert_id, trigger_kind, due_at, outcome, `rows`, email_message_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [delivery.subscriptionId ?? null, delivery.alertId ?? null, delivery.trigger, delivery.dueAt, delivery.outcome, delivery.rows ?? null,
      delivery.emailMessageId ?? null, delivery.detail?.slice(0, 1000) ?? null],
  );
  return result.insertId;
}

export interface DeliveryRow {
  id: number;
  trigger: string;
  due_at: string;
  outcome: DeliveryOutcome;
  rows: number | null;
  email_message_id: number | null;
  email_status: string | null;
  detail: string | null;
  created_at: string;
}

/** The newest deliveries of a subscription or an alert, with their email's status. */
export async function recentDeliveries(pool: Pool, of: { subscriptionId: number } | { alertId: number }, limit = 20): Promise<DeliveryRow[]> {
  const [column, id] = 'subscriptionId' in of ? ['subscription_id', of.subscriptionId] : ['alert_id', of.alertId];
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT d.id, d.trigger_kind, d.due_at, d.outcome, d.\`rows\`, d.email_message_id, m.status AS email_status, d.detail, d.created_at
     FROM report_deliveries d LEFT JOIN email_messages m ON m.id = d.email_message_id WHERE d.${column} = ? ORDER BY d.id DESC LIMIT ?`,
    [id, limit],
  );
  return rows.map((row) => ({
    id: Number(row.id), trigger: String(row.trigger_kind), due_at: iso(row.due_at), outcome: row.outcome as DeliveryOutcome,
    rows: row.rows === null ? null : Number(row.rows), email_message_id: row.email_message_id === null ? null : Number(row.email_message_id),
    email_status: row.email_status ?? null, detail: row.detail ?? null, created_at: iso(row.created_at),
  }));
}

/** A DATETIME as the pool returns it (UTC text) -> a Date. */
export function utcDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(`${String(value).replace(' ', 'T')}Z`);
}

export function iso(value: unknown): string {
  return utcDate(value).toISOString();
}
