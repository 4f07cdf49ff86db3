// The Debezium connector configuration that makes Debezium's topics read like the built-in
// reader's: same topic names, same key, the same JSON envelope without schema, the same value
// representations where Debezium offers one, secret columns dropped at the source, the outbox
// routed to the same events topics. What still differs is listed in envelope-differences.ts.
import { parseMysqlUrl } from '../../../marketplace/mysql/connection.js';
import { OUTBOX_TABLE } from '../outbox-router.js';
import { eventsTopic, type TableFilterOptions } from '../topics.js';

export const DEBEZIUM_CONNECTOR_CLASS = 'io.debezium.connector.mysql.MySqlConnector';

export type DebeziumSnapshotMode = 'initial' | 'no_data' | 'when_needed' | 'never';

export interface DebeziumConnectorOptions {
  /** MYSQL_URL of the source: its host, port, user, password and database. */
  sourceUrl: string;
  topicPrefix: string;
  filter: TableFilterOptions;
  /** Replica server id Debezium announces; unique among the source's replicas. */
  serverId: number;
  /** Brokers as Kafka Connect reaches them (for the schema history topic). */
  kafkaBrokers: readonly string[];
  /** Partitions of the topics Connect creates; the platform's bus uses the same number. */
  partitions: number;
  replicationFactor: number;
  snapshotMode?: DebeziumSnapshotMode;
  /** The signal table (CDC_SIGNAL_TABLE) of the captured database: the built-in reader's signals drive Debezium too. */
  signalTable?: string;
  /** Rows per incremental snapshot chunk, as the built-in reader reads them. */
  snapshotChunkRows?: number;
  /**
   * One of several sources (CDC_SOURCES): the connector gets a topic prefix of its own (Debezium
   * wants one per connector) and its topics are routed back to the platform's.
   */
  sourceName?: string;
}

const quote = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const qualify = (database: string, name: string) => (name.includes('.') ? name : `${database}.${name}`);

/** The connector's name in Kafka Connect: one per topic prefix and database, or per source. */
export function debeziumConnectorName(topicPrefix: string, database: string, sourceName?: string): string {
  return `${topicPrefix}-${sourceName ?? database}`;
}

/** The connector's own topic prefix (Debezium's `topic.prefix`, and its events' `source.name`). */
export function connectorTopicPrefix(topicPrefix: string, sourceName?: string): string {
  return sourceName ? `${topicPrefix}_${sourceName}` : topicPrefix;
}

export function schemaHistoryTopic(topicPrefix: string): string {
  return `${topicPrefix}.schema-history`;
}

/** The table and column lists as Debezium's anchored regular expressions, from our TableFilter's. */
function filterSettings(filter: TableFilterOptions, signalTable: string | undefined): Record<string, string> {
  const { database } = filter;
  const settings: Record<string, string> = { 'database.include.list': quote(database) };
  // Debezium takes an include list or an exclude list, not both: with an include list the
  // exclusions are applied here instead. The outbox is always read (it is routed, not published).
  if (filter.include.length > 0) {
    const excluded = new Set(filter.exclude.map((t) => qualify(database, t)));
    // Debezium reads signals only from a table it captures (its events then go to a topic of their own).
    const always = [`${database}.${OUTBOX_TABLE}`, ...(signalTable ? [`${database}.${signalTable}`] : [])];
    const tables = [...new Set([...filter.include.map((t) => qualify(database, t)), ...always])].filter((t) => !excluded.has(t));
    settings['table.include.list'] = tables.map(quote).join(',');
  } else if (filter.exclude.length > 0) {
    settings['table.exclude.list'] = filter.exclude.map((t) => quote(qualify(database, t))).join(',');
  }
  if (filter.excludeColumns.length > 0) {
    // Secret columns are dropped inside the connector: they never reach Kafka, not even once.
    settings['column.exclude.list'] = filter.excludeColumns.map((c) => quote(c.split('.').length === 3 ? c : `${database}.${c}`)).join(',');
  }
  return settings;
}

/**
 * Debezium's outbox event router on the outbox table's topic, shaped as our DomainEventMessage;
 * for one of several sources, then a router from the connector's own topics to the platform's.
 */
function transformSettings(topicPrefix: string, ownPrefix: string, database: string): Record<string, string> {
  const outboxTopic = `${ownPrefix}.${database}.${OUTBOX_TABLE}`;
  // The replacement is a template: `${routedByValue}` is Debezium's, not ours.
  const eventsTemplate = eventsTopic(topicPrefix, 'AGGREGATE').replace(/AGGREGATE$/, '${routedByValue}');
  return {
    transforms: 'outbox',
    'transforms.outbox.type': 'io.debezium.transforms.outbox.EventRouter',
    'transforms.outbox.predicate': 'isOutbox',
    'predicates': 'isOutbox',
    'predicates.isOutbox.type': 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches',
    'predicates.isOutbox.pattern': quote(outboxTopic),
    'transforms.outbox.route.by.field': 'aggregate_type',
    'transforms.outbox.route.topic.replacement': eventsTemplate,
    'transforms.outbox.table.field.event.id': 'id',
    'transforms.outbox.table.field.event.key': 'aggregate_id',
    'transforms.outbox.table.field.event.payload': 'payload',
    // The payload column holds JSON text; expanded, it is the same object our router parses.
    'transforms.outbox.table.expand.json.payload': 'true',
    // Every column beside the payload in the message value, and id/type as headers, as ours.
    'transforms.outbox.table.fields.additional.placement':
      'id:envelope:id,type:envelope:type,aggregate_type:envelope:aggregate_type,aggregate_id:envelope:aggregate_id,created_at:envelope:created_at,id:header:id,type:header:type',
    // Housekeeping deletes old outbox rows; those are not events (ours ignores them too).
    'transforms.outbox.route.tombstone.on.empty.payload': 'false',
    'transforms.outbox.debezium.op.invalid.behavior': 'warn',
    ...(ownPrefix === topicPrefix ? {} : {
      transforms: 'outbox,shared',
      'transforms.shared.type': 'org.apache.kafka.connect.transforms.RegexRouter',
      // <own>, <own>.db.table, <own>.transaction -> the same under the platform's prefix.
      'transforms.shared.regex': `${quote(ownPrefix)}(\\..*)?`,
      'transforms.shared.replacement': `${topicPrefix}$1`,
    }),
  };
}

/** The connector configuration for PUT /connectors/<name>/config: every value a string. */
export function debeziumConnectorConfig(options: DebeziumConnectorOptions): Record<string, string> {
  const source = parseMysqlUrl(options.sourceUrl);
  const database = options.filter.database;
  const ownPrefix = connectorTopicPrefix(options.topicPrefix, options.sourceName);
  return {
    'connector.class': DEBEZIUM_CONNECTOR_CLASS,
    'tasks.max': '1',
    'database.hostname': source.host,
    'database.port': String(source.port),
    'database.user': source.user,
    'database.password': source.password,
    'database.server.id': String(options.serverId),
    'topic.prefix': ownPrefix,
    ...filterSettings(options.filter, options.signalTable),
    // Signal rows (execute-snapshot, pause-, resume-, stop-snapshot) in the same table and shape
    // as the built-in reader's, so `steveslist cdc snapshot` drives either engine.
    ...(options.signalTable ? {
      'signal.data.collection': `${database}.${options.signalTable}`,
      'signal.enabled.channels': 'source',
      'incremental.snapshot.chunk.size': String(options.snapshotChunkRows ?? 1024),
    } : {}),
    'snapshot.mode': options.snapshotMode ?? 'initial',
    // Outbox rows already there are events of the past (sent before, or about to be deleted by
    // housekeeping): the snapshot leaves them out, as the built-in reader's does.
    // (Its schema is still read: the snapshot selects no rows from it.)
    'snapshot.select.statement.overrides': `${database}.${OUTBOX_TABLE}`,
    [`snapshot.select.statement.overrides.${database}.${OUTBOX_TABLE}`]: `SELECT * FROM \`${database}\`.\`${OUTBOX_TABLE}\` WHERE FALSE`,
    'schema.history.internal.kafka.bootstrap.servers': options.kafkaBrokers.join(','),
    'schema.history.internal.kafka.topic': schemaHistoryTopic(ownPrefix),
    // Only the captured tables' DDL is kept. Debezium still parses every DDL statement in the
    // binlog, of every database on the server, and stops on one its parser does not know
    // (MariaDB's UUID, INET4, INET6 types): such a statement is logged by Connect and skipped.
    // The trade-off: a captured table altered that way would go unnoticed until its rows no
    // longer match; the platform's own schema uses none of those types.
    'schema.history.internal.store.only.captured.tables.ddl': 'true',
    'schema.history.internal.store.only.captured.databases.ddl': 'true',
    'schema.history.internal.skip.unparseable.ddl': 'true',
    // DDL events on the `<prefix>` topic, as the built-in reader publishes them.
    'include.schema.changes': 'true',
    // Our envelope carries `transaction` {id, total_order, data_collection_order}. Debezium fills
    // it from MySQL GTIDs only: on MariaDB it stays null (envelope-differences.ts).
    'provide.transaction.metadata': 'true',
    // Value representations chosen to match column-values.ts where Debezium has the same one.
    'decimal.handling.mode': 'string',
    'binary.handling.mode': 'base64',
    // BIGINT UNSIGNED stays a long (values past 2^63 wrap negative): 'precise' would write every
    // one as a string, and the platform's ids, keys included, are BIGINT UNSIGNED.
    'bigint.unsigned.handling.mode': 'long',
    // A delete is one event, without the extra null-valued tombstone that log compaction wants.
    'tombstones.on.delete': 'false',
    // TRUNCATE is sent ('t'), not skipped as by default. Debezium sends it on one partition only;
    // the sinks keep a per-table truncate mark, so rows older than it stay gone whichever
    // partition brings them later.
    'skipped.operations': 'none',
    // JSON without embedded schema, as the built-in reader writes.
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'false',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
    // Topics Connect creates get the bus's partition count, so keys spread the same way.
    'topic.creation.default.partitions': String(options.partitions),
    'topic.creation.default.replication.factor': String(options.replicationFactor),
    ...transformSettings(options.topicPrefix, ownPrefix, database),
  };
}

/** The configuration with the password hidden, for logs and status output. */
export function redactConnectorConfig(config: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, /password/i.test(key) ? '***' : value]));
}
