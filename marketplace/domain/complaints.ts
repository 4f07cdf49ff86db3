import { NotFoundError } from '../../core/errors.js';
import type { Pool, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
import { appendToOutbox } from './outbox.js';
import { withTransaction } from './transaction.js';

export const COMPLAINT_REASONS = ['spam', 'fraud', 'prohibited_item', 'offensive', 'other'] as const;
export type ComplaintReason = (typeof COMPLAINT_REASONS)[number];

export interface NewComplaint {
  reporterId: number;
  listingId?: number | null;
  reportedUserId?: number | null;
  reason: ComplaintReason;
  details?: string | null;
}

/**
 * Files a complaint and writes `complaint.filed` for the moderators. A complaint about a listing
 * is also about its seller, so moderation can see every complaint against a user in one place.
 */
export async function fileComplaint(pool: Pool, complaint: NewComplaint): Promise<number> {
  return withTransaction(pool, async (connection) => {
    let reportedUserId = complaint.reportedUserId ?? null;
    if (complaint.listingId != null) {
      const [rows] = await connection.query<RowDataPacket[]>('SELECT seller_id FROM listings WHERE id = ?', [complaint.listingId]);
      if (!rows[0]) throw new NotFoundError(`listing ${complaint.listingId} does not exist`);
      reportedUserId ??= Number(rows[0].seller_id);
    }
    const [result] = await connection.query<ResultSetHeader>(
      'INSERT INTO complaints (reporter_id, listing_id, reported_user_id, reason, details) VALUES (?, ?, ?, ?, ?)',
      [complaint.reporterId, complaint.listingId ?? null, reportedUserId, complaint.reason, complaint.details ?? null],
    ).catch((error: { code?: string }) => {
      if (error.code === 'ER_NO_REFERENCED_ROW_2') throw new NotFoundError(`user ${reportedUserId} does not exist`);
      throw error;
    });
    await appendToOutbox(connection, [{
      aggregateType: 'complaint', aggregateId: result.insertId, type: 'complaint.filed',
      payload: { id: result.insertId, reporter_id: complaint.reporterId, listing_id: complaint.listingId ?? null, reported_user_id: reportedUserId, reason: complaint.reason },
    }]);
    return result.insertId;
  });
}
