// The initial snapshot: every row of every captured table, read inside one consistent-snapshot
// transaction whose binlog position is known, so streaming can start exactly there (no gap, no
// double). Large tables are read in primary-key order, a chunk at a time, so progress can be
// saved and a crashed snapshot resumed.
import type { ColumnSchema } from '@vlasky/zongji';
import { SourceMisconfigured } from '../../core/errors.js';
import type { Connection, RowDataPacket } from '../../marketplace/mysql/connection.js';
import { normalizeRow, type ColumnTypes } from './column-values.js';
import type { Row } from './envelope.js';
import type { SchemaCache, TableSchema } from './table-schema.js';

export interface SnapshotStart {
  file: string;
  pos: number;
  gtid: string | null;
  serverTimeMs: number;
}

const ident = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/** MySQL 8.2 renamed SHOW MASTER STATUS to SHOW BINARY LOG STATUS, and 8.4 (the LTS) removed the old name. */
export function binlogStatusStatement(mysqlVersion: string): string {
  const [major = 0, minor = 0] = mysqlVersion.split(/[.-]/).map(Number);
  return major > 8 || (major === 8 && minor >= 2) ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS';
}

/**
 * Opens the snapshot transaction and returns the binlog position it is consistent with.
 * MariaDB reports it without any lock (binlog_snapshot_file/position); MySQL needs a brief
 * global read lock around the start of the transaction.
 */
export async function beginSnapshot(connection: Connection, flavour: 'mariadb' | 'mysql'): Promise<SnapshotStart> {
  await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  let file: string;
  let pos: number;
  let gtid: string | null = null;
  if (flavour === 'mariadb') {
    await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const [status] = await connection.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
    const value = (name: string) => String(status.find((row) => String(row.Variable_name).toLowerCase() === name)?.Value ?? '');
    file = value('binlog_snapshot_file');
    pos = Number(value('binlog_snapshot_position'));
    if (!file) throw new SourceMisconfigured(['MYSQL_URL: the server reports no binlog position for a consistent snapshot; is log_bin on?']);
    const [[g]] = await connection.query<RowDataPacket[]>('SELECT BINLOG_GTID_POS(?, ?) AS gtid', [file, pos]);
    gtid = (g?.gtid as string | null) || null;
  } else {
    const [[server]] = await connection.query<RowDataPacket[]>('SELECT VERSION() AS version');
    await connection.query('FLUSH TABLES WITH READ LOCK');
    try {
      await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
      const [[status]] = await connection.query<RowDataPacket[]>(binlogStatusStatement(String(server!.version)));
      file = String(status!.File);
      pos = Number(status!.Position);
      gtid = (status!.Executed_Gtid_Set as string) || null;
    } finally {
      await connection.query('UNLOCK TABLES');
    }
  }
  const [[now]] = await connection.query<RowDataPacket[]>('SELECT UNIX_TIMESTAMP(NOW(3)) * 1000 AS ms');
  return { file, pos, gtid, serverTimeMs: Math.floor(Number(now!.ms)) };
}

/** A table's columns in the form zongji decodes rows with, as information_schema lists them. */
export type TableColumns = ColumnSchema[];

/**
 * Every table's columns now, by `database.table`. Read as the snapshot begins, they are the
 * columns of each table's rows in the binlog from the snapshot's position until its next DDL.
 */
export async function columnsByTable(connection: Connection, database: string): Promise<Map<string, TableColumns>> {
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS tableName, COLUMN_NAME, COLLATION_NAME, CHARACTER_SET_NAME, COLUMN_COMMENT, COLUMN_TYPE
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [database],
  );
  const tables = new Map<string, TableColumns>();
  for (const { tableName, ...column } of rows) {
    const key = `${database}.${String(tableName)}`;
    tables.set(key, [...(tables.get(key) ?? []), column as ColumnSchema]);
  }
  return tables;
}

export async function listTables(connection: Connection, database: string): Promise<string[]> {
  const [rows] = await connection.query<RowDataPacket[]>(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    [database],
  );
  return rows.map((row) => String(row.name));
}

async function countRows(connection: Connection, database: string, table: string): Promise<number> {
  const [[row]] = await connection.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${ident(database)}.${ident(table)}`);
  return Number(row!.n);
}

const ER_NO_SUCH_TABLE = 1146;
const ER_TABLE_DEF_CHANGED = 1412;
const errnoOf = (error: unknown) => (error as { errno?: unknown } | null)?.errno;

/** A table as the snapshot reads it: its columns, its row count, and the connection to read it on. */
export interface SnapshotTable {
  schema: TableSchema;
  total: number;
  connection: Connection;
  /** True when the table is read as it is now, outside the snapshot's transaction. */
  outside: boolean;
  /** Ends the connection the table was given of its own, if any. */
  close(): Promise<void>;
}

/**
 * Opens a listed table for the snapshot, or returns undefined when it is gone (dropped or renamed
 * since the snapshot began: its DDL comes from the binlog). A table whose definition is newer than the
 * snapshot's view (created, or rebuilt by a copying ALTER or TRUNCATE, after the snapshot began)
 * cannot be read in its transaction (ER_TABLE_DEF_CHANGED): it is read as it is now, with its
 * columns read again, on a connection of its own. That is safe because streaming starts at the
 * snapshot's position: every change since comes again from the binlog with a higher version, so
 * sinks end with the same rows; a table created after the point only gets its rows twice.
 * DDL on a table the snapshot has already read waits for the snapshot to end (its transaction
 * holds the table's metadata lock, as mysqldump --single-transaction's does).
 */
export async function openSnapshotTable(
  snapshot: Connection,
  schemas: SchemaCache,
  database: string,
  table: string,
  connect: () => Promise<Connection>,
): Promise<SnapshotTable | undefined> {
  try {
    const found = await tableOn(snapshot, schemas, database, table);
    return found && { ...found, connection: snapshot, outside: false, close: async () => undefined };
  } catch (error) {
    if (errnoOf(error) !== ER_TABLE_DEF_CHANGED) throw error;
  }
  schemas.invalidate(database, table);
  return openCurrentTable(schemas, database, table, connect);
}

/**
 * Opens a table to be read as it is now, on a connection of its own (see openSnapshotTable), or
 * returns undefined when it does not exist.
 */
export async function openCurrentTable(
  schemas: SchemaCache,
  database: string,
  table: string,
  connect: () => Promise<Connection>,
): Promise<SnapshotTable | undefined> {
  const own = await connect();
  try {
    const found = await tableOn(own, schemas, database, table);
    if (found) return { ...found, connection: own, outside: true, close: () => own.end() };
  } catch (error) {
    await own.end().catch(() => undefined);
    throw error;
  }
  await own.end().catch(() => undefined);
  return undefined;
}

/** A table's columns and its row count as `connection` sees it; undefined when it does not exist. */
async function tableOn(connection: Connection, schemas: SchemaCache, database: string, table: string) {
  const schema = await schemas.get(database, table);
  if (!schema) return undefined;
  try {
    return { schema, total: await countRows(connection, database, table) };
  } catch (error) {
    if (errnoOf(error) === ER_NO_SUCH_TABLE) return undefined;
    throw error;
  }
}

export interface SnapshotChunk {
  rows: Row[];
  /** Primary key values of the chunk's last row, as the database returned them (for resuming). */
  lastKey: unknown[] | undefined;
}

/** Reads a table in primary-key order from after `afterKey`; a table without a key in one pass. */
export async function* readTable(
  connection: Connection,
  schema: TableSchema,
  chunkRows: number,
  afterKey?: unknown[],
): AsyncGenerator<SnapshotChunk> {
  const from = `${ident(schema.database)}.${ident(schema.table)}`;
  const key = schema.primaryKey;
  if (key.length === 0) {
    const [rows, fields] = await connection.query<RowDataPacket[]>(`SELECT * FROM ${from}`);
    yield { rows: rows.map((row) => normalizeRow(row, typesOf(fields, schema))), lastKey: undefined };
    return;
  }
  let last = afterKey;
  for (;;) {
    const chunk = await readChunk(connection, schema, chunkRows, last);
    if (chunk.rows.length === 0) return;
    last = chunk.lastKey;
    yield chunk;
    if (chunk.complete) return;
  }
}

/**
 * One chunk of a keyed table in primary-key order after `afterKey`, limited by `where` (an
 * incremental snapshot's condition). `complete` when no row of the table follows it.
 */
export async function readChunk(
  connection: Pick<Connection, 'query'>,
  schema: TableSchema,
  chunkRows: number,
  afterKey?: unknown[],
  where?: string,
): Promise<SnapshotChunk & { complete: boolean }> {
  const key = schema.primaryKey;
  const order = key.map(ident).join(', ');
  const conditions = [
    ...(afterKey ? [key.length === 1 ? `${ident(key[0]!)} > ?` : `(${order}) > (${key.map(() => '?').join(', ')})`] : []),
    ...(where ? [`(${where})`] : []),
  ];
  const sql = `SELECT * FROM ${ident(schema.database)}.${ident(schema.table)}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ${chunkRows}`;
  const [rows, fields] = await connection.query<RowDataPacket[]>(sql, afterKey ?? []);
  const lastKey = rows.length === 0 ? afterKey : key.map((column) => rows[rows.length - 1]![column]);
  return { rows: rows.map((row) => normalizeRow(row, typesOf(fields, schema))), lastKey, complete: rows.length < chunkRows };
}

function typesOf(fields: unknown, schema: TableSchema): ColumnTypes {
  const list = fields as { name: string; columnType?: number; type?: number }[];
  return { codes: new Map(list.map((f) => [f.name, f.columnType ?? f.type ?? 0])), special: schema.special };
}
