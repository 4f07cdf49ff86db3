// Shapes what the binlog says into what goes on the bus: a transaction's row changes become
// Debezium envelopes on `<prefix>.<db>.<table>`, its outbox inserts domain events, its DDL
// schema-change records, and every change gets the next row version. No I/O but asking a table's
// key columns (through `schemaOf`) and a truncated topic's partitions, so it is tested with values.
import type { OutgoingMessage } from '../bus/port.js';
import type { BinlogTransaction, RowChange } from './binlog-stream.js';
import { normalizeRow, type SpecialType } from './column-values.js';
import { ddlTable } from './ddl-table.js';
import { EncodedRowChange } from './encoded-rows.js';
import {
  changeEnvelopeText, changeSourceHead, changeTailParts, CONNECTOR_VERSION, rowKey, type ChangeEnvelope, type ChangeOp, type ChangeTextShared, type Row, type SourceInfo,
} from './envelope.js';
import { nextClock, versionOf } from './event-version.js';
import { JsonSink } from './json-sink.js';
import { OUTBOX_TABLE, routeOutboxRow } from './outbox-router.js';
import { compileRowJson, writeRowJson, writtenKey, type RowJsonPlan } from './row-json.js';
import { finishRow, type TableDecoder } from './rows-decoder.js';
import type { TableSchema } from './table-schema.js';
import { tableTopic, type TableFilter } from './topics.js';

export type EventSource = Omit<SourceInfo, 'version' | 'connector' | 'name' | 'db' | 'thread' | 'query'>;

export interface TopicMessage {
  topic: string;
  message: OutgoingMessage;
}

export interface TransactionEvents {
  messages: TopicMessage[];
  /** Row changes and truncates (what counts as published); 0 leaves the clock where it was. */
  count: number;
  clock: bigint;
}

export interface ChangeEventsOptions {
  /** The captured database: DDL records are published for it only. */
  database: string;
  topicPrefix: string;
  /** `source.name` of every event. */
  sourceName: string;
  filter: Pick<TableFilter, 'accepts' | 'strip' | 'droppedColumns'>;
  /** A table's columns and key (cached by the caller; undefined when the table is gone). */
  schemaOf(database: string, table: string): TableSchema | undefined | Promise<TableSchema | undefined>;
  /** Forgets what is known of a database's tables: its DDL may have changed them. */
  forgetSchemas(database: string): void;
  /** Creates a topic and says how many partitions it has (a truncate goes to each of them). */
  partitionsOf(topic: string): Promise<number>;
  /** The envelope's `ts_ms` (when the reader shaped it); tests fix it. */
  now?: () => number;
}

const NO_SPECIAL: Map<string, SpecialType> = new Map();

interface TableInTransaction {
  database: string;
  table: string;
  topic: string;
  schema: TableSchema | undefined;
  special: Map<string, SpecialType>;
  primaryKey: string[];
  shared: ChangeTextShared;
  /** changeTailParts' text as bytes, made at its first encoded row. */
  tailParts?: Buffer[];
}

const NO_SCHEMA = {};

/** A row image in its final form: the own decoder's needs only its bytes finished. */
function normalized(change: RowChange, row: Row, special: Map<string, SpecialType>): Row {
  if (!change.binaryColumns) return normalizeRow(row, { codes: change.columnTypes, special });
  if (change.binaryColumns.length > 0) finishRow(row, change.binaryColumns, special);
  return row;
}

export class ChangeEvents {
  /** Events in the previous transaction: a huge one spills into the following clock values. */
  private lastTransactionEvents = 1;
  /** Where events written from encoded rows go: each message's value is a view of it. */
  private readonly sink = new JsonSink();
  /** Plans by decoder, for the schema they were made with (a DDL makes both anew). */
  private readonly plans = new WeakMap<TableDecoder, { schema: object; plan: RowJsonPlan }>();

  constructor(private readonly options: ChangeEventsOptions) {}

  /** Envelopes and domain events of one transaction, stamped with the next clock value. */
  async ofTransaction(transaction: BinlogTransaction, previousClock: bigint): Promise<TransactionEvents> {
    const { filter, topicPrefix } = this.options;
    const messages: TopicMessage[] = [];
    // Asked once per run of changes to one table, not per change (it names the table as text).
    let askedDatabase: string | undefined;
    let askedTable: string | undefined;
    let accepted = false;
    const included = transaction.changes.filter((c) => {
      if (c.table !== askedTable || c.database !== askedDatabase) {
        askedDatabase = c.database;
        askedTable = c.table;
        accepted = filter.accepts(c.database, c.table);
      }
      return accepted;
    });
    const truncated: { database: string; table: string; pos: number }[] = [];
    for (const ddl of transaction.ddl) {
      const changed = ddlTable(ddl.sql, ddl.database);
      const database = changed?.database ?? ddl.database;
      this.options.forgetSchemas(database);
      if (/^TRUNCATE/i.test(ddl.sql) && changed && filter.accepts(database, changed.table)) truncated.push({ database, table: changed.table, pos: ddl.pos });
      if (database === this.options.database) {
        messages.push({
          topic: topicPrefix,
          message: { key: JSON.stringify({ databaseName: database }), value: JSON.stringify({ source: { file: transaction.file, pos: ddl.pos, gtid: transaction.gtid, ts_ms: transaction.timestampMs }, databaseName: database, ddl: ddl.sql, ts_ms: this.now() }) },
        });
      }
    }
    const count = included.length + truncated.length;
    if (count === 0) return { messages, count: 0, clock: previousClock };
    const clock = nextClock(previousClock, transaction.timestampMs, this.lastTransactionEvents);
    this.lastTransactionEvents = count;
    const transactionId = transaction.gtid ?? `${transaction.file}:${transaction.endPos}`;
    const perTable = new Map<string, TableInTransaction>();
    const tableOrders = new Map<string, number>();
    let order = 0;
    const sourceOf = (table: string, pos: number, row: number): EventSource => ({
      table, file: transaction.file, pos, row, gtid: transaction.gtid, ts_ms: transaction.timestampMs, snapshot: 'false',
      sequence: versionOf(clock, order).toString(), server_id: transaction.serverId,
    });
    const now = this.now();
    const clockBase = versionOf(clock, 0);
    // What the changes of one table share in this transaction, made at its first change.
    let last: TableInTransaction | undefined;
    for (const change of included) {
      order++;
      if (change.database === this.options.database && change.table === OUTBOX_TABLE) {
        // Only inserts are events; the platform's housekeeping deletes of old outbox rows are not.
        if (change.op === 'c') {
          messages.push(routeOutboxRow(topicPrefix, normalized(change, change.after!, NO_SPECIAL)));
        }
        continue;
      }
      let table = last !== undefined && last.database === change.database && last.table === change.table ? last : perTable.get(`${change.database}.${change.table}`);
      if (!table) {
        // Awaited only when not known yet: an await per row change is a microtask hop per row.
        const known = this.options.schemaOf(change.database, change.table);
        const schema = known instanceof Promise ? await known : known;
        table = {
          database: change.database, table: change.table, topic: tableTopic(topicPrefix, change.database, change.table),
          schema, special: schema?.special ?? NO_SPECIAL, primaryKey: schema?.primaryKey ?? [],
          shared: {
            sourceHead: changeSourceHead(this.options.sourceName, change.database, change.table, transaction.file),
            gtid: transaction.gtid, tsMs: transaction.timestampMs, serverId: transaction.serverId, now, transactionId,
          },
        };
        perTable.set(`${change.database}.${change.table}`, table);
      }
      last = table;
      // Counted by table name, as data_collection_order always was.
      const tableOrder = (tableOrders.get(change.table) ?? 0) + 1;
      tableOrders.set(change.table, tableOrder);
      if (change instanceof EncodedRowChange) {
        messages.push({ topic: table.topic, message: this.writeEncoded(change, table, (clockBase + BigInt(order)).toString(), order, tableOrder) });
        continue;
      }
      const before = change.before && filter.strip(change.database, change.table, normalized(change, change.before, table.special));
      const after = change.after && filter.strip(change.database, change.table, normalized(change, change.after, table.special));
      const row = after ?? before;
      messages.push({
        topic: table.topic,
        message: {
          key: row ? rowKey(table.primaryKey, row) : null,
          value: changeEnvelopeText(table.shared, {
            op: change.op, before, after, pos: change.pos, row: change.row, sequence: (clockBase + BigInt(order)).toString(), totalOrder: order, tableOrder,
          }),
        },
      });
    }
    for (const { database, table, pos } of truncated) {
      order++;
      // Every partition gets the truncate, so each partition's consumer applies it in order.
      const topic = tableTopic(topicPrefix, database, table);
      const partitions = await this.options.partitionsOf(topic);
      // Where the TRUNCATE statement starts in the binlog, as Debezium reports it.
      const message = this.message('t', null, null, [], sourceOf(table, pos, 0), { id: transactionId, total_order: order, data_collection_order: 1 }, database);
      for (let partition = 0; partition < partitions; partition++) messages.push({ topic, message: { ...message, partition } });
    }
    return { messages, count, clock };
  }

  /** A change whose rows are still the binlog's bytes, written straight to its envelope's JSON. */
  private writeEncoded(change: EncodedRowChange, table: TableInTransaction, sequence: string, totalOrder: number, tableOrder: number): { key: string | null; value: Buffer } {
    const decoder = change.images.decoder;
    const schema = table.schema ?? NO_SCHEMA;
    let known = this.plans.get(decoder);
    if (known?.schema !== schema) {
      known = { schema, plan: compileRowJson(decoder, { special: table.special, primaryKey: table.primaryKey, dropped: this.options.filter.droppedColumns(table.database, table.table) }) };
      this.plans.set(decoder, known);
    }
    const plan = known.plan;
    const sink = this.sink;
    let key: string | null = null;
    sink.ascii('{"before":');
    const before = change.beforeImage;
    if (before < 0) sink.ascii('null');
    else {
      writeRowJson(plan, sink, change.images, before);
      if (change.op === 'd') key = writtenKey(plan, sink);
    }
    sink.ascii(',"after":');
    const after = change.afterImage;
    if (after < 0) sink.ascii('null');
    else {
      writeRowJson(plan, sink, change.images, after);
      key = writtenKey(plan, sink);
    }
    // changeEnvelopeTail's text, written from its parts.
    const parts = table.tailParts ??= changeTailParts(table.shared).map((part) => Buffer.from(part));
    sink.bytes(parts[0]!);
    sink.integer(change.pos);
    sink.ascii(',"row":');
    sink.integer(change.row);
    sink.bytes(parts[1]!);
    sink.ascii(sequence);
    sink.bytes(parts[2]!);
    sink.ascii(change.op);
    sink.bytes(parts[3]!);
    sink.integer(totalOrder);
    sink.ascii(',"data_collection_order":');
    sink.integer(tableOrder);
    sink.ascii('}}');
    return { key, value: sink.take() };
  }

  /**
   * An incremental snapshot chunk's rows as reads (op "r"), going out where its closing watermark
   * is in the binlog: versioned after every change before that point, before every one after.
   */
  chunkReads(transaction: BinlogTransaction, previousClock: bigint, table: string, rows: Row[], primaryKey: string[]): TransactionEvents {
    if (rows.length === 0) return { messages: [], count: 0, clock: previousClock };
    const clock = nextClock(previousClock, transaction.timestampMs, this.lastTransactionEvents);
    this.lastTransactionEvents = rows.length;
    const messages = rows.map((row, index) => this.snapshotRead(table, row, primaryKey, {
      table, file: transaction.file, pos: transaction.endPos, row: index, gtid: transaction.gtid, ts_ms: transaction.timestampMs,
      snapshot: 'incremental', sequence: versionOf(clock, index + 1).toString(), server_id: transaction.serverId,
    }));
    return { messages, count: rows.length, clock };
  }

  /** A snapshot read of one row (op "r"), from the initial snapshot or an incremental one. */
  snapshotRead(table: string, row: Row, primaryKey: string[], source: EventSource): TopicMessage {
    const { database, topicPrefix, filter } = this.options;
    return {
      topic: tableTopic(topicPrefix, database, table),
      message: this.message('r', null, filter.strip(database, table, row), primaryKey, source, null, database),
    };
  }

  private message(
    op: ChangeOp,
    before: Row | null,
    after: Row | null,
    primaryKey: string[],
    source: EventSource,
    transaction: ChangeEnvelope['transaction'],
    database: string,
  ): OutgoingMessage {
    const envelope: ChangeEnvelope = {
      before, after,
      source: { version: CONNECTOR_VERSION, connector: 'mysql', name: this.options.sourceName, db: database, thread: null, query: null, ...source },
      op, ts_ms: this.now(), transaction,
    };
    const row = after ?? before;
    return { key: row ? rowKey(primaryKey, row) : null, value: JSON.stringify(envelope) };
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
