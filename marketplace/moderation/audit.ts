// The admin audit trail: one row per staff action, written on the connection (and so in the
// transaction) of the change it records.
import type { Pool, PoolConnection, ResultSetHeader } from '../mysql/connection.js';
import { keysetPage, equalities, type Page, type PageRequest } from '../queries/keyset-page.js';

export { AUDIT_ACTIONS, AUDIT_TARGET_TYPES, type AuditAction, type AuditTargetType } from './audit-vocabulary.js';
import type { AuditAction, AuditTargetType } from './audit-vocabulary.js';

export interface AuditEntry {
  /** The admin's username, from the session. */
  admin: string;
  action: AuditAction;
  targetType: AuditTargetType;
  /** Absent for a target known by name (a consumer group): its name goes in `details`. */
  targetId?: number;
  reason?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditRecord {
  id: number;
  admin: string;
  action: AuditAction;
  target_type: AuditTargetType;
  target_id: number | null;
  reason: string | null;
  details: Record<string, unknown> | null;
  created_at: string;
}

export interface AuditFilter {
  admin?: string;
  action?: AuditAction;
  targetType?: AuditTargetType;
  targetId?: number;
  /** ISO 8601 times: rows at or after `since`, before `until`. */
  since?: string;
  until?: string;
}

export async function recordAudit(connection: Pool | PoolConnection, entry: AuditEntry): Promise<number> {
  const [result] = await connection.query<ResultSetHeader>(
    'INSERT INTO admin_audit (admin_username, action, target_type, target_id, reason, details) VALUES (?, ?, ?, ?, ?, ?)',
    [entry.admin, entry.action, entry.targetType, entry.targetId ?? null, entry.reason ?? null, entry.details ? JSON.stringify(entry.details) : null],
  );
  return result.insertId;
}

/** MariaDB's DATETIME literal for an ISO time, in UTC like every stored time. */
function toUtcDatetime(iso: string): string {
  return new Date(iso).toISOString().replace('T', ' ').replace('Z', '');
}

/** Newest first. */
export async function listAudit(pool: Pool, filter: AuditFilter, page: PageRequest): Promise<Page<AuditRecord>> {
  const where = equalities({ admin_username: filter.admin, action: filter.action, target_type: filter.targetType, target_id: filter.targetId });
  for (const [bound, operator] of [[filter.since, '>='], [filter.until, '<']] as const) {
    if (bound === undefined) continue;
    where.conditions.push(`created_at ${operator} ?`);
    where.params.push(toUtcDatetime(bound));
  }
  const result = await keysetPage<AuditRecord>(
    pool,
    'SELECT id, admin_username AS admin, action, target_type, target_id, reason, details, created_at FROM admin_audit',
    where,
    page,
  );
  // MariaDB keeps JSON as text.
  for (const item of result.items) if (typeof item.details === 'string') item.details = JSON.parse(item.details) as Record<string, unknown>;
  return result;
}
