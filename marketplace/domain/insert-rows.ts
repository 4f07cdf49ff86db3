import type { PoolConnection, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';

/** Added to an insert's columns when rows are back-dated. */
export const TIMESTAMP_COLUMNS = ['created_at', 'updated_at'] as const;

const autoIncModes = new WeakMap<object, number>();

/**
 * The server's mode, read once per pooled connection. Keyed by the driver's connection: the pool
 * hands out a new promise wrapper on every checkout, so keyed by the wrapper it was read again
 * on every insert (a round trip more for each).
 */
async function autoIncLockMode(connection: PoolConnection): Promise<number> {
  const key: object = connection.connection ?? connection;
  const known = autoIncModes.get(key);
  if (known !== undefined) return known;
  const [[row]] = await connection.query<RowDataPacket[]>('SELECT @@innodb_autoinc_lock_mode AS mode');
  const mode = Number(row!.mode);
  autoIncModes.set(key, mode);
  return mode;
}

/**
 * Inserts rows and returns their AUTO_INCREMENT ids in order. One multi-row INSERT is only
 * known to get consecutive ids with innodb_autoinc_lock_mode 0 or 1 (MariaDB's default); with
 * mode 2 (MySQL 8's default) concurrent inserts may interleave, so rows go in one at a time.
 */
export async function insertRows(
  connection: PoolConnection,
  table: string,
  columns: readonly string[],
  rows: readonly unknown[][],
): Promise<number[]> {
  if (rows.length === 0) return [];
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ?`;
  if ((await autoIncLockMode(connection)) < 2) {
    const [result] = await connection.query<ResultSetHeader>(sql, [rows]);
    return rows.map((_, i) => result.insertId + i);
  }
  const ids: number[] = [];
  for (const row of rows) {
    const [result] = await connection.query<ResultSetHeader>(sql, [[row]]);
    ids.push(result.insertId);
  }
  return ids;
}
