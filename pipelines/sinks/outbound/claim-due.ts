// The outbound queues (webhook deliveries, emails) live in MySQL tables: due rows are claimed
// with FOR UPDATE SKIP LOCKED, so several workers never take the same row, and leased, so a
// worker dying mid-send leaves the row to be sent again once the lease expires (at-least-once).
import type { Pool, RowDataPacket } from '../../../marketplace/mysql/connection.js';

export interface ClaimOptions {
  table: 'webhook_deliveries' | 'email_messages';
  /** Statuses of rows waiting for their next attempt. */
  waiting: readonly string[];
  /** The status a claimed row takes while it is being sent. */
  inFlight: string;
  /**
   * Every status a row can hold under a lease (default: `inFlight` alone): a sender that dies in
   * any of them leaves a row to be claimed again once its lease expires.
   */
  leased?: readonly string[];
  leaseSeconds: number;
  limit: number;
  /** The sender's clock; without it, the database's. */
  now?: Date;
  /** Rows whose `column` holds one of `values` are left for later (say, an endpoint with enough sends in flight). */
  skip?: { column: 'endpoint_id'; values: readonly number[] };
}

/** Claims up to `limit` due rows (waiting and due, or in flight with an expired lease); returns their ids. */
export async function claimDue(pool: Pool, options: ClaimOptions): Promise<number[]> {
  const connection = await pool.getConnection();
  try {
    await connection.beginTransaction();
    // Only the queue's own rows are locked: locking a joined parent row too would skip rows
    // whenever an insert elsewhere holds that parent's foreign-key lock.
    const now = options.now ?? null;
    const skip = options.skip && options.skip.values.length > 0 ? options.skip : undefined;
    const [rows] = await connection.query<RowDataPacket[]>(
      `SELECT id FROM ${options.table}
       WHERE ((status IN (?) AND next_attempt_at <= COALESCE(?, UTC_TIMESTAMP(6))) OR (status IN (?) AND lease_until < COALESCE(?, UTC_TIMESTAMP(6))))
       ${skip ? `AND ${skip.column} NOT IN (?)` : ''}
       ORDER BY next_attempt_at LIMIT ${Math.floor(options.limit)} FOR UPDATE SKIP LOCKED`,
      [options.waiting, now, options.leased ?? [options.inFlight], now, ...(skip ? [skip.values] : [])],
    );
    const ids = rows.map((row) => Number(row.id));
    if (ids.length > 0) {
      await connection.query(
        `UPDATE ${options.table} SET status = ?, lease_until = COALESCE(?, UTC_TIMESTAMP(6)) + INTERVAL ${Math.floor(options.leaseSeconds)} SECOND WHERE id IN (?)`,
        [options.inFlight, now, ids],
      );
    }
    await connection.commit();
    return ids;
  } catch (error) {
    await connection.rollback().catch(() => undefined);
    throw error;
  } finally {
    connection.release();
  }
}
