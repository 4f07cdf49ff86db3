// Threshold alerts in MySQL: create, read, change (merged onto what is stored and checked whole),
// delete, each change audited in its transaction. Their state (ok or breached, the last value) is
// the alerts job's; see evaluate-alerts.ts.
import { NotFoundError } from '../../core/errors.js';
import { withTransaction } from '../../marketplace/domain/transaction.js';
import { recordAudit } from '../../marketplace/moderation/audit.js';
import type { Pool, ResultSetHeader, RowDataPacket } from '../../marketplace/mysql/connection.js';
import { auditedChanges } from './audited-changes.js';
import type { Comparison } from './checks.js';
import { iso, utcDate } from './report-mail.js';
import { checkAlert, ReportInputError, type AlertFields, type AlertInput } from './report-input.js';

export interface Alert extends AlertFields {
  id: number;
  owner: string;
  state: 'ok' | 'breached';
  lastValue: number | null;
  lastCheckedAt: Date | null;
  lastBreachedAt: Date | null;
  lastClearedAt: Date | null;
  lastError: string | null;
  createdAt: Date;
}

const COLUMNS = `a.id, u.username AS owner, a.name, a.check_name, a.query_sql, a.comparison, a.threshold, a.recipients, a.enabled, a.state, a.last_value,
  a.last_checked_at, a.last_breached_at, a.last_cleared_at, a.last_error, a.created_at`;

const maybeDate = (value: unknown) => (value === null || value === undefined ? null : utcDate(value));

function fromRow(row: RowDataPacket): Alert {
  return {
    id: Number(row.id), owner: String(row.owner), name: String(row.name), check: String(row.check_name), sql: row.query_sql ?? null,
    comparison: row.comparison as Comparison, threshold: Number(row.threshold),
    recipients: typeof row.recipients === 'string' ? JSON.parse(row.recipients) : row.recipients,
    enabled: Boolean(Number(row.enabled)), state: row.state, lastValue: row.last_value === null ? null : Number(row.last_value),
    lastCheckedAt: maybeDate(row.last_checked_at), lastBreachedAt: maybeDate(row.last_breached_at), lastClearedAt: maybeDate(row.last_cleared_at),
    lastError: row.last_error ?? null, createdAt: utcDate(row.created_at),
  };
}

const isoOrNull = (at: Date | null) => at && iso(at);

export function alertJson(alert: Alert) {
  return {
    id: alert.id, owner: alert.owner, name: alert.name, check: alert.check, ...(alert.sql !== null && { sql: alert.sql }),
    comparison: alert.comparison, threshold: alert.threshold, recipients: alert.recipients, enabled: alert.enabled,
    state: alert.state, last_value: alert.lastValue, last_checked_at: isoOrNull(alert.lastCheckedAt), last_breached_at: isoOrNull(alert.lastBreachedAt),
    last_cleared_at: isoOrNull(alert.lastClearedAt), last_error: alert.lastError, created_at: iso(alert.createdAt),
  };
}

async function checked(input: AlertInput, checkSql?: (sql: string) => Promise<void>): Promise<AlertFields> {
  const fields = checkAlert(input);
  if (fields.sql !== null && checkSql) {
    try {
      await checkSql(fields.sql);
    } catch (error) {
      throw new ReportInputError('sql', (error as Error).message);
    }
  }
  return fields;
}

/** What the audit keeps of an alert: what it checks, against what, and whom it mails. */
const audited = (f: AlertFields): Record<string, unknown> => ({
  name: f.name, check: f.check, ...(f.sql !== null && { sql: f.sql }), comparison: f.comparison, threshold: f.threshold, recipients: f.recipients, enabled: f.enabled,
});

const values = (f: AlertFields) => [f.name, f.check, f.sql, f.comparison, f.threshold, JSON.stringify(f.recipients), f.enabled];

export async function getAlert(pool: Pool, id: number): Promise<Alert> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT ${COLUMNS} FROM report_alerts a JOIN admin_users u ON u.id = a.admin_user_id WHERE a.id = ?`, [id]);
  if (!rows[0]) throw new NotFoundError(`no alert ${id}`);
  return fromRow(rows[0]);
}

export async function listAlerts(pool: Pool, filter: { enabled?: boolean } = {}): Promise<Alert[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT ${COLUMNS} FROM report_alerts a JOIN admin_users u ON u.id = a.admin_user_id ${filter.enabled === undefined ? '' : 'WHERE a.enabled = ?'} ORDER BY a.id`,
    filter.enabled === undefined ? [] : [filter.enabled],
  );
  return rows.map(fromRow);
}

export async function createAlert(pool: Pool, owner: string, input: AlertInput, checkSql?: (sql: string) => Promise<void>): Promise<Alert> {
  const fields = await checked(input, checkSql);
  const [staff] = await pool.query<RowDataPacket[]>('SELECT id FROM admin_users WHERE username = ?', [owner]);
  if (!staff[0]) throw new NotFoundError(`no staff account "${owner}"`);
  const id = await withTransaction(pool, async (connection) => {
    const [result] = await connection.query<ResultSetHeader>(
      'INSERT INTO report_alerts (admin_user_id, name, check_name, query_sql, comparison, threshold, recipients, enabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [staff[0]!.id, ...values(fields)],
    );
    await recordAudit(connection, { admin: owner, action: 'alert.create', targetType: 'alert', targetId: result.insertId, details: audited(fields) });
    return result.insertId;
  });
  return getAlert(pool, id);
}

/** `admin` changes it (the audit names them). */
export async function updateAlert(pool: Pool, id: number, change: AlertInput, checkSql: ((sql: string) => Promise<void>) | undefined, admin: string): Promise<Alert> {
  const current = await getAlert(pool, id);
  const merged: AlertInput = { name: current.name, check: current.check, sql: current.sql, comparison: current.comparison, threshold: current.threshold, recipients: current.recipients, enabled: current.enabled, ...change };
  // Another check brings its own SQL (or none) and, unless given, its own comparison and threshold.
  if (change.check !== undefined && change.check !== current.check) {
    if (change.sql === undefined) merged.sql = undefined;
    if (change.comparison === undefined) merged.comparison = undefined;
    if (change.threshold === undefined) merged.threshold = undefined;
  }
  const fields = await checked(merged, checkSql);
  // A changed check starts from `ok`: the next evaluation mails if it is in breach.
  const reset = fields.check !== current.check || fields.sql !== current.sql || fields.comparison !== current.comparison || fields.threshold !== current.threshold;
  await withTransaction(pool, async (connection) => {
    await connection.query(
      `UPDATE report_alerts SET name = ?, check_name = ?, query_sql = ?, comparison = ?, threshold = ?, recipients = ?, enabled = ?${reset ? ", state = 'ok'" : ''} WHERE id = ?`,
      [...values(fields), id],
    );
    await recordAudit(connection, { admin, action: 'alert.update', targetType: 'alert', targetId: id, details: { name: fields.name, changes: auditedChanges(audited(current), audited(fields)) } });
  });
  return getAlert(pool, id);
}

export async function deleteAlert(pool: Pool, id: number, admin: string): Promise<void> {
  const current = await getAlert(pool, id);
  await withTransaction(pool, async (connection) => {
    const [result] = await connection.query<ResultSetHeader>('DELETE FROM report_alerts WHERE id = ?', [id]);
    if (result.affectedRows === 0) throw new NotFoundError(`no alert ${id}`);
    await recordAudit(connection, { admin, action: 'alert.delete', targetType: 'alert', targetId: id, details: { ...audited(current), owner: current.owner } });
  });
}

/** Whether the alerts job has anything to do: without alerts it need not open the warehouse. */
export async function anyAlertEnabled(pool: Pool): Promise<boolean> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT 1 FROM report_alerts WHERE enabled = 1 LIMIT 1');
  return rows.length > 0;
}
