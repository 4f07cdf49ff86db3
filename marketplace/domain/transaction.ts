import type { Pool, PoolConnection } from '../mysql/connection.js';

const RETRIABLE_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/** `${code}:${retried|gave_up}` -> how many, since the process started; every series from 0. */
const rolledBack = new Map<string, number>([...RETRIABLE_CODES].flatMap((code) => [[`${code}:retried`, 0], [`${code}:gave_up`, 0]] as const));

/**
 * Transactions InnoDB rolled back for a deadlock or a lock wait, by error code: run again, or
 * given up after the last attempt (the caller got the error). Retrying hides them from callers,
 * so without this count a path that deadlocks on every run would look merely slow.
 */
export function transactionRollbacks(): { code: string; outcome: 'retried' | 'gave_up'; count: number }[] {
  return [...rolledBack].map(([key, count]) => {
    const [code, outcome] = key.split(':') as [string, 'retried' | 'gave_up'];
    return { code, outcome, count };
  });
}

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
      if (!code || !RETRIABLE_CODES.has(code)) throw error;
      const outcome = attempt >= attempts ? 'gave_up' : 'retried';
      rolledBack.set(`${code}:${outcome}`, (rolledBack.get(`${code}:${outcome}`) ?? 0) + 1);
      if (outcome === 'gave_up') throw error;
    } finally {
      connection.release();
    }
  }
}
