// Row counts and CHECKSUM TABLE values for a backup's manifest, read in the same state of the
// database as the dump. mariadb-dump cannot share its transaction, so a second transaction is
// opened (WITH CONSISTENT SNAPSHOT) while writes to the database's tables are held off by
// LOCK TABLES ... READ on a third connection, and the lock is let go only once the dump has
// printed its binlog coordinates, i.e. once its own snapshot has started: no write can fall
// between the two snapshots. The hold lasts as long as starting the dump tool (well under a
// second); other databases on the server are not held at all.
import type { Connection } from 'mysql2/promise';
import { connectMysql, type RowDataPacket } from '../mysql/connection.js';
import type { BinlogCoordinates } from './dump-scanner.js';

export interface TableChecksum {
  rows: number;
  /** CHECKSUM TABLE's value as text (it can exceed 2^53); null where the server gives none. */
  checksum: string | null;
}

const quoteName = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/** How long LOCK TABLES may wait for running write transactions before going on without it. */
const LOCK_WAIT_S = 30;

/** Why LOCK TABLES may fail without failing the backup: no LOCK TABLES privilege, or a long write transaction. */
const LOCK_REFUSED = new Set(['ER_TABLEACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_LOCK_WAIT_TIMEOUT', 'ER_SPECIFIC_ACCESS_DENIED_ERROR']);

export class ChecksumSnapshot {
  private released = false;
  /** How long writes to the database were held off, once released. */
  heldMs: number | undefined;

  private constructor(
    private readonly lock: Connection,
    private readonly snapshot: Connection,
    readonly database: string,
    /** The database's base tables (views have no rows of their own). */
    readonly tables: readonly string[],
    /** Where the snapshot sits in the binlog (MariaDB's Binlog_snapshot_*; MySQL: none). */
    readonly binlog: BinlogCoordinates | undefined,
    /** Whether writes are held off; false when LOCK TABLES was refused (see LOCK_REFUSED). */
    readonly locked: boolean,
    private readonly heldSince: number,
  ) {}

  /** Holds off writes to the database's tables and opens a read-only snapshot of them. */
  static async open(url: string, database: string): Promise<ChecksumSnapshot> {
    const lock = await connectMysql(url);
    let snapshot: Connection | undefined;
    try {
      const [tables] = await lock.query<RowDataPacket[]>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'", [database],
      );
      await lock.query(`SET SESSION lock_wait_timeout = ${LOCK_WAIT_S}`);
      let locked = tables.length > 0;
      if (locked) {
        await lock.query(`LOCK TABLES ${tables.map((row) => `${quoteName(String(row.name))} READ`).join(', ')}`).catch((error: unknown) => {
          if (!LOCK_REFUSED.has(String((error as { code?: unknown }).code))) throw error;
          locked = false;
        });
      }
      const lockedAt = performance.now();
      snapshot = await connectMysql(url);
      await snapshot.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      await snapshot.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      const [status] = await snapshot.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
      const value = (name: string) => status.find((row) => String(row.Variable_name).toLowerCase() === name)?.Value as string | undefined;
      const file = value('binlog_snapshot_file');
      const position = value('binlog_snapshot_position');
      const names = tables.map((row) => String(row.name)).sort();
      return new ChecksumSnapshot(lock, snapshot, database, names, file && position ? { file, position: Number(position) } : undefined, locked, lockedAt);
    } catch (error) {
      await snapshot?.end().catch(() => undefined);
      await lock.end().catch(() => undefined);
      throw error;
    }
  }

  /** Lets writes go on; call once the dump's own snapshot has started. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.lock.query('UNLOCK TABLES');
    this.heldMs = Math.round(performance.now() - this.heldSince);
    await this.lock.end();
  }

  /** Whether writes were held until release() (false after a close() without release()). */
  get heldUntilReleased(): boolean {
    return this.released;
  }

  /** Row counts and checksums of every base table, as of the snapshot. */
  async measure(onTable?: (done: number) => void): Promise<Record<string, TableChecksum>> {
    return measureTables(this.snapshot, this.database, this.tables, onTable);
  }

  async close(): Promise<void> {
    if (!this.released) {
      this.released = true;
      await this.lock.end().catch(() => undefined);
    }
    await this.snapshot.query('ROLLBACK').catch(() => undefined);
    await this.snapshot.end().catch(() => undefined);
  }
}

async function measureTables(connection: Connection, database: string, tables: readonly string[], onTable?: (done: number) => void): Promise<Record<string, TableChecksum>> {
  const out: Record<string, TableChecksum> = {};
  for (const [i, name] of tables.entries()) {
    const qualified = `${quoteName(database)}.${quoteName(name)}`;
    const [count] = await connection.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${qualified}`);
    // The connection reads big numbers as text (supportBigNumbers): a checksum is never rounded.
    const [checksum] = await connection.query<RowDataPacket[]>(`CHECKSUM TABLE ${qualified}`);
    const value = checksum[0]?.Checksum;
    out[name] = { rows: Number(count[0]!.n), checksum: value === null || value === undefined ? null : String(value) };
    onTable?.(i + 1);
  }
  return out;
}

/** Row counts and checksums of a database at rest (a scratch restore nothing else writes to). */
export async function checksumTables(url: string, database: string, tables: readonly string[]): Promise<Record<string, TableChecksum>> {
  const connection = await connectMysql(url);
  try {
    return await measureTables(connection, database, tables);
  } finally {
    await connection.end();
  }
}

/** `x.y` of a server version string (10.11.19-MariaDB-0+deb12u1-log -> 10.11): CHECKSUM TABLE's algorithm can change between releases. */
export function releaseSeries(version: string): string {
  return /^(\d+\.\d+)/.exec(version)?.[1] ?? version;
}
