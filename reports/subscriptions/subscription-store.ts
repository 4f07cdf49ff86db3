// Staff subscriptions in MySQL: create, read, change (merged onto what is stored and checked
// whole), delete, and claiming a due occurrence so two schedulers never both send it. Each change
// is audited in its own transaction, with what it set or changed.
import { NotFoundError } from '../../core/errors.js';
import { withTransaction } from '../../marketplace/domain/transaction.js';
import { recordAudit } from '../../marketplace/moderation/audit.js';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from '../../marketplace/mysql/connection.js';
import { auditedChanges } from './audited-changes.js';
import { describeSchedule, type Cadence, type Schedule } from './cadence.js';
import { iso, utcDate } from './report-mail.js';
import { checkSubscription, ReportInputError, type SubscriptionFields, type SubscriptionInput } from './report-input.js';

export interface Subscription extends Schedule {
  id: number;
  owner: string;
  name: string;
  email: string;
  target: SubscriptionFields['target'];
  enabled: boolean;
  lastOccurrenceAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The pages there are and how a page path is read, for checking a subscription's page. */
export interface PageCatalogue {
  pages(): string[];
  pageName(path: string): string;
}

const COLUMNS = `s.id, u.username AS owner, s.name, s.email, s.target_kind, s.page, s.query_sql, s.cadence, s.hour, s.weekday, s.timezone, s.enabled,
  s.last_occurrence_at, s.created_at, s.updated_at`;

function fromRow(row: RowDataPacket): Subscription {
  return {
    id: Number(row.id), owner: String(row.owner), name: String(row.name), email: String(row.email),
    target: row.target_kind === 'page' ? { kind: 'page', page: String(row.page) } : { kind: 'query', sql: String(row.query_sql) },
    cadence: row.cadence as Cadence, hour: Number(row.hour), weekday: row.weekday === null ? null : Number(row.weekday), timezone: String(row.timezone),
    enabled: Boolean(Number(row.enabled)), lastOccurrenceAt: row.last_occurrence_at === null ? null : utcDate(row.last_occurrence_at),
    createdAt: utcDate(row.created_at), updatedAt: utcDate(row.updated_at),
  };
}

/** As the admin API shows it. */
export function subscriptionJson(subscription: Subscription) {
  return {
    id: subscription.id, owner: subscription.owner, name: subscription.name, email: subscription.email,
    ...(subscription.target.kind === 'page' ? { page: subscription.target.page } : { sql: subscription.target.sql }),
    cadence: subscription.cadence, hour: subscription.hour, weekday: subscription.weekday, timezone: subscription.timezone,
    schedule: describeSchedule(subscription), enabled: subscription.enabled,
    last_occurrence_at: subscription.lastOccurrenceAt && iso(subscription.lastOccurrenceAt),
    created_at: iso(subscription.createdAt), updated_at: iso(subscription.updatedAt),
  };
}

async function staffId(pool: Pool | PoolConnection, username: string): Promise<number> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT id FROM admin_users WHERE username = ?', [username]);
  if (!rows[0]) throw new NotFoundError(`no staff account "${username}"`);
  return Number(rows[0].id);
}

function values(fields: SubscriptionFields): unknown[] {
  return [fields.name, fields.email, fields.target.kind, fields.target.kind === 'page' ? fields.target.page : null, fields.target.kind === 'query' ? fields.target.sql : null,
    fields.cadence, fields.hour, fields.weekday, fields.timezone, fields.enabled];
}

/** What the audit keeps of a subscription: where it mails what, and when. */
function audited(fields: SubscriptionFields): Record<string, unknown> {
  return {
    name: fields.name, email: fields.email, ...(fields.target.kind === 'page' ? { page: fields.target.page } : { sql: fields.target.sql }),
    cadence: fields.cadence, hour: fields.hour, weekday: fields.weekday, timezone: fields.timezone, enabled: fields.enabled,
  };
}

const storedFields = (subscription: Subscription): SubscriptionFields => ({
  name: subscription.name, email: subscription.email, target: subscription.target, cadence: subscription.cadence,
  hour: subscription.hour, weekday: subscription.weekday, timezone: subscription.timezone, enabled: subscription.enabled,
});

export async function getSubscription(pool: Pool, id: number): Promise<Subscription> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT ${COLUMNS} FROM report_subscriptions s JOIN admin_users u ON u.id = s.admin_user_id WHERE s.id = ?`, [id]);
  if (!rows[0]) throw new NotFoundError(`no subscription ${id}`);
  return fromRow(rows[0]);
}

export async function listSubscriptions(pool: Pool, filter: { enabled?: boolean } = {}): Promise<Subscription[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT ${COLUMNS} FROM report_subscriptions s JOIN admin_users u ON u.id = s.admin_user_id ${filter.enabled === undefined ? '' : 'WHERE s.enabled = ?'} ORDER BY s.id`,
    filter.enabled === undefined ? [] : [filter.enabled],
  );
  return rows.map(fromRow);
}

/** `checkSql` proves a saved query runs under the analyst guard before it is stored (the message names what is wrong). */
export interface SubscriptionChecks extends PageCatalogue {
  checkSql?: (sql: string) => Promise<void>;
}

async function checked(input: SubscriptionInput, checks: SubscriptionChecks): Promise<SubscriptionFields> {
  const fields = checkSubscription(input, checks.pages(), checks.pageName);
  if (fields.target.kind === 'query' && checks.checkSql) {
    try {
      await checks.checkSql(fields.target.sql);
    } catch (error) {
      throw new ReportInputError('sql', (error as Error).message);
    }
  }
  return fields;
}

export async function createSubscription(pool: Pool, owner: string, input: SubscriptionInput, checks: SubscriptionChecks): Promise<Subscription> {
  const fields = await checked(input, checks);
  const id = await withTransaction(pool, async (connection) => {
    const [result] = await connection.query<ResultSetHeader>(
      `INSERT INTO report_subscriptions (admin_user_id, name, email, target_kind, page, query_sql, cadence, hour, weekday, timezone, enabled)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [await staffId(connection, owner), ...values(fields)],
    );
    await recordAudit(connection, { admin: owner, action: 'subscription.create', targetType: 'subscription', targetId: result.insertId, details: audited(fields) });
    return result.insertId;
  });
  return getSubscription(pool, id);
}

/** `admin` changes it (the audit names them). */
export async function updateSubscription(pool: Pool, id: number, change: SubscriptionInput, checks: SubscriptionChecks, admin: string): Promise<Subscription> {
  const stored = await getSubscription(pool, id);
  const current = subscriptionJson(stored);
  const merged: SubscriptionInput = { ...current, ...change };
  // A change of target replaces the other one: a page given drops the stored SQL and the reverse.
  if (change.page !== undefined && change.sql === undefined) delete merged.sql;
  if (change.sql !== undefined && change.page === undefined) delete merged.page;
  if (change.cadence === 'daily' && change.weekday === undefined) delete merged.weekday;
  const fields = await checked(merged, checks);
  await withTransaction(pool, async (connection) => {
    await connection.query(
      'UPDATE report_subscriptions SET name = ?, email = ?, target_kind = ?, page = ?, query_sql = ?, cadence = ?, hour = ?, weekday = ?, timezone = ?, enabled = ? WHERE id = ?',
      [...values(fields), id],
    );
    const changes = auditedChanges(audited(storedFields(stored)), audited(fields));
    await recordAudit(connection, { admin, action: 'subscription.update', targetType: 'subscription', targetId: id, details: { name: fields.name, changes } });
  });
  return getSubscription(pool, id);
}

export async function deleteSubscription(pool: Pool, id: number, admin: string): Promise<void> {
  const stored = await getSubscription(pool, id);
  await withTransaction(pool, async (connection) => {
    const [result] = await connection.query<ResultSetHeader>('DELETE FROM report_subscriptions WHERE id = ?', [id]);
    if (result.affectedRows === 0) throw new NotFoundError(`no subscription ${id}`);
    await recordAudit(connection, { admin, action: 'subscription.delete', targetType: 'subscription', targetId: id, details: { ...audited(storedFields(stored)), owner: stored.owner } });
  });
}

/** Takes an occurrence for this run; false when another run took it (or a later one) first. */
export async function claimOccurrence(pool: Pool, id: number, occurrence: Date): Promise<boolean> {
  const [result] = await pool.query<ResultSetHeader>(
    'UPDATE report_subscriptions SET last_occurrence_at = ? WHERE id = ? AND (last_occurrence_at IS NULL OR last_occurrence_at < ?)',
    [occurrence, id, occurrence],
  );
  return result.affectedRows === 1;
}

/** Whether the subscriptions job has anything to do: without subscriptions it need not open the warehouse. */
export async function anySubscriptionEnabled(pool: Pool): Promise<boolean> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT 1 FROM report_subscriptions WHERE enabled = 1 LIMIT 1');
  return rows.length > 0;
}
