// The SMS log: every SMS with its status, our attempts and Twilio's delivery reports, for support
// (admin API and staff console) and for the sender, which records each outcome here.
import { NotFoundError, ServiceUnavailable } from '../../../core/errors.js';
import type { Pool, ResultSetHeader, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { apiRow } from '../../../marketplace/queries/api-row.js';
import { keysetPage, type Page, type PageRequest } from '../../../marketplace/queries/keyset-page.js';

export const SMS_STATUSES = ['pending', 'failed_retrying', 'dead', 'rejected', 'accepted', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed'] as const;
export type SmsStatus = (typeof SMS_STATUSES)[number];

/** Twilio's statuses that a callback may report, in the order a message goes through them. */
const TWILIO_RANK: Record<string, number> = { accepted: 1, scheduled: 1, queued: 1, sending: 2, sent: 3, delivered: 4, undelivered: 4, failed: 4, read: 4, canceled: 4 };
const RECORDED = new Set<string>(['accepted', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed']);

export interface SmsSummary {
  id: number;
  user_id: number | null;
  event_id: string | null;
  kind: string;
  to_number: string;
  status: SmsStatus;
  attempts: number;
  twilio_sid: string | null;
  error_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
}

export interface SmsDetails extends SmsSummary {
  body: string;
  /** Each status Twilio reported, oldest first, as received. */
  statuses: { status: string; error_code: number | null; received_at: string }[];
}

const SELECT = 'SELECT id, user_id, event_id, kind, to_number, status, attempts, twilio_sid, error_code, last_error, created_at, updated_at, sent_at FROM sms_messages';

export async function listSms(pool: Pool, filter: { status?: SmsStatus; userId?: number; to?: string }, page: PageRequest): Promise<Page<SmsSummary>> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.status) {
    conditions.push('status = ?');
    params.push(filter.status);
  }
  if (filter.userId) {
    conditions.push('user_id = ?');
    params.push(filter.userId);
  }
  if (filter.to) {
    conditions.push('to_number = ?');
    params.push(filter.to);
  }
  return keysetPage<SmsSummary>(pool, SELECT, { conditions, params }, page);
}

export async function getSms(pool: Pool, id: number): Promise<SmsDetails> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT id, user_id, event_id, kind, to_number, body, status, attempts, twilio_sid, error_code, last_error, created_at, updated_at, sent_at FROM sms_messages WHERE id = ?`, [id]);
  if (!rows[0]) throw new NotFoundError(`SMS ${id} does not exist`);
  const [events] = await pool.query<RowDataPacket[]>('SELECT status, error_code, received_at FROM sms_status_events WHERE sms_message_id = ? ORDER BY id', [id]);
  return { ...apiRow<SmsDetails>(rows[0]), statuses: events.map((e) => apiRow<SmsDetails['statuses'][number]>(e)) };
}

/** The status callback's address for one SMS: Twilio signs over it, query string included. */
export function callbackUrlFor(base: string, smsId: number): string {
  return `${base}${base.includes('?') ? '&' : '?'}sms=${smsId}`;
}

/** Verification codes Twilio accepted for a number within the last `minutes`, whoever asked. */
/**
 * Logs a verification SMS about to go out, unless `limit.max` were sent or are being sent to the
 * number within `limit.minutes` (then undefined). Counted and logged under a lock on the number,
 * so accounts asking for codes to one phone at the same moment cannot all pass the count.
 */
export async function logVerificationWithinLimit(pool: Pool, sms: { userId: number; to: string; body: string }, limit: { max: number; minutes: number }): Promise<number | undefined> {
  const connection = await pool.getConnection();
  const lock = `steveslist.sms-number.${sms.to}`;
  try {
    const [[held]] = await connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, 10) AS got', [lock]);
    if (Number(held!.got) !== 1) throw new ServiceUnavailable(`the SMS log for ${sms.to} is busy; try again`);
    try {
      // In-flight sends ('pending') count: they are the ones racing for the last places.
      const [rows] = await connection.query<RowDataPacket[]>(
        `SELECT COUNT(*) AS n FROM sms_messages WHERE to_number = ? AND kind = 'verification' AND status NOT IN ('dead', 'rejected')
           AND created_at > UTC_TIMESTAMP(6) - INTERVAL ${Math.floor(limit.minutes)} MINUTE`, [sms.to],
      );
      if (Number(rows[0]!.n) >= limit.max) return undefined;
      const [result] = await connection.query<ResultSetHeader>('INSERT INTO sms_messages (user_id, kind, to_number, body) VALUES (?, ?, ?, ?)', [sms.userId, 'verification', sms.to, sms.body]);
      return result.insertId;
    } finally {
      await connection.query('SELECT RELEASE_LOCK(?)', [lock]);
    }
  } finally {
    connection.release();
  }
}

/** Logs an SMS about to go out (no event: a verification); returns its id. */
export async function logSms(pool: Pool, sms: { userId: number; kind: string; to: string; body: string }): Promise<number> {
  const [result] = await pool.query<ResultSetHeader>('INSERT INTO sms_messages (user_id, kind, to_number, body) VALUES (?, ?, ?, ?)', [sms.userId, sms.kind, sms.to, sms.body]);
  return result.insertId;
}

export async function recordAccepted(pool: Pool, id: number, attempts: number, accepted: { sid: string; status: string }): Promise<void> {
  const status = RECORDED.has(accepted.status) ? accepted.status : 'accepted';
  await pool.query(
    // A status callback may have come first: its status stands.
    // (MariaDB assigns left to right, so error_code is decided before status changes.)
    `UPDATE sms_messages SET error_code = IF(status IN ('pending', 'failed_retrying', 'dead'), NULL, error_code),
       status = IF(status IN ('pending', 'failed_retrying', 'dead'), ?, status), attempts = ?, twilio_sid = ?, sent_at = UTC_TIMESTAMP(6), last_error = NULL WHERE id = ?`,
    [status, attempts, accepted.sid, id],
  );
}

export async function recordFailure(pool: Pool, id: number, outcome: { status: 'failed_retrying' | 'dead' | 'rejected'; attempts: number; error: string; errorCode?: number }): Promise<void> {
  await pool.query('UPDATE sms_messages SET status = ?, attempts = ?, last_error = ?, error_code = ? WHERE id = ?',
    [outcome.status, outcome.attempts, outcome.error.slice(0, 1000), outcome.errorCode ?? null, id]);
}

export type CallbackOutcome = 'recorded' | 'unknown_message';

/**
 * Records a status Twilio reported for one SMS. Callbacks may arrive out of order (delivered
 * before sent): every report is kept in the timeline, and the message's status only moves forward.
 */
export async function recordStatusCallback(pool: Pool, smsId: number, report: { sid: string; status: string; errorCode?: number }): Promise<CallbackOutcome> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT id, status, twilio_sid FROM sms_messages WHERE id = ?', [smsId]);
  const row = rows[0];
  // The sid must be this message's; a callback may only come before the sender recorded it.
  if (!row || (row.twilio_sid !== null && row.twilio_sid !== report.sid)) return 'unknown_message';
  await pool.query('INSERT INTO sms_status_events (sms_message_id, status, error_code) VALUES (?, ?, ?)', [smsId, report.status.slice(0, 20), report.errorCode ?? null]);
  const rank = TWILIO_RANK[report.status];
  if (rank === undefined || !RECORDED.has(report.status)) return 'recorded';
  const current = TWILIO_RANK[String(row.status)] ?? 0;
  if (rank > current || (String(row.status) !== report.status && ['pending', 'failed_retrying'].includes(String(row.status)))) {
    await pool.query(
      'UPDATE sms_messages SET status = ?, twilio_sid = COALESCE(twilio_sid, ?), error_code = COALESCE(?, error_code) WHERE id = ?',
      [report.status, report.sid, report.errorCode ?? null, smsId],
    );
  }
  return 'recorded';
}
