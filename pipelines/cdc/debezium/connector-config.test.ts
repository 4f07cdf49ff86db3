import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../core/config/index.js';
import { ConfigError } from '../../../core/errors.js';
import { binlogBytesBehind, debeziumTarget } from './index.js';
import { debeziumConnectorConfig, redactConnectorConfig, type DebeziumConnectorOptions } from './connector-config.js';

const base: DebeziumConnectorOptions = {
  sourceUrl: 'mysql://cdc:s%40cret@db.internal:3307/shop',
  topicPrefix: 'steveslist',
  filter: { database: 'shop', include: [], exclude: ['schema_migrations', 'user_sessions'], excludeColumns: ['user_credentials.password_hash', 'other.t.c'] },
  serverId: 54_001,
  kafkaBrokers: ['k1:9092', 'k2:9092'],
  partitions: 4,
  replicationFactor: 3,
};

describe('Debezium connector configuration', () => {
  it('connects with the MYSQL_URL credentials and names topics as the built-in reader does', () => {
    const config = debeziumConnectorConfig(base);
    expect(config).toMatchObject({
      'database.hostname': 'db.internal', 'database.port': '3307', 'database.user': 'cdc', 'database.password': 's@cret',
      'database.server.id': '54001', 'topic.prefix': 'steveslist', 'database.include.list': 'shop',
      'schema.history.internal.kafka.bootstrap.servers': 'k1:9092,k2:9092', 'schema.history.internal.kafka.topic': 'steveslist.schema-history',
      'topic.creation.default.partitions': '4', 'topic.creation.default.replication.factor': '3',
      'value.converter.schemas.enable': 'false', 'decimal.handling.mode': 'string', 'binary.handling.mode': 'base64', 'snapshot.mode': 'initial', 'skipped.operations': 'none',
    });
    expect(Object.values(config).every((value) => typeof value === 'string')).toBe(true);
  });

  it('turns the table filter into anchored, escaped Debezium lists, and drops secret columns at the source', () => {
    const config = debeziumConnectorConfig(base);
    expect(config['table.exclude.list']).toBe('shop\\.schema_migrations,shop\\.user_sessions');
    expect(config['table.include.list']).toBeUndefined();
    expect(config['column.exclude.list']).toBe('shop\\.user_credentials\\.password_hash,other\\.t\\.c');
  });

  it('with an include list, applies the exclusions itself and always reads the outbox', () => {
    const config = debeziumConnectorConfig({ ...base, filter: { ...base.filter, include: ['listings', 'shop.orders', 'user_sessions'] } });
    expect(config['table.include.list']).toBe('shop\\.listings,shop\\.orders,shop\\.outbox');
    expect(config['table.exclude.list']).toBeUndefined();
  });

  it('reads signals from the signal table the built-in reader reads, which it must then capture', () => {
    const config = debeziumConnectorConfig({ ...base, signalTable: 'cdc_signals', snapshotChunkRows: 500, filter: { ...base.filter, include: ['listings'] } });
    expect(config).toMatchObject({ 'signal.data.collection': 'shop.cdc_signals', 'signal.enabled.channels': 'source', 'incremental.snapshot.chunk.size': '500' });
    expect(config['table.include.list']).toBe('shop\\.listings,shop\\.outbox,shop\\.cdc_signals');
  });

  it('routes the outbox table to the events topics by aggregate type', () => {
    const config = debeziumConnectorConfig(base);
    expect(config['predicates.isOutbox.pattern']).toBe('steveslist\\.shop\\.outbox');
    expect(config['transforms.outbox.route.topic.replacement']).toBe('steveslist.events.${routedByValue}');
    expect(config['transforms.outbox.type']).toBe('io.debezium.transforms.outbox.EventRouter');
    expect(config['snapshot.select.statement.overrides']).toBe('shop.outbox');
    expect(config['snapshot.select.statement.overrides.shop.outbox']).toBe('SELECT * FROM `shop`.`outbox` WHERE FALSE');
  });

  it('for one of several sources, gives the connector its own prefix and history topic and routes its topics back', () => {
    const config = debeziumConnectorConfig({ ...base, sourceName: 'shard-a' });
    expect(config).toMatchObject({
      'topic.prefix': 'steveslist_shard-a', 'schema.history.internal.kafka.topic': 'steveslist_shard-a.schema-history',
      'predicates.isOutbox.pattern': 'steveslist_shard-a\\.shop\\.outbox', 'transforms.outbox.route.topic.replacement': 'steveslist.events.${routedByValue}',
      transforms: 'outbox,shared', 'transforms.shared.type': 'org.apache.kafka.connect.transforms.RegexRouter',
      'transforms.shared.regex': 'steveslist_shard-a(\\..*)?', 'transforms.shared.replacement': 'steveslist$1',
    });
    const route = (topic: string) => topic.replace(new RegExp(`^${config['transforms.shared.regex']}$`), config['transforms.shared.replacement']!);
    expect(['steveslist_shard-a', 'steveslist_shard-a.shop.users', 'steveslist.events.listing'].map(route)).toEqual(['steveslist', 'steveslist.shop.users', 'steveslist.events.listing']);
    expect(debeziumConnectorConfig(base).transforms).toBe('outbox');
  });

  it('hides the password when the configuration is shown', () => {
    const shown = redactConnectorConfig(debeziumConnectorConfig(base));
    expect(shown['database.password']).toBe('***');
    expect(JSON.stringify(shown)).not.toContain('s@cret');
  });

  it('measures lag across binlog files', () => {
    const files = [{ name: 'binlog.000001', size: 1000 }, { name: 'binlog.000002', size: 500 }];
    expect(binlogBytesBehind(files, { file: 'binlog.000001', pos: 900 })).toBe(600);
    expect(binlogBytesBehind(files, { file: 'binlog.000002', pos: 500 })).toBe(0);
    expect(binlogBytesBehind(files, { file: 'binlog.000000', pos: 4 })).toBeUndefined();
  });
});

describe('CDC_ENGINE', () => {
  const read = (env: Record<string, string>) => readConfig(env, { dotEnv: false, cwd: '/tmp' }).config;

  it('defaults to the built-in reader', () => {
    expect(read({}).cdc.engine).toBe('builtin');
  });

  it('debezium names the settings it needs', () => {
    let error: unknown;
    try {
      read({ CDC_ENGINE: 'debezium' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'CDC_ENGINE: debezium writes to Kafka: set KAFKA_BROKERS too',
      'CDC_ENGINE: debezium runs on Kafka Connect: set KAFKA_CONNECT_URL too (e.g. http://127.0.0.1:18083)',
    ]);
    expect(() => read({ CDC_ENGINE: 'maxwell' })).toThrow(/CDC_ENGINE/);
    expect(() => read({ KAFKA_CONNECT_URL: 'connect:8083' })).toThrow(/KAFKA_CONNECT_URL: expected an http/);
  });

  it('debezium builds its connector from the platform settings', () => {
    const config = read({ CDC_ENGINE: 'debezium', KAFKA_BROKERS: '127.0.0.1:19092', KAFKA_CONNECT_URL: 'http://127.0.0.1:18083', TOPIC_PREFIX: 'sl' });
    const target = debeziumTarget(config, 'mysql://root:pw@127.0.0.1:3306/steveslist');
    expect(target.name).toBe('sl-steveslist');
    expect(target.config['column.exclude.list']).toContain('steveslist\\.api_keys\\.key_hash');
    expect(target.config['table.exclude.list']).toContain('steveslist\\.user_sessions');
  });
});
