// The loader's fast path: a batch's change events go to ClickHouse as the bytes the bus holds, into a
// Null table per captured table whose materialized views write the raw rows. ClickHouse parses the
// JSON; the loader's JavaScript neither parses nor re-serialises a row, which was most of its time.
// It takes only what the views can map exactly (the built-in reader's row changes, every key a
// column the table has); anything else fails the insert, and the loader then maps the batch in
// JavaScript (raw-rows.ts) as before, so both paths end with the same rows.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from './client.js';
import { CONNECTOR_VERSION } from '../pipelines/cdc/envelope.js';
import { RAW_DATABASE, rawTableColumns, type RawColumn } from './raw-schema.js';

/** Outside raw and marts, so analysts never see it; its tables hold nothing (engine Null). */
export const INTAKE_DATABASE = 'raw_intake';

const ident = (name: string) => `\`${name.replace(/`/g, '\\`')}\``;
const text = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * The intake insert's settings. A key the named tuple lacks (a column MySQL gained) fails the insert,
 * where skipping it would lose the column's values; the JavaScript path then widens the table.
 */
const INSERT_SETTINGS = { date_time_input_format: 'best_effort', input_format_json_ignore_unknown_keys_in_named_tuple: 0, input_format_skip_unknown_fields: 1 } as const;

/** The loader's own columns of every raw table: the row images carry the others. */
const LOADER_COLUMNS = new Set(['_version', '_is_deleted', '_synced_at']);

/**
 * The Null table and its two views for a raw table, named for what they are: a table whose columns
 * change gets a new intake beside the old one, so no insert (of this process or another sharing the
 * group) ever meets a Null table without its views, which would drop its rows silently. The row
 * images are named tuples of the raw table's own column types, so a value parses as the JSON rows'
 * insert parses it.
 */
export function intakeSql(table: string, primaryKey: readonly string[], columns: readonly RawColumn[]): { name: string; statements: string[] } {
  const statements = (name: string) => {
    const input = `${INTAKE_DATABASE}.${ident(name)}`;
    const target = `${RAW_DATABASE}.${ident(table)}`;
    const image = `Tuple(${columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})`;
    const list = [...columns.map((c) => ident(c.name)), '`_version`', '`_is_deleted`', '`_synced_at`'].join(', ');
    const pick = (tuple: string) => columns.map((c) => `tupleElement(${tuple}, ${text(c.name)}) AS ${ident(c.name)}`).join(', ');
    // What the views can map exactly: a row change of the built-in reader, whose version is its
    // source.sequence. A truncate, a Debezium event (its values need converting) or a missing
    // version throws, the insert fails whole, and the loader maps the batch in JavaScript instead.
    const fits = `op IN ('c', 'r', 'u', 'd') AND JSONExtractString(source, 'version') = ${text(CONNECTOR_VERSION)} AND match(JSONExtractString(source, 'sequence'), '^[0-9]+$')`;
    const version = `throwIf(NOT (${fits}), 'not a change the intake maps') + toUInt64(JSONExtractString(source, 'sequence'))`;
    // An update of the primary key also ends the old key's row (as raw-rows.ts does); the built-in
    // reader's updates always carry the before image.
    const keyChanged = primaryKey.map((key) => `tupleElement(before, ${text(key)}) != tupleElement(after, ${text(key)})`).join(' OR ');
    return [
      `CREATE DATABASE IF NOT EXISTS ${INTAKE_DATABASE}`,
      `CREATE TABLE IF NOT EXISTS ${input} (before ${image}, after ${image}, source String, op String) ENGINE = Null`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${INTAKE_DATABASE}.${ident(`${name}__rows`)} TO ${target} (${list}) AS
SELECT ${pick('image')}, _version, _is_deleted, now64(3) AS _synced_at
FROM (SELECT if(op = 'd', before, after) AS image, ${version} AS _version, toUInt8(op = 'd') AS _is_deleted FROM ${input})`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${INTAKE_DATABASE}.${ident(`${name}__old_keys`)} TO ${target} (${list}) AS
SELECT ${pick('before')}, ${version} AS _version, toUInt8(1) AS _is_deleted, now64(3) AS _synced_at
FROM ${input} WHERE op = 'u' AND (${keyChanged})`,
    ];
  };
  const name = `${table}__${createHash('sha256').update(statements('').join('\n')).digest('hex').slice(0, 12)}`;
  return { name, statements: statements(name) };
}

/**
 * Makes the table's intake for the raw table's current columns and drops the table's older ones;
 * resolves with its name. An old Null table goes before its views: an insert another process
 * still sends there then fails (and takes the JavaScript path) instead of meeting a Null table
 * whose views are gone, which would drop its rows silently.
 */
export async function syncIntake(client: ClickHouseClient, table: string, primaryKey: readonly string[]): Promise<string> {
  return (await syncIntakes(client, [{ table, primaryKey }])).get(table)!;
}

/**
 * syncIntake for many tables, reading the raw columns and the intakes there are in two queries: a
 * table whose current intake is whole (its Null table and both views) needs no statement at all.
 */
export async function syncIntakes(client: ClickHouseClient, tables: readonly { table: string; primaryKey: readonly string[] }[]): Promise<Map<string, string>> {
  const columns = await rawTableColumns(client, tables.map(({ table }) => table));
  const present = await intakeObjects(client);
  const names = new Map<string, string>();
  for (const { table, primaryKey } of tables) {
    const own = (columns.get(table) ?? []).filter((column) => !LOADER_COLUMNS.has(column.name));
    const { name, statements } = intakeSql(table, primaryKey, own);
    if (![name, `${name}__rows`, `${name}__old_keys`].every((object) => present.has(object))) {
      for (const query of statements) await client.command({ query });
    }
    for (const stale of olderIntakes(present, table, name)) {
      await client.command({ query: `DROP TABLE IF EXISTS ${INTAKE_DATABASE}.${ident(stale)}` });
      for (const view of [`${stale}__rows`, `${stale}__old_keys`]) await client.command({ query: `DROP VIEW IF EXISTS ${INTAKE_DATABASE}.${ident(view)}` });
    }
    names.set(table, name);
  }
  return names;
}

/** The names of the intake database's tables and views. */
async function intakeObjects(client: ClickHouseClient): Promise<Set<string>> {
  const result = await client.query({
    query: 'SELECT name FROM system.tables WHERE database = {db:String}', query_params: { db: INTAKE_DATABASE }, format: 'JSONEachRow',
  });
  return new Set((await result.json<{ name: string }>()).map((row) => row.name));
}

/** The table's intakes other than `current` (Null tables named `<table>__<12 hex digits>`). */
function olderIntakes(present: ReadonlySet<string>, table: string, current: string): string[] {
  const prefix = `${table}__`;
  return [...present].filter((name) => name !== current && name.startsWith(prefix) && /^[0-9a-f]{12}$/.test(name.slice(prefix.length)));
}

const NEWLINE = Buffer.from('\n');

/** The messages' bodies as JSONEachRow (each body is one line of JSON); null when one has no body. */
export function intakeBody(values: readonly (Buffer | null)[]): Buffer | null {
  const parts: Buffer[] = [];
  for (const value of values) {
    if (!value) return null;
    parts.push(value, NEWLINE);
  }
  return Buffer.concat(parts);
}

/** Inserts the change events into an intake (syncIntake's name); throws what ClickHouse says if it refused them. */
export async function insertIntake(client: ClickHouseClient, intake: string, body: Buffer): Promise<void> {
  // A plain name in this form is handed to chDB as bytes, the settings in the statement's own
  // SETTINGS clause (chdb/scoped-settings-connection.ts); over HTTP they are the request's.
  const name = /^[A-Za-z0-9_]+$/.test(intake) ? intake : ident(intake);
  const result = await client.exec({
    query: `INSERT INTO ${INTAKE_DATABASE}.${name} FORMAT JSONEachRow`, values: Readable.from([body]), clickhouse_settings: INSERT_SETTINGS,
  });
  // Read to the end, so an HTTP connection goes back to the pool.
  for await (const _ of result.stream) { /* nothing comes back from an insert */ }
}
