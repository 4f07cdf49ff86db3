import { ConflictError, NotFoundError } from '../../core/errors.js';
import { withTransaction } from '../domain/transaction.js';
import type { Pool, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
import { apiRow } from '../queries/api-row.js';
import { recordAudit } from './audit.js';
import { lockUser } from './lock-user.js';

export interface Warning {
  id: number;
  user_id: number;
  reason: string;
  complaint_id: number | null;
  issued_by: string;
  created_at: string;
}

/** Records a warning to a user (optionally for a complaint about them) and its audit row together. */
export async function warnUser(pool: Pool, admin: string, userId: number, reason: string, complaintId?: number): Promise<Warning> {
  return withTransaction(pool, async (connection) => {
    const user = await lockUser(connection, userId);
    if (user.status === 'deleted') throw new ConflictError(`user ${userId} is deleted; there is nobody to warn`);
    if (complaintId !== undefined) {
      const [complaints] = await connection.query<RowDataPacket[]>('SELECT reported_user_id FROM complaints WHERE id = ?', [complaintId]);
      if (!complaints[0]) throw new NotFoundError(`complaint ${complaintId} does not exist`);
      const about = complaints[0].reported_user_id == null ? null : Number(complaints[0].reported_user_id);
      if (about !== userId) throw new ConflictError(`complaint_id: complaint ${complaintId} is about ${about === null ? 'no user' : `user ${about}`}, not user ${userId}`);
    }
    const [result] = await connection.query<ResultSetHeader>(
      'INSERT INTO user_warnings (user_id, reason, complaint_id, issued_by) VALUES (?, ?, ?, ?)',
      [userId, reason, complaintId ?? null, admin],
    );
    await recordAudit(connection, {
      admin, action: 'user.warn', targetType: 'user', targetId: userId, reason,
      details: { warning_id: result.insertId, complaint_id: complaintId ?? null },
    });
    const [rows] = await connection.query<RowDataPacket[]>('SELECT id, user_id, reason, complaint_id, issued_by, created_at FROM user_warnings WHERE id = ?', [result.insertId]);
    return apiRow<Warning>(rows[0]!);
  });
}
