// The version rows read in a consistent snapshot carry (a search reindex, a warehouse backfill):
// above every change committed before the snapshot and below every change after it, in the
// ordering of the engine whose events the sinks receive (event-version.ts). The built-in reader's
// versions follow commit time; Debezium's follow GTID sequence numbers (MySQL) or binlog file and
// position (MariaDB), far smaller numbers: a time-based snapshot version would outrank every
// later Debezium event, and the rows a reindex or backfill wrote would never change again.
import type { Connection, RowDataPacket } from '../../marketplace/mysql/connection.js';
import { ORDER_BITS, positionVersion, versionOf } from './event-version.js';

export type CaptureEngine = 'builtin' | 'debezium';

/**
 * Starts a REPEATABLE READ transaction with a consistent snapshot on `connection` and returns the
 * version for the rows read in it.
 */
export async function beginVersionedSnapshot(connection: Connection, engine: CaptureEngine): Promise<bigint> {
  await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  const [[server]] = await connection.query<RowDataPacket[]>('SELECT @@version AS version');
  const mariadb = /mariadb/i.test(String(server!.version));
  // MySQL's position is read before the snapshot starts: a transaction committing in between
  // then counts as newer (its event wins, with the same data), never as older (it would be lost).
  const mysqlBefore = engine === 'debezium' && !mariadb ? await mysqlPositionVersion(connection) : undefined;
  await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
  if (mysqlBefore !== undefined) return mysqlBefore;
  if (engine === 'debezium') {
    // MariaDB reports the binlog position its consistent snapshot corresponds to.
    const [rows] = await connection.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
    const status = new Map(rows.map((row) => [String(row.Variable_name).toLowerCase(), String(row.Value)]));
    const file = status.get('binlog_snapshot_file');
    const pos = Number(status.get('binlog_snapshot_position'));
    // One below the position: a transaction that starts exactly there is newer than the snapshot.
    if (file && Number.isSafeInteger(pos)) return positionVersion(file, pos) - 1n;
  }
  // Whole seconds, as binlog commit times: a change committed later in this same second gets a
  // clock of at least this second's start, so the snapshot version stays below it.
  const [[now]] = await connection.query<RowDataPacket[]>('SELECT UNIX_TIMESTAMP() * 1000 AS ms');
  return versionOf(BigInt(Math.floor(Number(now!.ms))), 0);
}

/** MySQL: with GTIDs, Debezium's events order by GTID sequence number; without, by position. */
async function mysqlPositionVersion(connection: Connection): Promise<bigint> {
  const [[gtid]] = await connection.query<RowDataPacket[]>('SELECT @@GLOBAL.gtid_mode AS mode, @@GLOBAL.gtid_executed AS executed');
  if (String(gtid!.mode).toUpperCase() === 'ON') {
    return ((highestGtidSequence(String(gtid!.executed)) + 1n) << ORDER_BITS) - 1n;
  }
  const [rows] = await connection.query<RowDataPacket[]>('SHOW BINARY LOG STATUS').catch(() => connection.query<RowDataPacket[]>('SHOW MASTER STATUS'));
  const [status] = rows;
  return positionVersion(String(status!.File), Number(status!.Position)) - 1n;
}

/** The highest sequence number in a MySQL GTID set: `uuid:1-57:60-61,uuid2[:tag]:1-3` -> 61. */
export function highestGtidSequence(set: string): bigint {
  let highest = 0n;
  for (const entry of set.split(',')) {
    for (const part of entry.trim().split(':').slice(1)) {
      const interval = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
      if (!interval) continue;
      const end = BigInt(interval[2] ?? interval[1]!);
      if (end > highest) highest = end;
    }
  }
  return highest;
}
