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

/** A name as a ClickHouse identifier, quoted. */
export const ident = (name: string) => `\`${name.replace(/`/g, '\\`')}\``;

export interface SourceTable {
  table: string;
  columns: SourceColumn[];
  primaryKey: string[];
  /** Columns MySQL has that change capture leaves out (captured-sources.ts): a raw table that has one loses it. */
  withheld?: readonly string[];
}

export async function readSourceTable(pool: Pool, database: string, table: string): Promise<SourceTable | undefined> {
  return (await readSourceTables(pool, database, [table]))[0];
}

/**
 * The database's tables (or those named) as MySQL describes them, in two queries whatever their
 * number: at each start the loader checks every captured table, and a round trip per table was
 * seconds of a restart.
 */
export async function readSourceTables(pool: Pool, database: string, only?: readonly string[]): Promise<SourceTable[]> {
  if (only?.length === 0) return [];
  const which = only ? ' AND TABLE_NAME IN (?)' : '';
  const params = only ? [database, only] : [database];
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS tableName, COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, IS_NULLABLE AS nullable
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?${which} ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    params,
  );
  const [keys] = await pool.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS tableName, COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
     WHERE TABLE_SCHEMA = ?${which} AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    params,
  );
  const primaryKeys = new Map<string, string[]>();
  for (const key of keys) {
    const table = String(key.tableName);
    let primaryKey = primaryKeys.get(table);
    if (!primaryKey) primaryKeys.set(table, primaryKey = []);
    primaryKey.push(String(key.name));
  }
  const tables = new Map<string, SourceTable>();
  for (const row of rows) {
    const table = String(row.tableName);
    let source = tables.get(table);
    if (!source) tables.set(table, source = { table, primaryKey: primaryKeys.get(table) ?? [], columns: [] });
    source.columns.push({
      name: String(row.name), dataType: String(row.dataType), columnType: String(row.columnType),
      // Key columns cannot be Nullable in a ClickHouse sorting key.
      nullable: row.nullable === 'YES' && !source.primaryKey.includes(String(row.name)),
    });
  }
  return [...tables.values()];
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

/** A raw table's column as system.columns has it. */
export interface RawColumn {
  name: string;
  type: string;
}

/** Per raw table named, its columns in their order, in one query however many (a table that is not there is left out). */
export async function rawTableColumns(client: ClickHouseClient, tables: readonly string[]): Promise<Map<string, RawColumn[]>> {
  const result = await client.query({
    query: 'SELECT table, name, type FROM system.columns WHERE database = {db:String} AND has({tables:Array(String)}, table) ORDER BY table, position',
    query_params: { db: RAW_DATABASE, tables }, format: 'JSONEachRow',
  });
  const columns = new Map<string, RawColumn[]>();
  for (const { table, name, type } of await result.json<RawColumn & { table: string }>()) {
    let list = columns.get(table);
    if (!list) columns.set(table, list = []);
    list.push({ name, type });
  }
  return columns;
}

/** Creates the table, or adds the columns MySQL has gained since (ALTER TABLE ... ADD COLUMN); resolves with its columns. */
export async function syncTable(client: ClickHouseClient, source: SourceTable): Promise<RawColumn[]> {
  return (await syncTables(client, [source])).get(source.table)!;
}

/**
 * syncTable for many tables, reading what the warehouse has in one query: a table that is there
 * with every column costs nothing more, so a restart with no schema change issues no DDL.
 */
export async function syncTables(client: ClickHouseClient, sources: readonly SourceTable[]): Promise<Map<string, RawColumn[]>> {
  const existing = await rawTableColumns(client, sources.map((source) => source.table));
  const synced = new Map<string, RawColumn[]>();
  for (const source of sources) {
    let columns = existing.get(source.table);
    if (!columns) {
      await client.command({ query: createTableSql(source) });
      // Made just now, or by another loader meanwhile (then with columns this one may not know).
      columns = (await rawTableColumns(client, [source.table])).get(source.table) ?? [];
    }
    for (const name of source.withheld ?? []) {
      if (!columns.some((column) => column.name === name)) continue;
      // Written by a backfill of an earlier version, which copied every column MySQL has.
      await client.command({ query: `ALTER TABLE ${RAW_DATABASE}.${ident(source.table)} DROP COLUMN IF EXISTS ${ident(name)}` });
      columns = columns.filter((column) => column.name !== name);
    }
    const present = new Set(columns.map((column) => column.name));
    for (const column of source.columns) {
      if (present.has(column.name)) continue;
      // Added columns are Nullable: rows written before the column existed have no value for it.
      const type = clickhouseType({ ...column, nullable: true });
      await client.command({ query: `ALTER TABLE ${RAW_DATABASE}.${ident(source.table)} ADD COLUMN IF NOT EXISTS ${ident(column.name)} ${type}` });
      columns = [...columns, { name: column.name, type }];
      present.add(column.name);
    }
    synced.set(source.table, columns);
  }
  return synced;
}
