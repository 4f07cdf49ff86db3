// Debezium on Kafka Connect (CDC_ENGINE=debezium): its snapshot rate, and its streaming rate for
// a backlog of 100,000 inserted rows, counted at the Kafka topic. Needs the engines running
// (`npm run engines:start`) and KAFKA_BROKERS and KAFKA_CONNECT_URL; skipped without them.
import { Kafka, logLevel } from 'kafkajs';
import { createMysqlPool, withDatabase } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { KafkaConnectClient } from '../pipelines/cdc/debezium/connect-client.js';
import { debeziumConnectorConfig } from '../pipelines/cdc/debezium/connector-config.js';
import { measure, type BenchResult } from './table.js';

const ROWS = 100_000;

export async function* debeziumBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const brokers = process.env.KAFKA_BROKERS?.split(',');
  const connectUrl = process.env.KAFKA_CONNECT_URL;
  if (!brokers || !connectUrl) {
    process.stderr.write('  debezium: skipped (set KAFKA_BROKERS and KAFKA_CONNECT_URL after `npm run engines:start`)\n');
    return;
  }
  const database = `dbzbench_${Date.now()}`;
  const prefix = database;
  const url = withDatabase(server.url(), database);
  const admin = await createMysqlPool(server.url(), { connectionLimit: 1 });
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const pool = await createMysqlPool(url, { connectionLimit: 2 });
  const kafka = new Kafka({ brokers, clientId: 'bench', logLevel: logLevel.NOTHING }).admin();
  await kafka.connect();
  const client = new KafkaConnectClient(connectUrl);
  const name = `${prefix}-${database}`;
  const topic = `${prefix}.${database}.items`;
  const published = async () => (await kafka.fetchTopicOffsets(topic).catch(() => [])).reduce((sum, p) => sum + Number(p.high), 0);
  const waitFor = async (count: number) => {
    while ((await published()) < count) await new Promise((r) => setTimeout(r, 100));
  };
  const insertRows = (from: number) => pool.query(`INSERT INTO items (id, name, price, created_at)
    SELECT seq, CONCAT('item ', seq), seq / 100, NOW(6) FROM seq_${from}_to_${from + ROWS - 1}`);
  try {
    await pool.query('CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(100), price DECIMAL(12,2), created_at DATETIME(6))');
    await insertRows(1);
    let t = Date.now();
    await client.putConfig(name, debeziumConnectorConfig({
      sourceUrl: url, topicPrefix: prefix, serverId: 78_001, kafkaBrokers: brokers, partitions: 4, replicationFactor: 1,
      filter: { database, include: [], exclude: [], excludeColumns: [] },
    }));
    await waitFor(ROWS);
    yield measure('debezium snapshot (register to last row in Kafka)', 'rows', ROWS, Date.now() - t, 'Kafka Connect 3.9, Debezium 2.7, 384 MB heap');
    t = Date.now();
    await insertRows(ROWS + 1);
    const committed = Date.now() - t;
    await waitFor(2 * ROWS);
    yield measure('debezium streaming, one 100k-row INSERT (commit to last row in Kafka)', 'rows', ROWS, Date.now() - t, `insert took ${(committed / 1000).toFixed(1)} s of it`);
  } finally {
    await client.delete(name).catch(() => undefined);
    await kafka.disconnect();
    await pool.end();
  }
}
