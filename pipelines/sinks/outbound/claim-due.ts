// The outbound queues (webhook deliveries, emails) live in MySQL tables: due rows are claimed
// with FOR UPDATE SKIP LOCKED, so several workers never take the same row, and leased, so a
// worker dying mid-send leaves the row to be sent again once the lease expires (at-least-once).
import type { Pool, PoolConnection, RowDataPacket } from '../../../marketplace/mysql/connection.js';

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
  /**
   * At most `max` rows in flight per value of `column` (say, per endpoint), counting the `busy`
   * ones the caller already holds. Rows past a group's share are left exactly as they were, only
   * locked until the claim commits: putting claimed rows back would be a second write that races
   * the inserts of new rows.
   */
  perGroup?: { column: 'endpoint_id'; max: number; busy: ReadonlyMap<number, number> };
}

/** Claims up to `limit` due rows (waiting and due, or in flight with an expired lease); returns their ids. */
export async function claimDue(pool: Pool, options: ClaimOptions): Promise<number[]> {
  const connection = await pool.getConnection();
  try {
    await connection.beginTransaction();
    const ids = await claimDueWithin(connection, options);
    await connection.commit();
    return ids;
  } catch (error) {
    await connection.rollback().catch(() => undefined);
    throw error;
  } finally {
    connection.release();
  }
}

/** The claim inside the caller's transaction (a sender can record outcomes in the same commit). */
export async function claimDueWithin(connection: PoolConnection, options: ClaimOptions): Promise<number[]> {
  // Only the queue's own rows are locked: locking a joined parent row too would skip rows
  // whenever an insert elsewhere holds that parent's foreign-key lock.
  const now = options.now ?? null;
  const group = options.perGroup;
  const full = group ? [...group.busy].filter(([, held]) => held >= group.max).map(([value]) => value) : [];
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT id${group ? `, ${group.column} AS grp` : ''} FROM ${options.table}
     WHERE ((status IN (?) AND next_attempt_at <= COALESCE(?, UTC_TIMESTAMP(6))) OR (status IN (?) AND lease_until < COALESCE(?, UTC_TIMESTAMP(6))))
     ${group && full.length > 0 ? `AND ${group.column} NOT IN (?)` : ''}
     ORDER BY next_attempt_at LIMIT ${Math.floor(options.limit)} FOR UPDATE SKIP LOCKED`,
    [options.waiting, now, options.leased ?? [options.inFlight], now, ...(full.length > 0 ? [full] : [])],
  );
  const ids = group ? withinShare(rows, group) : rows.map((row) => Number(row.id));
  if (ids.length > 0) {
    // By primary key, point by point: on a small queue the optimizer scans the whole table for an
    // IN list instead, locking rows the SELECT skipped, among them a row an enqueuer is inserting,
    // which waits on the gap the SELECT locked in the status index: a deadlock every minute or so
    // under a steady stream of new rows.
    await connection.query(
      `UPDATE ${options.table} FORCE INDEX (PRIMARY) SET status = ?, lease_until = COALESCE(?, UTC_TIMESTAMP(6)) + INTERVAL ${Math.floor(options.leaseSeconds)} SECOND WHERE id IN (?)`,
      [options.inFlight, now, ids],
    );
  }
  return ids;
}

/** The ids of the rows each group still has room for, in the order they came. */
function withinShare(rows: RowDataPacket[], group: NonNullable<ClaimOptions['perGroup']>): number[] {
  const held = new Map(group.busy);
  const ids: number[] = [];
  for (const row of rows) {
    const value = Number(row.grp);
    const count = held.get(value) ?? 0;
    if (count >= group.max) continue;
    held.set(value, count + 1);
    ids.push(Number(row.id));
  }
  return ids;
}
