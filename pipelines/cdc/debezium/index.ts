// CDC_ENGINE=debezium: the platform registers (or updates) Debezium's MySQL connector on Kafka
// Connect from its own configuration, then watches it: the connector's and task's state, and how
// far its saved binlog position is behind the source's.
import type { Config } from '../../../core/config/index.js';
import { ConfigError } from '../../../core/errors.js';
import type { Logger } from '../../../core/log.js';
import { connectMysql, parseMysqlUrl, type RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { KafkaConnectClient, type ConnectorState, type ConnectorStatus } from './connect-client.js';
import { debeziumConnectorConfig, debeziumConnectorName, redactConnectorConfig, type DebeziumConnectorOptions } from './connector-config.js';

export { KafkaConnectClient, ConnectRequestRejected } from './connect-client.js';
export { connectorTopicPrefix, debeziumConnectorConfig, debeziumConnectorName, redactConnectorConfig, schemaHistoryTopic } from './connector-config.js';

export interface DebeziumTarget {
  client: KafkaConnectClient;
  name: string;
  config: Record<string, string>;
}

/** The connector the configuration describes, for the source at `sourceUrl`. */
export function debeziumTarget(config: Config, sourceUrl: string, overrides: Partial<DebeziumConnectorOptions> = {}): DebeziumTarget {
  const kafka = config.bus.kafka;
  const connectUrl = config.cdc.kafkaConnectUrl;
  if (!kafka || !connectUrl) {
    throw new ConfigError([`CDC_ENGINE=debezium needs ${[!kafka && 'KAFKA_BROKERS', !connectUrl && 'KAFKA_CONNECT_URL'].filter(Boolean).join(' and ')}: Debezium runs on Kafka Connect and writes to Kafka`]);
  }
  const database = parseMysqlUrl(sourceUrl).database;
  const options: DebeziumConnectorOptions = {
    sourceUrl,
    topicPrefix: config.topicPrefix,
    filter: { database, include: config.cdc.includeTables, exclude: config.cdc.excludeTables, excludeColumns: config.cdc.excludeColumns },
    serverId: config.cdc.serverId,
    kafkaBrokers: kafka.brokers,
    partitions: config.bus.partitions,
    replicationFactor: kafka.replicationFactor,
    signalTable: config.cdc.signalTable,
    snapshotChunkRows: config.cdc.snapshotChunkRows,
    ...overrides,
  };
  return {
    client: new KafkaConnectClient(connectUrl),
    name: debeziumConnectorName(options.topicPrefix, database, options.sourceName),
    config: debeziumConnectorConfig(options),
  };
}

/** One connector per source of CDC_SOURCES, each with its own topic prefix and replica server id. */
export function debeziumSourceTargets(config: Config): { url: string; target: DebeziumTarget }[] {
  return config.cdc.sources.map((source, index) => ({
    url: source.url, target: debeziumTarget(config, source.url, { sourceName: source.name, serverId: config.cdc.serverId + index }),
  }));
}

/** Creates the connector or brings its configuration up to date; running it twice changes nothing. */
export async function registerDebezium(target: DebeziumTarget, log: Logger): Promise<'created' | 'updated' | 'unchanged'> {
  const current = await target.client.config(target.name);
  const same = current !== undefined && Object.entries(target.config).every(([key, value]) => current[key] === value)
    && Object.keys(current).every((key) => key === 'name' || key in target.config);
  if (same) {
    log.info({ connector: target.name }, 'Debezium connector already registered with this configuration');
    return 'unchanged';
  }
  const created = await target.client.putConfig(target.name, target.config);
  log.info({ connector: target.name, config: redactConnectorConfig(target.config) }, created ? 'Debezium connector registered' : 'Debezium connector configuration updated');
  return created ? 'created' : 'updated';
}

export interface DebeziumStatus {
  connector: ConnectorState | 'MISSING';
  tasks: { id: number; state: ConnectorState; error?: string }[];
  /** The binlog position Connect saved for the connector, if any yet. */
  position: { file: string; pos: number } | undefined;
  /** The source's current binlog end. */
  sourcePosition: { file: string; pos: number } | undefined;
  /** Binlog bytes between the saved position and the source's end; undefined before the first save. */
  lagBytes: number | undefined;
}

interface BinlogFile { name: string; size: number }

/** Bytes from `from` to the end of the binlog, over the files in between. */
export function binlogBytesBehind(files: readonly BinlogFile[], from: { file: string; pos: number }): number | undefined {
  const index = files.findIndex((f) => f.name === from.file);
  if (index < 0) return undefined;
  return files.slice(index).reduce((sum, f) => sum + f.size, 0) - from.pos;
}

/** The connector's state, its tasks' (with the first line of a failure) and its lag behind the source. */
export async function debeziumStatus(target: DebeziumTarget, sourceUrl: string): Promise<DebeziumStatus> {
  const status: ConnectorStatus | undefined = await target.client.status(target.name);
  const offsets = await target.client.offsets(target.name);
  const connection = await connectMysql(sourceUrl);
  let files: BinlogFile[] = [];
  try {
    const [rows] = await connection.query<RowDataPacket[]>('SHOW BINARY LOGS');
    files = rows.map((row) => ({ name: String(row.Log_name), size: Number(row.File_size) }));
  } finally {
    await connection.end();
  }
  const last = files.at(-1);
  return {
    connector: status?.connector.state ?? 'MISSING',
    tasks: (status?.tasks ?? []).map((task) => ({ id: task.id, state: task.state, ...(task.trace ? { error: task.trace.split('\n')[0] } : {}) })),
    position: offsets,
    sourcePosition: last && { file: last.name, pos: last.size },
    lagBytes: offsets ? binlogBytesBehind(files, offsets) : undefined,
  };
}
