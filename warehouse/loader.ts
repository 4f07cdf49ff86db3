// The warehouse loader: a consumer group on every table topic and the domain-event topics that
// inserts batches into the raw layer. Each row carries its event's version, so redelivered and
// reordered events collapse to the newest one (ReplacingMergeTree); inserts are idempotent.
import { SinkUnavailable } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { RoleReporter } from '../core/role-health.js';
import type { Pool } from '../marketplace/mysql/connection.js';
import type { Bus, BusMessage } from '../pipelines/bus/port.js';
import type { ChangeEnvelope, Row } from '../pipelines/cdc/envelope.js';
import { eventVersion } from '../pipelines/cdc/event-version.js';
import { debeziumColumns } from '../pipelines/cdc/debezium/builtin-row.js';
import type { DomainEventMessage } from '../pipelines/cdc/outbox-router.js';
import { eventsTopicPattern, tableTopicPattern, type TableFilter } from '../pipelines/cdc/topics.js';
import { CoalescedWrites } from '../pipelines/consumers/coalesced-writes.js';
import { ConsumerRunner } from '../pipelines/consumers/runner.js';
import { parseMessage } from '../pipelines/consumers/parse-message.js';
import { capturedSource, defaultCaptureFilter, excludedTablesWithRows, isCapturedTable } from './captured-sources.js';
import type { ClickHouseClient } from './client.js';
import { ensureMarts } from './marts.js';
import { ensureRawDatabase, EVENTS_TABLE, ident, RAW_DATABASE, readSourceTable, readSourceTables, syncTables, TRUNCATIONS_TABLE, type SourceTable } from './raw-schema.js';
import { changeImages, domainEventRow, type RowShape } from './raw-rows.js';
import { insertRows, insertTsv } from './raw-insert.js';
import { syncedAtText, TsvBody, TsvRows } from './raw-tsv.js';

export const WAREHOUSE_GROUP = 'warehouse-loader';

export interface LoaderOptions {
  bus: Bus;
  client: ClickHouseClient;
  /** The marketplace database: the raw tables follow its schema. */
  pool: Pool;
  database: string;
  topicPrefix: string;
  log: Logger;
  /** Told of failing batches and dead letters, so /health shows the group degraded. */
  health?: RoleReporter;
  /** Default WAREHOUSE_GROUP; another group loads the same topics again (the benches compare paths so). */
  group?: string;
  /**
   * A session of its own for the sweep of every captured table and the marts (default: client).
   * chDB runs one statement at a time per session: on the batches' session, the sweep's hundreds
   * of statements at a fresh start queued ahead of their inserts, 1-3 s each while MariaDB wrote flat out.
   */
  schemaClient?: ClickHouseClient;
  /** What change capture lets out (default the platform's): the start makes raw tables for those tables, without the columns it leaves out. */
  filter?: TableFilter;
}

/**
 * A merged insert's bound: the partitions' batches of one table (5,000 rows at most each) are
 * merged while the insert before runs, up to this much TSV a statement.
 */
const MAX_INSERT_BYTES = 64 * 1024 * 1024;
/** The same for the domain events' rows, which go as JSON objects. */
const MAX_EVENT_ROWS = 50_000;

/** One batch's rows of a table, and the oldest version among them (truncation marks are checked against it). */
interface TsvPart {
  body: Buffer;
  oldest: bigint;
}

/** What the loader knows of a captured table: how its rows are written, and what the row mapping needs. */
interface TableShape extends RowShape {
  tsv: TsvRows;
}

/** The raw tables made or widened for the source tables. */
async function syncShapes(client: ClickHouseClient, sources: readonly SourceTable[]): Promise<Map<string, TableShape>> {
  const columns = await syncTables(client, sources);
  return new Map(sources.map((source) => [source.table, {
    tsv: new TsvRows(columns.get(source.table)!), primaryKey: source.primaryKey, debezium: debeziumColumns(source.columns),
  }]));
}

/**
 * Made by earlier versions, whose loader handed the envelopes' JSON to materialized views there
 * (ClickHouse took about twice the CPU to read that JSON as to read the same rows as TSV). Its
 * tables never held a row.
 */
const OLD_INTAKE_DATABASE = 'raw_intake';

/** Drops what an earlier version left, if it is there; a user who may not drop it is told, and loading goes on. */
async function dropOldIntake(client: ClickHouseClient, log: Logger): Promise<void> {
  const found = await client.query({ query: 'SELECT name FROM system.databases WHERE name = {db:String}', query_params: { db: OLD_INTAKE_DATABASE }, format: 'JSONEachRow' });
  if ((await found.json()).length === 0) return;
  await client.command({ query: `DROP DATABASE IF EXISTS ${OLD_INTAKE_DATABASE}` }).catch((error: unknown) => {
    log.warn({ database: OLD_INTAKE_DATABASE, error: (error as Error).message }, 'could not drop the database earlier versions wrote through (it holds no rows); drop it by hand');
  });
}

export function startWarehouseLoader(options: LoaderOptions): ConsumerRunner {
  const tablePrefix = `${options.topicPrefix}.${options.database}.`;
  const eventsPrefix = `${options.topicPrefix}.events.`;
  const filter = options.filter ?? defaultCaptureFilter(options.database);
  const known = new Map<string, TableShape>();
  /** Tables being synced now: the partitions' first batches of a table sync it once. */
  const syncing = new Map<string, Promise<TableShape | undefined>>();
  /** Excluded tables whose changes came anyway: said once each. */
  const refused = new Set<string>();
  let ready: Promise<void> | undefined;
  let swept: Promise<void> | undefined;

  /** The table's raw table made or widened from what MySQL says of it now. */
  const syncOne = (table: string): Promise<TableShape | undefined> => {
    let pending = syncing.get(table);
    if (!pending) {
      pending = (async () => {
        const source = await readSourceTable(options.pool, options.database, table);
        if (!source || source.primaryKey.length === 0) return undefined;
        // Its changes came, so it is captured (a signal may have added it): only its columns are filtered.
        const synced = (await syncShapes(options.client, [capturedSource(filter, options.database, source)])).get(table)!;
        known.set(table, synced);
        return synced;
      })().finally(() => syncing.delete(table));
      syncing.set(table, pending);
    }
    return pending;
  };

  /**
   * Raw tables for every captured table, then the marts over them, beside the batches rather than
   * before them: a batch syncs its own table when it comes. At a fresh start this is hundreds of
   * statements, each waiting for its turn on a main thread that is busy with a backlog; ahead of
   * the first batch it held the warehouse back 36 s while MariaDB wrote flat out.
   */
  const sweep = async () => {
    const sources = (await readSourceTables(options.pool, options.database))
      .filter((source) => source.primaryKey.length > 0 && isCapturedTable(filter, options.database, source.table) && !known.has(source.table))
      .map((source) => capturedSource(filter, options.database, source));
    const client = options.schemaClient ?? options.client;
    for (const [table, shape] of await syncShapes(client, sources)) if (!known.has(table)) known.set(table, shape);
    for (const { table, rows } of await excludedTablesWithRows(client, filter, options.database)) {
      options.log.warn({ table: `${RAW_DATABASE}.${table}`, rows },
        `the warehouse holds rows of ${table}, which CDC_EXCLUDE_TABLES leaves out (copied by an earlier version's backfill, or captured before it was excluded); analysts can read them: drop the table if they should not`);
    }
    await dropOldIntake(client, options.log);
    // Marts already there are not asked to refresh: chDB refreshes every one as it opens the
    // folder (it keeps no refresh times across a restart) and a ClickHouse server keeps their
    // schedule. Asked during that refresh, each ran a second one after it: 8.5 s more CPU at every
    // start with marts over 1M listings and 10M orders, while the backlog waited for the cores.
    for (const { name, error } of await ensureMarts(client, { refresh: false })) options.log.warn({ mart: name, error }, 'mart not made');
  };

  const deleteOlder = async (table: string, below: bigint) => {
    await options.client.command({ query: `DELETE FROM ${RAW_DATABASE}.${ident(table)} WHERE _version < ${below}` }).catch((error: unknown) => {
      // A table truncated before any of its rows reached the warehouse has nothing to delete.
      if (/UNKNOWN_TABLE|does ?n[o']t exist/i.test((error as Error).message)) return;
      throw new SinkUnavailable(`warehouse: deleting ${table}'s rows older than its truncate failed: ${(error as Error).message}`, { cause: error });
    });
  };

  /** The version below which a truncate already applied (from another partition) voids the table's rows; 0 for none. */
  const truncatedBelow = async (table: string) => {
    const result = await options.client.query({
      query: `SELECT max(below) AS below FROM ${RAW_DATABASE}.${TRUNCATIONS_TABLE} WHERE \`table\` = {table:String}`,
      query_params: { table }, format: 'JSONEachRow',
    });
    return BigInt((await result.json<{ below: string }>())[0]?.below ?? 0);
  };

  /**
   * Inserts the rows, then removes any that a truncate already applied (from another partition)
   * makes void. Merged, the batches' rows are all inserted before the marks are read, so the one
   * check after the insert covers each of them as its own check would have.
   */
  const insertKeepingTruncations = async (table: string, columns: readonly string[], parts: readonly TsvPart[]) => {
    await insertTsv(options.client, table, columns, parts.length === 1 ? parts[0]!.body : Buffer.concat(parts.map((part) => part.body)));
    const below = await truncatedBelow(table);
    if (parts.some((part) => part.oldest < below)) await deleteOlder(table, below);
  };

  /**
   * Each table's inserts in turn, every batch that came meanwhile (from the table's other
   * partitions) merged into the next: a statement of ~1,000 rows a partition made a part each for
   * chDB to write and merge again later, and chDB runs one statement at a time anyway. By table
   * and column list: a table widened meanwhile is inserted with its new columns apart.
   */
  const tableInserts = new Map<string, CoalescedWrites<TsvPart>>();
  const insertPart = (table: string, columns: readonly string[], part: TsvPart) => {
    const key = `${table}\u0000${columns.join('\u0000')}`;
    let inserts = tableInserts.get(key);
    if (!inserts) {
      inserts = new CoalescedWrites((parts) => insertKeepingTruncations(table, columns, parts), MAX_INSERT_BYTES, (part) => part.body.length);
      tableInserts.set(key, inserts);
    }
    return inserts.add([part]);
  };
  const eventInserts = new CoalescedWrites<Row>((rows) => insertRows(options.client, EVENTS_TABLE, rows), MAX_EVENT_ROWS);

  const handler = async (messages: BusMessage[]) => {
    ready ??= ensureRawDatabase(options.client).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    await ready;
    swept ??= sweep().catch((error: unknown) => {
      swept = undefined;
      options.log.warn({ error: (error as Error).message }, 'making the raw tables of every captured table failed; tried again with the next batch');
    });
    const topic = messages[0]!.topic;
    const syncedAt = Date.now();
    if (topic.startsWith(eventsPrefix)) {
      await eventInserts.add(messages.map((m) => domainEventRow(parseMessage<DomainEventMessage>(m, 'a domain event'), syncedAt)));
      return;
    }
    const table = topic.slice(tablePrefix.length);
    if (filter.excludes(options.database, table)) {
      // Capture configured apart from this loader (Debezium's own lists, another process's settings).
      if (!refused.has(table)) options.log.warn({ table }, `changes of ${table} arrived, which CDC_EXCLUDE_TABLES leaves out: not loaded`);
      refused.add(table);
      return;
    }
    let shape = known.get(table) ?? await syncOne(table);
    // A table without a primary key: nothing would identify its rows' versions.
    if (!shape) return;
    const batchSyncedAt = syncedAtText(syncedAt);
    const body = new TsvBody();
    let oldest: bigint | undefined;
    let widened = false;
    const flush = async () => {
      if (body.length > 0) await insertPart(table, shape!.tsv.names, { body: body.take(), oldest: oldest! });
      oldest = undefined;
    };
    for (const message of messages) {
      const envelope = parseMessage<ChangeEnvelope>(message, 'a change event');
      if (envelope.op === 't') {
        // A TRUNCATE: the mark first, then every row older than it goes (a lightweight delete
        // keeps it cheap); a batch inserted meanwhile reads the mark after its insert.
        const below = eventVersion(envelope);
        await flush();
        await insertRows(options.client, TRUNCATIONS_TABLE, [{ table, below: below.toString() }]);
        await deleteOlder(table, below);
        continue;
      }
      const images = changeImages(envelope, shape);
      if (images.length === 0) continue;
      if (!widened && !images.every((image) => shape!.tsv.fits(image.row))) {
        // A column the raw table lacks: the rows so far go with the columns they were written
        // for, then the table follows MySQL (once a batch: a column MySQL no longer has is left out).
        await flush();
        widened = true;
        shape = await syncOne(table);
        if (!shape) return;
      }
      const version = eventVersion(envelope);
      const text = version.toString();
      for (const { row, deleted } of images) body.add(shape.tsv.line(row, text, deleted, batchSyncedAt));
      if (oldest === undefined || version < oldest) oldest = version;
    }
    await flush();
  };

  return new ConsumerRunner({
    bus: options.bus, group: options.group ?? WAREHOUSE_GROUP, topicPrefix: options.topicPrefix, handler, maxBatchSize: 5000,
    topics: [tableTopicPattern(options.topicPrefix, options.database), eventsTopicPattern(options.topicPrefix)],
    log: options.log.child({ role: 'warehouse-loader' }), health: options.health, inFlight: () => swept ?? Promise.resolve(),
  });
}
