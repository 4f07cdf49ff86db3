import type { Pool, PoolConnection } from '../mysql/connection.js';

const RETRIABLE_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/**
 * Runs `work` in one transaction. InnoDB resolves deadlocks by rolling one side back; that side
 * is safe to run again from the start, so it is retried a few times before giving up.
 * READ COMMITTED suits work that locks the rows it depends on itself: its scans then take no gap
 * locks, which otherwise make concurrent inserters into one index wait on each other in a cycle.
 */
export async function withTransaction<T>(pool: Pool, work: (connection: PoolConnection) => Promise<T>, attempts = 4, isolation?: 'READ COMMITTED'): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const connection = await pool.getConnection();
    try {
      // For the next transaction only: the pooled connection's session keeps its own level.
      if (isolation) await connection.query(`SET TRANSACTION ISOLATION LEVEL ${isolation}`);
      await connection.beginTransaction();
      const result = await work(connection);
      await connection.commit();
      return result;
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      const code = (error as { code?: string }).code;
      if (attempt >= attempts || !code || !RETRIABLE_CODES.has(code)) throw error;
    } finally {
      connection.release();
    }
  }
}
