// The spam checks' decisions about an account: each rule it tripped is recorded with its reason,
// and its action taken, in one transaction with the audit row: flag (recorded for staff),
// rate_limit (its messages are limited for a while) or suspend (as a moderator would).
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { withTransaction } from '../domain/transaction.js';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
import { equalities, keysetPage, type Page, type PageRequest } from '../queries/keyset-page.js';
import { recordAudit } from './audit.js';
import { suspendUserWith } from './user-status.js';

/** Who the audit trail names for the spam checks' decisions. */
export const SPAM_CHECKS_ACTOR = 'checks:spam-checks';

export interface SpamDecisionFinding {
  rule: string;
  action: 'flag' | 'rate_limit' | 'suspend';
  reason: string;
  values: Record<string, unknown>;
}

export interface SpamSubject {
  eventId: string;
  userId: number;
  subject: 'signup' | 'message';
  messageId?: number;
}

export interface RateLimitPolicy {
  perHour: number;
  durationMs: number;
}

/** Records and acts on the findings; a redelivered event finds its rows there and does nothing again. Returns the actions taken. */
export async function recordSpamDecision(pool: Pool, subject: SpamSubject, findings: readonly SpamDecisionFinding[], rateLimit: RateLimitPolicy): Promise<string[]> {
  if (findings.length === 0) return [];
  return withTransaction(pool, async (connection) => {
    const taken: string[] = [];
    for (const finding of findings) {
      const [result] = await connection.query<ResultSetHeader>(
        'INSERT IGNORE INTO user_checks (user_id, event_id, subject, message_id, rule, action, reason, rule_values) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [subject.userId, subject.eventId, subject.subject, subject.messageId ?? null, finding.rule, finding.action, finding.reason.slice(0, 500), JSON.stringify(finding.values)],
      );
      if (result.affectedRows === 0) continue;
      if (await act(connection, subject, finding, rateLimit)) taken.push(finding.action);
    }
    return taken;
  });
}

async function act(connection: PoolConnection, subject: SpamSubject, finding: SpamDecisionFinding, rateLimit: RateLimitPolicy): Promise<boolean> {
  const details = { rule: finding.rule, subject: subject.subject, message_id: subject.messageId ?? null, event_id: subject.eventId, values: finding.values };
  const reason = `${finding.rule}: ${finding.reason}`.slice(0, 1000);
  switch (finding.action) {
    case 'suspend':
      try {
        await suspendUserWith(connection, SPAM_CHECKS_ACTOR, subject.userId, reason);
        return true;
      } catch (error) {
        // Suspended (or deleted) already: the finding is recorded; there is nothing more to do.
        if (error instanceof ConflictError) return false;
        throw error;
      }
    case 'rate_limit':
      // A limit already in force is extended, never shortened.
      await connection.query(
        `INSERT INTO message_rate_limits (user_id, per_hour, limited_until, reason) VALUES (?, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND, ?)
         ON DUPLICATE KEY UPDATE per_hour = LEAST(per_hour, VALUES(per_hour)), limited_until = GREATEST(limited_until, VALUES(limited_until)), reason = VALUES(reason)`,
        [subject.userId, rateLimit.perHour, Math.round(rateLimit.durationMs / 1000), reason.slice(0, 500)],
      );
      await recordAudit(connection, { admin: SPAM_CHECKS_ACTOR, action: 'user.rate_limit', targetType: 'user', targetId: subject.userId, reason, details: { ...details, per_hour: rateLimit.perHour, hours: Math.round(rateLimit.durationMs / 3_600_000) } });
      return true;
    case 'flag':
      await recordAudit(connection, { admin: SPAM_CHECKS_ACTOR, action: 'user.flag', targetType: 'user', targetId: subject.userId, reason, details });
      return true;
  }
}

export interface UserCheckRecord {
  id: number;
  user_id: number;
  user_name: string;
  user_email: string;
  user_status: string;
  subject: 'signup' | 'message';
  message_id: number | null;
  rule: string;
  action: 'flag' | 'rate_limit' | 'suspend';
  reason: string;
  values: Record<string, unknown> | null;
  decided_at: string;
  status: 'open' | 'dismissed';
  dismissed_by: string | null;
  dismissed_at: string | null;
  dismiss_reason: string | null;
}

/** The spam checks' findings, newest first, for staff to look at (optionally one user's, or one rule's). */
export async function listUserChecks(pool: Pool, filter: { userId?: number; rule?: string }, page: PageRequest): Promise<Page<UserCheckRecord>> {
  const where = equalities({ 'c.user_id': filter.userId, 'c.rule': filter.rule });
  const result = await keysetPage<UserCheckRecord & { rule_values?: unknown }>(
    pool,
    `SELECT * FROM (SELECT c.id, c.user_id, u.name AS user_name, u.email AS user_email, u.status AS user_status, c.subject, c.message_id, c.rule, c.action,
       c.reason, c.rule_values, c.decided_at, c.status, c.dismissed_by, c.dismissed_at, c.dismiss_reason FROM user_checks c JOIN users u ON u.id = c.user_id${where.conditions.length > 0 ? ` WHERE ${where.conditions.join(' AND ')}` : ''}) AS found`,
    { conditions: [], params: where.params },
    page,
  );
  return {
    ...result,
    items: result.items.map(({ rule_values: values, ...item }) => ({
      ...item, user_id: Number(item.user_id), message_id: item.message_id === null ? null : Number(item.message_id),
      values: typeof values === 'string' ? JSON.parse(values) as Record<string, unknown> : (values as Record<string, unknown> | null) ?? null,
    })),
  };
}

export interface DismissedCheck {
  id: number;
  user_id: number;
  status: 'dismissed';
  /** A rate limit this finding set, lifted with it (false when none was in force). */
  rate_limit_lifted: boolean;
  /** The account's status, which dismissing never changes: a suspension is lifted by reinstating. */
  user_status: string;
}

/**
 * A moderator finds a finding wrong: it is closed as dismissed with the reason, audited, and a
 * message limit it set is lifted. A suspension stays until the account is reinstated, a step of
 * its own with its own audit row.
 */
export async function dismissUserCheck(pool: Pool, admin: string, checkId: number, reason: string): Promise<DismissedCheck> {
  return withTransaction(pool, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>(
      'SELECT c.user_id, c.rule, c.action, c.status, u.status AS user_status FROM user_checks c JOIN users u ON u.id = c.user_id WHERE c.id = ? FOR UPDATE', [checkId]);
    const check = rows[0];
    if (!check) throw new NotFoundError(`spam check finding ${checkId} not found`);
    if (check.status !== 'open') throw new ConflictError(`spam check finding ${checkId} is ${check.status} already`);
    const userId = Number(check.user_id);
    await connection.query(
      "UPDATE user_checks SET status = 'dismissed', dismissed_by = ?, dismissed_at = UTC_TIMESTAMP(6), dismiss_reason = ? WHERE id = ?", [admin, reason.slice(0, 500), checkId]);
    let lifted = false;
    if (check.action === 'rate_limit') {
      // Another open rate-limit finding of the account keeps the limit: it is that one's to lift.
      const [others] = await connection.query<RowDataPacket[]>(
        "SELECT 1 FROM user_checks WHERE user_id = ? AND action = 'rate_limit' AND status = 'open' LIMIT 1", [userId]);
      if (others.length === 0) {
        const [deleted] = await connection.query<ResultSetHeader>('DELETE FROM message_rate_limits WHERE user_id = ?', [userId]);
        lifted = deleted.affectedRows > 0;
      }
    }
    await recordAudit(connection, {
      admin, action: 'user.dismiss_check', targetType: 'user', targetId: userId, reason,
      details: { check_id: checkId, rule: check.rule, action: check.action, rate_limit_lifted: lifted },
    });
    return { id: checkId, user_id: userId, status: 'dismissed', rate_limit_lifted: lifted, user_status: String(check.user_status) };
  });
}
