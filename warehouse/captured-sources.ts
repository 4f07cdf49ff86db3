// The warehouse holds what change capture lets out of MySQL, and no more: not the tables
// CDC_EXCLUDE_TABLES names (sessions), nor the columns CDC_EXCLUDE_COLUMNS names (password hashes,
// secrets). The loader only ever receives what capture sent; a backfill and a verify read MySQL
// directly, so they apply the same filter here, and a raw table's withheld column is dropped.
import { DEFAULT_EXCLUDED_COLUMNS, DEFAULT_EXCLUDED_TABLES } from '../core/config/index.js';
import { OUTBOX_TABLE } from '../pipelines/cdc/outbox-router.js';
import { TableFilter } from '../pipelines/cdc/topics.js';
import type { ClickHouseClient } from './client.js';
import { RAW_DATABASE, type SourceTable } from './raw-schema.js';

/** The platform's default filter, for callers that were given none. */
export function defaultCaptureFilter(database: string): TableFilter {
  return new TableFilter({ database, include: [], exclude: DEFAULT_EXCLUDED_TABLES, excludeColumns: DEFAULT_EXCLUDED_COLUMNS });
}

/** Whether the table's changes reach the warehouse as rows (the outbox's leave as domain events). */
export function isCapturedTable(filter: TableFilter, database: string, table: string): boolean {
  return table !== OUTBOX_TABLE && filter.accepts(database, table);
}

/** The table as the warehouse holds it: without the columns capture leaves out, which are named as withheld. */
export function capturedSource(filter: TableFilter, database: string, source: SourceTable): SourceTable {
  const dropped = filter.droppedColumns(database, source.table);
  if (dropped.size === 0) return source;
  return {
    ...source,
    columns: source.columns.filter((column) => !dropped.has(column.name) || source.primaryKey.includes(column.name)),
    withheld: [...dropped].filter((name) => !source.primaryKey.includes(name)),
  };
}

/**
 * Raw tables of tables capture leaves out that hold rows: copied by a backfill of an earlier
 * version, or captured before the table was excluded. Not dropped here (they may be history the
 * owner wants), but named, since analysts can read them.
 */
export async function excludedTablesWithRows(client: ClickHouseClient, filter: TableFilter, database: string): Promise<{ table: string; rows: number }[]> {
  const excluded = filter.excludedTables(database);
  if (excluded.length === 0) return [];
  const result = await client.query({
    query: 'SELECT name AS table, total_rows AS rows FROM system.tables WHERE database = {db:String} AND has({names:Array(String)}, name) AND total_rows > 0 ORDER BY name',
    query_params: { db: RAW_DATABASE, names: excluded }, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  return result.json<{ table: string; rows: number }>();
}
