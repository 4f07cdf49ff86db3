// The raw layer: one ReplacingMergeTree table per captured MySQL table, created and widened from
// the source schema, plus an append-only table of domain events. `SELECT ... FINAL` (or the marts)
// read the latest version of each row; deleted rows carry _is_deleted = 1.
import type { Pool, RowDataPacket } from '../marketplace/mysql/connection.js';
import type { ClickHouseClient } from './client.js';
import { clickhouseType, type SourceColumn } from './type-mapping.js';

export const RAW_DATABASE = 'raw';
export const EVENTS_TABLE = 'domain_events';
/**
 * Per raw table, the version of its last TRUNCATE: rows older than it are deleted, and stay so
 * when their events arrive late from another partition (Debezium sends a truncate on one).
 */
export const TRUNCATIONS_TABLE = '_truncations';

const ident = (name: string) => `\`${name.replace(/`/g, '\\`')}\``;

export interface SourceTable {
  table: string;
  columns: SourceColumn[];
  primaryKey: string[];
}

export async function readSourceTable(pool: Pool, database: string, table: string): Promise<SourceTable | undefined> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, IS_NULLABLE AS nullable, COLUMN_KEY AS columnKey
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [database, table],
  );
  if (rows.length === 0) return undefined;
  const [keys] = await pool.query<RowDataPacket[]>(
    "SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
    [database, table],
  );
  const primaryKey = keys.map((k) => String(k.name));
  return {
    table,
    primaryKey,
    columns: rows.map((row) => ({
      name: String(row.name), dataType: String(row.dataType), columnType: String(row.columnType),
      // Key columns cannot be Nullable in a ClickHouse sorting key.
      nullable: row.nullable === 'YES' && !primaryKey.includes(String(row.name)),
    })),
  };
}

export function createTableSql(source: SourceTable): string {
  const columns = source.columns.map((c) => `${ident(c.name)} ${clickhouseType(c)}`);
  return `CREATE TABLE IF NOT EXISTS ${RAW_DATABASE}.${ident(source.table)} (
  ${[...columns, '`_version` UInt64', '`_is_deleted` UInt8', "`_synced_at` DateTime64(3, 'UTC')"].join(',\n  ')}
) ENGINE = ReplacingMergeTree(_version, _is_deleted)
ORDER BY (${source.primaryKey.map(ident).join(', ')})`;
}

export async function ensureRawDatabase(client: ClickHouseClient): Promise<void> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${RAW_DATABASE}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${RAW_DATABASE}.${EVENTS_TABLE} (
  id String, type LowCardinality(String), aggregate_type LowCardinality(String), aggregate_id String,
  created_at DateTime64(6, 'UTC'), payload String, _synced_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree ORDER BY (aggregate_type, created_at, id)`,
  });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${RAW_DATABASE}.${TRUNCATIONS_TABLE} (\`table\` String, below UInt64)
ENGINE = ReplacingMergeTree(below) ORDER BY \`table\``,
  });
}

/** Columns the warehouse table has now. */
export async function warehouseColumns(client: ClickHouseClient, table: string): Promise<Set<string>> {
  const result = await client.query({
    query: 'SELECT name FROM system.columns WHERE database = {db:String} AND table = {table:String}',
    query_params: { db: RAW_DATABASE, table }, format: 'JSONEachRow',
  });
  return new Set((await result.json<{ name: string }>()).map((r) => r.name));
}

/** Creates the table, or adds the columns MySQL has gained since (ALTER TABLE ... ADD COLUMN). */
export async function syncTable(client: ClickHouseClient, source: SourceTable): Promise<Set<string>> {
  await client.command({ query: createTableSql(source) });
  const existing = await warehouseColumns(client, source.table);
  for (const column of source.columns) {
    if (existing.has(column.name)) continue;
    // Added columns are Nullable: rows written before the column existed have no value for it.
    await client.command({ query: `ALTER TABLE ${RAW_DATABASE}.${ident(source.table)} ADD COLUMN IF NOT EXISTS ${ident(column.name)} ${clickhouseType({ ...column, nullable: true })}` });
    existing.add(column.name);
  }
  return existing;
}
