// The moderators' queue of complaints, and closing one: resolved (acted on) or dismissed.
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { withTransaction } from '../domain/transaction.js';
import type { Pool, RowDataPacket } from '../mysql/connection.js';
import { apiRow } from '../queries/api-row.js';
import { equalities, keysetPage, type Page, type PageRequest } from '../queries/keyset-page.js';
import { recordAudit } from './audit.js';

export const COMPLAINT_STATUSES = ['open', 'reviewing', 'resolved', 'dismissed'] as const;
export type ComplaintStatus = (typeof COMPLAINT_STATUSES)[number];

export interface ComplaintRecord {
  id: number;
  reporter_id: number;
  listing_id: number | null;
  reported_user_id: number | null;
  reason: string;
  details: string | null;
  status: ComplaintStatus;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
  /** The staff member working on it, if someone took it. */
  assigned_to: string | null;
}

export interface ComplaintFilter {
  status?: ComplaintStatus;
  reportedUserId?: number;
  listingId?: number;
}

// Who a complaint is assigned to is the newest complaint.assign row of the audit trail (the
// trail already holds who assigned whom and when, so the complaint needs no column of its own).
const SELECT = `SELECT id, reporter_id, listing_id, reported_user_id, reason, details, status, created_at, updated_at, resolved_at,
  (SELECT JSON_UNQUOTE(JSON_EXTRACT(a.details, '$.assignee')) FROM admin_audit a
   WHERE a.target_type = 'complaint' AND a.target_id = complaints.id AND a.action = 'complaint.assign' ORDER BY a.id DESC LIMIT 1) AS assigned_to
  FROM complaints`;

/** Newest first. */
export function listComplaints(pool: Pool, filter: ComplaintFilter, page: PageRequest): Promise<Page<ComplaintRecord>> {
  return keysetPage<ComplaintRecord>(pool, SELECT, equalities({ status: filter.status, reported_user_id: filter.reportedUserId, listing_id: filter.listingId }), page);
}

/** Closes an open (or in-review) complaint; a closed one is left as it is (409). */
export async function closeComplaint(pool: Pool, admin: string, complaintId: number, outcome: 'resolved' | 'dismissed', reason: string): Promise<ComplaintRecord> {
  return withTransaction(pool, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>('SELECT status FROM complaints WHERE id = ? FOR UPDATE', [complaintId]);
    if (!rows[0]) throw new NotFoundError(`complaint ${complaintId} does not exist`);
    const previous = rows[0].status as ComplaintStatus;
    if (previous !== 'open' && previous !== 'reviewing') throw new ConflictError(`complaint ${complaintId} is ${previous} already`);
    await connection.query('UPDATE complaints SET status = ?, resolved_at = UTC_TIMESTAMP(6) WHERE id = ?', [outcome, complaintId]);
    await recordAudit(connection, {
      admin, action: outcome === 'resolved' ? 'complaint.resolve' : 'complaint.dismiss', targetType: 'complaint', targetId: complaintId, reason,
      details: { previous_status: previous },
    });
    const [after] = await connection.query<RowDataPacket[]>(`${SELECT} WHERE id = ?`, [complaintId]);
    return apiRow<ComplaintRecord>(after[0]!);
  });
}

/** Gives an open complaint to a staff member (it goes `reviewing`), or a reviewing one to another. */
export async function assignComplaint(pool: Pool, admin: string, complaintId: number, assignee: string, reason: string | null): Promise<ComplaintRecord> {
  return withTransaction(pool, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>('SELECT status FROM complaints WHERE id = ? FOR UPDATE', [complaintId]);
    if (!rows[0]) throw new NotFoundError(`complaint ${complaintId} does not exist`);
    const previous = rows[0].status as ComplaintStatus;
    if (previous !== 'open' && previous !== 'reviewing') throw new ConflictError(`complaint ${complaintId} is ${previous} already`);
    await connection.query("UPDATE complaints SET status = 'reviewing' WHERE id = ?", [complaintId]);
    await recordAudit(connection, {
      admin, action: 'complaint.assign', targetType: 'complaint', targetId: complaintId, reason, details: { assignee, previous_status: previous },
    });
    const [after] = await connection.query<RowDataPacket[]>(`${SELECT} WHERE id = ?`, [complaintId]);
    return apiRow<ComplaintRecord>(after[0]!);
  });
}
