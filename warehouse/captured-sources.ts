// The warehouse holds what change capture lets out of MySQL, and no more: not the tables
// CDC_EXCLUDE_TABLES names (sessions), nor the columns CDC_EXCLUDE_COLUMNS names (password hashes,
// secrets). The loader only ever receives what capture sent; a backfill and a verify read MySQL
// directly, so they apply the same filter here, and a raw table's withheld column is dropped.
import { DEFAULT_EXCLUDED_COLUMNS, DEFAULT_EXCLUDED_TABLES } from '../core/config/index.js';
import { OUTBOX_TABLE } from '../pipelines/cdc/outbox-router.js';
import { TableFilter } from '../pipelines/cdc/topics.js';
import type { SourceTable } from './raw-schema.js';

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
