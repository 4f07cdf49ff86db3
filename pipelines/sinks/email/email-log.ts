// What support sees of the email queue: every email with its status, attempts and the SMTP
// server's answer, the dead ones (the alert), and sending a dead one again once the cause is fixed.
import { ConflictError, NotFoundError } from '../../../core/errors.js';
import { withTransaction } from '../../../marketplace/domain/transaction.js';
import { recordAudit } from '../../../marketplace/moderation/audit.js';
import type { Pool, ResultSetHeader, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { apiRow } from '../../../marketplace/queries/api-row.js';
import { keysetPage, type Page, type PageRequest } from '../../../marketplace/queries/keyset-page.js';
import { renderEmail, type EmailTemplate } from './templates.js';

export const EMAIL_STATUSES = ['queued', 'rendering', 'sending', 'sent', 'failed_retrying', 'dead'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

export interface EmailSummary {
  id: number;
  user_id: number | null;
  event_id: string | null;
  template: string;
  to_address: string;
  subject: string;
  status: EmailStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
}

export interface EmailDetails extends EmailSummary {
  smtp_message_id: string | null;
  smtp_response: string | null;
  /** The email as the sender renders it from its data. */
  rendered: { subject: string; text: string };
}

const SELECT = `SELECT id, user_id, event_id, template, to_address, subject, status, attempts, next_attempt_at, last_error,
  created_at, updated_at, sent_at FROM email_messages`;

function toSummary(row: RowDataPacket): EmailSummary {
  return apiRow<EmailSummary>(row);
}

export async function listEmails(pool: Pool, filter: { status?: EmailStatus; to?: string }, page: PageRequest): Promise<Page<EmailSummary>> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.status) {
    conditions.push('status = ?');
    params.push(filter.status);
  }
  if (filter.to) {
    conditions.push('to_address = ?');
    params.push(filter.to.toLowerCase());
  }
  return keysetPage<EmailSummary>(pool, SELECT, { conditions, params }, page);
}

export async function deadEmailCount(pool: Pool): Promise<number> {
  const [rows] = await pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM email_messages WHERE status = 'dead'");
  return Number(rows[0]!.n);
}

export async function getEmail(pool: Pool, id: number): Promise<EmailDetails> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT m.*, u.name AS user_name FROM email_messages m LEFT JOIN users u ON u.id = m.user_id WHERE m.id = ?`, [id],
  );
  const row = rows[0];
  if (!row) throw new NotFoundError(`email ${id} does not exist`);
  const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data ?? {}) as Record<string, unknown>;
  return {
    ...toSummary(row),
    smtp_message_id: row.smtp_message_id ?? null,
    smtp_response: row.smtp_response ?? null,
    rendered: renderEmail(row.template as EmailTemplate, String(row.user_name ?? 'there'), data),
  };
}

/** Queues a dead email again, on a fresh schedule, with the admin's action in the audit trail. */
export async function retryDeadEmail(pool: Pool, admin: string, id: number, reason: string | null): Promise<EmailSummary> {
  await withTransaction(pool, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>('SELECT status, attempts FROM email_messages WHERE id = ? FOR UPDATE', [id]);
    if (!rows[0]) throw new NotFoundError(`email ${id} does not exist`);
    if (rows[0].status !== 'dead') throw new ConflictError(`email ${id} is ${String(rows[0].status)}; only a dead email can be sent again`);
    await connection.query<ResultSetHeader>(
      "UPDATE email_messages SET status = 'queued', attempts = 0, next_attempt_at = UTC_TIMESTAMP(6), lease_until = NULL WHERE id = ?", [id],
    );
    await recordAudit(connection, { admin, action: 'email.retry', targetType: 'email', targetId: id, reason, details: { attempts_before: Number(rows[0].attempts) } });
  });
  const [rows] = await pool.query<RowDataPacket[]>(`${SELECT} WHERE id = ?`, [id]);
  return toSummary(rows[0]!);
}
