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

/** One step of an email's life, oldest first. */
export interface EmailTimelineEntry {
  at: string;
  status: EmailStatus;
  /** What happened, in words for support. */
  note: string;
  attempt?: number;
  error?: string | null;
  smtp_response?: string | null;
  next_attempt_at?: string | null;
  /** For an admin's retry: who and why. */
  admin?: string;
  reason?: string | null;
}

export interface EmailDetails extends EmailSummary {
  user_name: string | null;
  smtp_message_id: string | null;
  smtp_response: string | null;
  /** The email as the sender renders it from its data (attachments by name only). */
  rendered: { subject: string; text: string; html: boolean; attachments: string[] };
  timeline: EmailTimelineEntry[];
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
    `SELECT m.id, m.user_id, m.event_id, m.template, m.to_address, m.subject, m.status, m.attempts, m.next_attempt_at, m.last_error,
       m.created_at, m.updated_at, m.sent_at, m.smtp_message_id, m.smtp_response, m.data, u.name AS user_name
     FROM email_messages m LEFT JOIN users u ON u.id = m.user_id WHERE m.id = ?`, [id],
  );
  const row = rows[0];
  if (!row) throw new NotFoundError(`email ${id} does not exist`);
  const { data: stored, smtp_message_id, smtp_response, user_name, ...summary } = row;
  const data = (typeof stored === 'string' ? JSON.parse(stored) : stored ?? {}) as Record<string, unknown>;
  const email = toSummary(summary as RowDataPacket);
  const rendered = renderEmail(email.template as EmailTemplate, String(user_name ?? 'there'), data);
  const [retries] = await pool.query<RowDataPacket[]>(
    "SELECT admin_username, reason, details, created_at FROM admin_audit WHERE target_type = 'email' AND target_id = ? AND action = 'email.retry' ORDER BY id", [id],
  );
  return {
    ...email,
    user_name: user_name ?? null,
    smtp_message_id: smtp_message_id ?? null,
    smtp_response: smtp_response ?? null,
    rendered: { subject: rendered.subject, text: rendered.text, html: rendered.html !== undefined, attachments: (rendered.attachments ?? []).map((a) => a.filename) },
    timeline: emailTimeline(email, smtp_response ?? null, retries.map((r) => apiRow<RetryRecord>(r))),
  };
}

interface RetryRecord {
  admin_username: string;
  reason: string | null;
  details: string | { attempts_before?: number } | null;
  created_at: string;
}

/**
 * The steps an email went through, from what its row and the audit trail keep. The row holds only
 * its latest state, so an earlier failed attempt shows as a count (in the retry that followed it)
 * rather than with its own time.
 */
export function emailTimeline(email: EmailSummary, smtpResponse: string | null, retries: RetryRecord[]): EmailTimelineEntry[] {
  const timeline: EmailTimelineEntry[] = [{ at: email.created_at, status: 'queued', note: 'queued' }];
  for (const retry of retries) {
    const details = (typeof retry.details === 'string' ? JSON.parse(retry.details) : retry.details ?? {}) as { attempts_before?: number };
    timeline.push({
      at: retry.created_at, status: 'queued', admin: retry.admin_username, reason: retry.reason,
      note: `dead after ${details.attempts_before ?? '?'} attempts; queued again by ${retry.admin_username}`,
    });
  }
  const attempt = email.attempts;
  switch (email.status) {
    case 'sent':
      timeline.push({ at: email.sent_at ?? email.updated_at, status: 'sent', attempt, smtp_response: smtpResponse, note: `accepted by the SMTP server on attempt ${attempt}` });
      break;
    case 'failed_retrying':
      timeline.push({
        at: email.updated_at, status: 'failed_retrying', attempt, error: email.last_error, smtp_response: smtpResponse, next_attempt_at: email.next_attempt_at,
        note: `attempt ${attempt} failed; trying again at ${email.next_attempt_at ?? 'the next poll'}`,
      });
      break;
    case 'dead':
      timeline.push({ at: email.updated_at, status: 'dead', attempt, error: email.last_error, smtp_response: smtpResponse, note: `attempt ${attempt} failed, the last one; no more attempts` });
      break;
    case 'rendering':
    case 'sending':
      timeline.push({ at: email.updated_at, status: email.status, attempt: attempt + 1, note: `attempt ${attempt + 1} in progress` });
      break;
    case 'queued':
      break;
  }
  return timeline;
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
