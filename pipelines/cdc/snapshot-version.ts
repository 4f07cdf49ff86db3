// The version rows read in a consistent snapshot carry (a search reindex, a warehouse backfill):
// above every change committed before the snapshot and below every change after it, in the
// ordering of the engine whose events the sinks receive (event-version.ts). The built-in reader's
// versions follow commit time; Debezium's on MariaDB follow binlog file and position, which are
// far smaller numbers: a time-based snapshot version would outrank every later Debezium event,
// and the rows a reindex or backfill wrote would never change again.
import type { Connection, RowDataPacket } from '../../marketplace/mysql/connection.js';
import { positionVersion, versionOf } from './event-version.js';

export type CaptureEngine = 'builtin' | 'debezium';

/** Call inside START TRANSACTION WITH CONSISTENT SNAPSHOT, before reading. */
export async function snapshotVersion(connection: Connection, engine: CaptureEngine): Promise<bigint> {
  if (engine === 'debezium') {
    // MariaDB reports the binlog position its consistent snapshot corresponds to.
    const [rows] = await connection.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
    const status = new Map(rows.map((row) => [String(row.Variable_name).toLowerCase(), String(row.Value)]));
    const file = status.get('binlog_snapshot_file');
    const pos = Number(status.get('binlog_snapshot_position'));
    if (file && Number.isSafeInteger(pos)) {
      // One below the position: a transaction that starts exactly there is newer than the snapshot.
      return positionVersion(file, pos) - 1n;
    }
  }
  // Whole seconds, as binlog commit times: a change committed later in this same second gets a
  // clock of at least this second's start, so the snapshot version stays below it.
  const [[now]] = await connection.query<RowDataPacket[]>('SELECT UNIX_TIMESTAMP() * 1000 AS ms');
  return versionOf(BigInt(Math.floor(Number(now!.ms))), 0);
}
