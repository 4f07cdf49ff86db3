// `steveslist warehouse backfill [table]` and `verify`: reload raw tables from MySQL (consistent
// snapshot, versioned so live changes committed afterwards still win), and compare the warehouse
// with MySQL table by table.
import { UsageError } from '../core/errors.js';
import { createProgress, type Progress } from '../core/progress.js';
import { connectMysql, type Connection, type Pool, type RowDataPacket } from '../marketplace/mysql/connection.js';
import { normalizeRow, type ColumnTypes } from '../pipelines/cdc/column-values.js';
import { beginVersionedSnapshot, type CaptureEngine } from '../pipelines/cdc/snapshot-version.js';
import type { TableFilter } from '../pipelines/cdc/topics.js';
import { capturedSource, defaultCaptureFilter, isCapturedTable } from './captured-sources.js';
import type { ClickHouseClient } from './client.js';
import { insertTsv } from './raw-insert.js';
import { ensureRawDatabase, RAW_DATABASE, readSourceTable, syncTable } from './raw-schema.js';
import { syncedAtText, TsvBody, TsvRows } from './raw-tsv.js';

export interface BackfillOptions {
  url: string;
  pool: Pool;
  database: string;
  client: ClickHouseClient;
  tables?: string[];
  chunkRows?: number;
  progress?: (label: string, total: number) => Progress;
  /** The change-capture engine feeding the warehouse: the rows' versions follow its ordering. */
  engine?: CaptureEngine;
  /**
   * What change capture lets out (CDC_INCLUDE_TABLES, CDC_EXCLUDE_TABLES, CDC_EXCLUDE_COLUMNS;
   * default the platform's): the warehouse gets no more from a backfill than from the loader.
   */
  filter?: TableFilter;
}

const ident = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/**
 * The tables named (a table capture never lets out is refused, by name), or every table capture
 * reads. A table a signal added beyond CDC_INCLUDE_TABLES is named to be included.
 */
async function tablesToCompare(options: BackfillOptions, filter: TableFilter): Promise<string[]> {
  if (options.tables?.length) {
    const excluded = options.tables.filter((table) => filter.excludes(options.database, table));
    if (excluded.length > 0) {
      throw new UsageError(`${excluded.join(', ')}: left out of change capture by CDC_EXCLUDE_TABLES, so never copied to the warehouse (their rows are credentials or internal); name captured tables only`);
    }
    return options.tables;
  }
  const [rows] = await options.pool.query<RowDataPacket[]>(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    [options.database],
  );
  return rows.map((r) => String(r.name)).filter((table) => isCapturedTable(filter, options.database, table));
}

async function* chunks(connection: Connection, table: string, key: string[], chunkRows: number): AsyncGenerator<Record<string, unknown>[]> {
  const order = key.map(ident).join(', ');
  const after = key.length === 1 ? `${ident(key[0]!)} > ?` : `(${order}) > (${key.map(() => '?').join(', ')})`;
  let last: unknown[] | undefined;
  for (;;) {
    const [rows, fields] = await connection.query<RowDataPacket[]>(
      `SELECT * FROM ${ident(table)}${last ? ` WHERE ${after}` : ''} ORDER BY ${order} LIMIT ${chunkRows}`, last ?? [],
    );
    if (rows.length === 0) return;
    last = key.map((column) => rows[rows.length - 1]![column]);
    const types: ColumnTypes = { codes: new Map(fields.map((f) => [f.name, (f as { columnType?: number }).columnType ?? f.type ?? 0])), special: new Map() };
    yield rows.map((row) => normalizeRow(row, types));
    if (rows.length < chunkRows) return;
  }
}

export async function backfill(options: BackfillOptions): Promise<{ table: string; rows: number }[]> {
  const filter = options.filter ?? defaultCaptureFilter(options.database);
  const tables = await tablesToCompare(options, filter);
  await ensureRawDatabase(options.client);
  const connection = await connectMysql(options.url, { cdcValues: true });
  const done: { table: string; rows: number }[] = [];
  try {
    // Any change committed after this snapshot has a version above the backfilled rows', so the
    // loader's newer rows keep winning.
    const version = (await beginVersionedSnapshot(connection, options.engine ?? 'builtin')).toString();
    for (const table of tables) {
      const found = await readSourceTable(options.pool, options.database, table);
      if (!found || found.primaryKey.length === 0) continue;
      const source = capturedSource(filter, options.database, found);
      const tsv = new TsvRows(await syncTable(options.client, source));
      const [[count]] = await connection.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${ident(table)}`);
      const progress = (options.progress ?? ((label, total) => createProgress({ label, total })))(`backfill ${table}`, Number(count!.n));
      let rows = 0;
      const syncedAt = syncedAtText(Date.now());
      for await (const chunk of chunks(connection, table, source.primaryKey, options.chunkRows ?? 10_000)) {
        // The rows as the loader writes them (raw-tsv.ts), so a backfilled row and a loaded one read the same.
        const body = new TsvBody();
        for (const row of chunk) body.add(tsv.line(filter.strip(options.database, table, row)!, version, false, syncedAt));
        await insertTsv(options.client, table, tsv.names, body.take());
        rows += chunk.length;
        progress.update(rows);
      }
      progress.finish();
      done.push({ table, rows });
    }
    await connection.query('COMMIT');
    return done;
  } finally {
    await connection.end().catch(() => undefined);
  }
}

export interface TableReport {
  table: string;
  mysqlRows: number;
  warehouseRows: number;
  /** Primary keys in MySQL but not (or deleted) in the warehouse, at most 10. */
  missing: string[];
  /** Live in the warehouse but not in MySQL, at most 10. */
  phantom: string[];
  /** In both, with another updated_at (tables that have one), at most 10. */
  different: string[];
}

/** Compares live rows table by table: counts, then the primary keys themselves. */
export async function verifyWarehouse(options: Omit<BackfillOptions, 'chunkRows' | 'progress'>): Promise<TableReport[]> {
  const tables = await tablesToCompare(options, options.filter ?? defaultCaptureFilter(options.database));
  const reports: TableReport[] = [];
  for (const table of tables) {
    const source = await readSourceTable(options.pool, options.database, table);
    if (!source || source.primaryKey.length === 0) continue;
    const keyOf = (row: Record<string, unknown>) => source.primaryKey.map((c) => String(row[c])).join('/');
    // Rows are compared by key and, where the table has one, by updated_at (the same text on both
    // sides): a row the warehouse holds in an older state shows up as different.
    const stamped = source.columns.some((c) => c.name === 'updated_at');
    const keys = source.primaryKey.map(ident).join(', ');
    const [mysqlRows] = await options.pool.query<RowDataPacket[]>(
      `SELECT ${keys}${stamped ? ", DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f') AS stamp" : ''} FROM ${ident(table)}`,
    );
    const mysql = new Map(mysqlRows.map((row) => [keyOf(row), String(row.stamp ?? '')]));
    let warehouse = new Map<string, string>();
    try {
      const result = await options.client.query({
        query: `SELECT ${keys}${stamped ? ", toString(updated_at) AS stamp" : ''} FROM ${RAW_DATABASE}.${ident(table)} FINAL WHERE _is_deleted = 0`,
        format: 'JSONEachRow',
      });
      warehouse = new Map((await result.json<Record<string, unknown>>()).map((row) => [keyOf(row), String(row.stamp ?? '')]));
    } catch {
      // No such table in the warehouse yet: every MySQL row is missing.
    }
    reports.push({
      table, mysqlRows: mysql.size, warehouseRows: warehouse.size,
      missing: [...mysql.keys()].filter((k) => !warehouse.has(k)).slice(0, 10),
      phantom: [...warehouse.keys()].filter((k) => !mysql.has(k)).slice(0, 10),
      different: [...mysql].filter(([k, stamp]) => warehouse.has(k) && warehouse.get(k) !== stamp).map(([k]) => k).slice(0, 10),
    });
  }
  return reports;
}
