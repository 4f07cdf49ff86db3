// The warehouse loader: a consumer group on every table topic and the domain-event topics that
// inserts batches into the raw layer. Each row carries its event's version, so redelivered and
// reordered events collapse to the newest one (ReplacingMergeTree); inserts are idempotent.
import { PoisonMessage, SinkUnavailable } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { RoleReporter } from '../core/role-health.js';
import type { Pool } from '../marketplace/mysql/connection.js';
import type { Bus, BusMessage } from '../pipelines/bus/port.js';
import { CONNECTOR_VERSION, type ChangeEnvelope, type Row } from '../pipelines/cdc/envelope.js';
import { eventVersion } from '../pipelines/cdc/event-version.js';
import { debeziumColumns } from '../pipelines/cdc/debezium/builtin-row.js';
import type { DomainEventMessage } from '../pipelines/cdc/outbox-router.js';
import { eventsTopicPattern, tableTopicPattern } from '../pipelines/cdc/topics.js';
import { ConsumerRunner } from '../pipelines/consumers/runner.js';
import { parseMessage } from '../pipelines/consumers/parse-message.js';
import type { ClickHouseClient } from './client.js';
import { ensureMarts } from './marts.js';
import { ensureRawDatabase, EVENTS_TABLE, RAW_DATABASE, readSourceTable, readSourceTables, syncTables, TRUNCATIONS_TABLE, type SourceTable } from './raw-schema.js';
import { changedImage, changeRows, domainEventRow, type RowShape } from './raw-rows.js';
import { insertIntake, intakeBody, syncIntakes } from './raw-intake.js';

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
  /** False maps every batch in JavaScript, the path the intake falls back to: for comparing the two. */
  intake?: boolean;
  /**
   * A session of its own for the sweep of every captured table and the marts (default: client).
   * chDB runs one statement at a time per session: on the batches' session, the sweep's hundreds
   * of statements at a fresh start queued ahead of their inserts, 1-3 s each while MariaDB wrote flat out.
   */
  schemaClient?: ClickHouseClient;
}

/** What the loader knows of a captured table: its columns in the warehouse, and what the row mapping needs. */
interface TableShape extends RowShape {
  columns: Set<string>;
  /** The intake for these columns (raw-intake.ts). */
  intake: string;
}

/** The raw tables made or widened for the source tables, with their intakes for those columns. */
async function syncShapes(client: ClickHouseClient, sources: readonly SourceTable[]): Promise<Map<string, TableShape>> {
  const columns = await syncTables(client, sources);
  const intakes = await syncIntakes(client, sources);
  return new Map(sources.map((source) => [source.table, {
    columns: columns.get(source.table)!, intake: intakes.get(source.table)!, primaryKey: source.primaryKey, debezium: debeziumColumns(source.columns),
  }]));
}

/** A failure of the warehouse itself (worth retrying), not of what was sent to it. */
function unavailable(error: unknown): SinkUnavailable | undefined {
  const message = (error as Error).message;
  return /ECONNREFUSED|ECONNRESET|timeout|TOO_MANY|MEMORY_LIMIT/i.test(message) ? new SinkUnavailable(`warehouse: ${message}`, { cause: error }) : undefined;
}

async function insert(client: ClickHouseClient, table: string, values: Row[]): Promise<void> {
  try {
    await client.insert({
      table: `${RAW_DATABASE}.\`${table}\``, values, format: 'JSONEachRow',
      clickhouse_settings: { date_time_input_format: 'best_effort', input_format_skip_unknown_fields: 1 },
    });
  } catch (error) {
    throw unavailable(error) ?? new PoisonMessage(`warehouse rejected rows for ${table}: ${(error as Error).message.slice(0, 500)}`, { cause: error });
  }
}

/** How the built-in reader's envelopes name themselves; a topic without it goes the JavaScript way at once. */
const BUILTIN_MARK = Buffer.from(`"version":"${CONNECTOR_VERSION}"`);

export function startWarehouseLoader(options: LoaderOptions): ConsumerRunner {
  const tablePrefix = `${options.topicPrefix}.${options.database}.`;
  const eventsPrefix = `${options.topicPrefix}.events.`;
  const known = new Map<string, TableShape>();
  /** Tables being synced now: the partitions' first batches of a table sync it once. */
  const syncing = new Map<string, Promise<TableShape | undefined>>();
  let ready: Promise<void> | undefined;
  let swept: Promise<void> | undefined;

  /** The table's raw table and intake made or widened from what MySQL says of it now. */
  const syncOne = (table: string): Promise<TableShape | undefined> => {
    let pending = syncing.get(table);
    if (!pending) {
      pending = (async () => {
        const source = await readSourceTable(options.pool, options.database, table);
        if (!source || source.primaryKey.length === 0) return undefined;
        const synced = (await syncShapes(options.client, [source])).get(table)!;
        known.set(table, synced);
        return synced;
      })().finally(() => syncing.delete(table));
      syncing.set(table, pending);
    }
    return pending;
  };

  /** The table's columns, (re)synced from MySQL when it is new or a row has a column it lacks. */
  const shapeFor = async (table: string, row: Row): Promise<TableShape | undefined> => {
    const shape = known.get(table);
    if (shape && Object.keys(row).every((c) => shape.columns.has(c))) return shape;
    return syncOne(table);
  };

  /**
   * Raw tables for every captured table, then the marts over them, beside the batches rather than
   * before them: a batch syncs its own table when it comes. At a fresh start this is hundreds of
   * statements, each waiting for its turn on a main thread that is busy with a backlog; ahead of
   * the first batch it held the warehouse back 36 s while MariaDB wrote flat out.
   */
  const sweep = async () => {
    const sources = (await readSourceTables(options.pool, options.database))
      .filter((source) => source.primaryKey.length > 0 && source.table !== 'schema_migrations' && !known.has(source.table));
    const client = options.schemaClient ?? options.client;
    for (const [table, shape] of await syncShapes(client, sources)) if (!known.has(table)) known.set(table, shape);
    for (const { name, error } of await ensureMarts(client, { waitForRefresh: false })) options.log.warn({ mart: name, error }, 'mart not made or not refreshed');
  };

  const deleteOlder = async (table: string, below: bigint) => {
    await options.client.command({ query: `DELETE FROM ${RAW_DATABASE}.\`${table}\` WHERE _version < ${below}` }).catch((error: unknown) => {
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

  /** Inserts rows, then removes any that a truncate already applied (from another partition) makes void. */
  const insertKeepingTruncations = async (table: string, rows: Row[]) => {
    await insert(options.client, table, rows);
    const below = await truncatedBelow(table);
    if (rows.some((row) => BigInt(String(row._version)) < below)) await deleteOlder(table, below);
  };

  /**
   * The batch through the table's intake (raw-intake.ts); false when the intake did not take it
   * (a truncate, Debezium's values, a column the table lacks, a message that is no JSON), which
   * leaves it to the JavaScript path. Its versions are not read here, so after a truncate every
   * older row goes, as the truncate itself would have done.
   */
  const insertThroughIntake = async (table: string, messages: BusMessage[]): Promise<boolean> => {
    if (options.intake === false || !messages[0]!.value?.includes(BUILTIN_MARK)) return false;
    const shape = known.get(table) ?? await syncOne(table);
    if (!shape) return false;
    const body = intakeBody(messages.map((message) => message.value));
    if (!body) return false;
    try {
      await insertIntake(options.client, shape.intake, body);
    } catch (error) {
      const retriable = unavailable(error);
      if (retriable) throw retriable;
      return false;
    }
    const below = await truncatedBelow(table);
    if (below > 0n) await deleteOlder(table, below);
    return true;
  };

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
      const rows = messages.map((m) => domainEventRow(parseMessage<DomainEventMessage>(m, 'a domain event'), syncedAt));
      await insert(options.client, EVENTS_TABLE, rows);
      return;
    }
    const table = topic.slice(tablePrefix.length);
    if (await insertThroughIntake(table, messages)) return;
    const rows: Row[] = [];
    for (const message of messages) {
      const envelope = parseMessage<ChangeEnvelope>(message, 'a change event');
      if (envelope.op === 't') {
        // A TRUNCATE: the mark first, then every row older than it goes (a lightweight delete
        // keeps it cheap); a batch inserted meanwhile reads the mark after its insert.
        const version = eventVersion(envelope).toString();
        if (rows.length > 0) await insertKeepingTruncations(table, rows.splice(0));
        await insert(options.client, TRUNCATIONS_TABLE, [{ table, below: version }]);
        await deleteOlder(table, BigInt(version));
        continue;
      }
      const image = changedImage(envelope);
      if (!image) continue;
      const shape = await shapeFor(table, image);
      if (!shape) return;
      rows.push(...changeRows(envelope, shape, syncedAt));
    }
    if (rows.length > 0) await insertKeepingTruncations(table, rows);
  };

  return new ConsumerRunner({
    bus: options.bus, group: options.group ?? WAREHOUSE_GROUP, topicPrefix: options.topicPrefix, handler, maxBatchSize: 5000,
    topics: [tableTopicPattern(options.topicPrefix, options.database), eventsTopicPattern(options.topicPrefix)],
    log: options.log.child({ role: 'warehouse-loader' }), health: options.health, inFlight: () => swept ?? Promise.resolve(),
  });
}
