// The production topology with Debezium: `steveslist cdc` with CDC_ENGINE=debezium registers the
// connector on Kafka Connect, Debezium captures MariaDB into Kafka, and the search and warehouse
// workers (processes of their own) take Debezium's topics: a listing made through the API is
// found by search and lands in the warehouse with the same times.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../core/ports.js';
import { parseMysqlUrl } from '../marketplace/mysql/connection.js';
import { KafkaBus } from '../pipelines/bus/kafka.js';
import { readTopic } from '../pipelines/bus/read-topic.js';
import { KafkaConnectClient } from '../pipelines/cdc/debezium/connect-client.js';
import { WAREHOUSE_GROUP } from '../warehouse/loader.js';
import { createWarehouseClient } from '../warehouse/client.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import { until } from './fixtures/eventually.js';
import { httpClient } from './fixtures/http-client.js';
import { startCli, type RunningCli } from './fixtures/run-cli.js';
import { tempDir } from './fixtures/temp-dir.js';

const kafka = process.env.KAFKA_BROKERS;
const connect = process.env.KAFKA_CONNECT_URL;
if (!kafka || !connect) console.log('debezium roles: needs Kafka and Kafka Connect; run `npm run engines:start` and set KAFKA_BROKERS=127.0.0.1:19092 KAFKA_CONNECT_URL=http://127.0.0.1:18083 to include it');

const dir = tempDir();
let db: TestDatabase;
const running: RunningCli[] = [];
const prefix = `dbzroles${Date.now()}`;

beforeAll(async () => {
  db = await createTestDatabase('dbzroles');
});
afterAll(async () => {
  for (const cli of running) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  if (db && connect) await new KafkaConnectClient(connect).delete(`${prefix}-${db.name}`).catch(() => undefined);
  await db?.close();
  dir.remove();
});

async function stop(cli: RunningCli): Promise<number | null> {
  cli.child.kill('SIGTERM');
  return cli.exited;
}

describe.skipIf(!kafka || !connect)('CDC_ENGINE=debezium', () => {
  it('registers Debezium, reports it running, and the search and warehouse workers take a new listing from its topics', async () => {
    const port = await freePort();
    const env = {
      MYSQL_URL: db.url, KAFKA_BROKERS: kafka, KAFKA_CONNECT_URL: connect, KAFKA_REPLICATION_FACTOR: '1', TOPIC_PREFIX: prefix,
      DATA_DIR: join(dir.path, 'scaled'), PORT: String(port), LOG_LEVEL: 'info', CDC_SERVER_ID: String(70_000 + Math.floor(Math.random() * 10_000)),
      // Elasticsearch too where it runs (CI): the whole production path.
      ...(process.env.ELASTICSEARCH_URL ? { ELASTICSEARCH_URL: process.env.ELASTICSEARCH_URL, SEARCH_INDEX: prefix } : {}),
    };
    const cdc = startCli(['cdc'], { ...env, CDC_ENGINE: 'debezium' });
    running.push(cdc);
    await cdc.waitFor(/Debezium connector registered/);
    await cdc.waitFor(/"state":"RUNNING".*Debezium connector state|Debezium connector state.*"state":"RUNNING"/, 60_000);
    const worker = startCli(['worker', 'search'], env);
    const loader = startCli(['worker', 'warehouse'], env);
    const api = startCli(['serve', 'api'], env);
    running.push(worker, loader, api);
    await Promise.all([worker.waitFor(/worker running/), loader.waitFor(/worker running/), api.waitFor(/serving; Ctrl-C stops it/)]);
    const call = httpClient(`http://127.0.0.1:${port}`);
    const seller = await call('POST', '/v1/users', { body: { email: 'debezium@example.com', password: 'correct horse battery', name: 'Debezium Seller' } });
    const listing = await call('POST', '/v1/listings', {
      token: seller.body.session.token,
      body: { name: 'Canoe with two paddles', description: 'Floats', category: 'sports', country: 'US', city: 'Duluth', price_amount: 30_000, price_currency: 'usd' },
    });
    expect(listing.status).toBe(201);
    const found = await until(async () => (await call('GET', '/v1/search?q=canoe')).body, (body) => body?.total === 1, 90_000);
    expect(found.hits[0]).toMatchObject({ id: listing.body.id, name: 'Canoe with two paddles' });
    // DATETIME arrives from Debezium as µs since the epoch; the indexer makes it the same time.
    expect(found.hits[0].created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(Date.parse(found.hits[0].created_at)).toBe(Date.parse(listing.body.created_at));
    // The warehouse worker has taken everything on its topics: then its chDB folder is free to read.
    const bus = await KafkaBus.connect({ brokers: kafka!.split(','), clientId: 'dbzroles-test', defaultPartitions: 4, replicationFactor: 1, groupPrefix: `${prefix}.` });
    try {
      await until(async () => {
        const lags = (await bus.lag(WAREHOUSE_GROUP)).filter((l) => l.topic.startsWith(`${prefix}.`));
        return lags.some((l) => l.topic === `${prefix}.${db.name}.listings`) && lags.every((l) => l.lag === 0) ? true : undefined;
      }, (done) => done === true, 90_000);
    } finally {
      await bus.close();
    }
    for (const cli of [api, worker, loader, cdc]) expect(await stop(cli)).toBe(0);
    const warehouse = createWarehouseClient({ path: join(dir.path, 'scaled', 'warehouse') });
    try {
      const rows = await (await warehouse.query({ query: `SELECT name, created_at FROM raw.listings FINAL WHERE id = ${Number(listing.body.id)} AND _is_deleted = 0`, format: 'JSONEachRow' })).json<{ name: string; created_at: string }>();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.name).toBe('Canoe with two paddles');
      expect(Date.parse(`${rows[0]!.created_at.replace(' ', 'T')}Z`)).toBe(Date.parse(listing.body.created_at));
    } finally {
      await warehouse.close();
    }
    expect(cdc.output()).not.toContain(parseMysqlUrl(db.url).password);
  }, 240_000);

  it('takes an incremental snapshot when `steveslist cdc snapshot` writes the signal row, as the built-in reader does', async () => {
    // The connector registered above runs on in Connect; the command only writes the signal.
    const signal = startCli(['cdc', 'snapshot', 'users'], { MYSQL_URL: db.url, DATA_DIR: join(dir.path, 'signal'), LOG_LEVEL: 'info' });
    running.push(signal);
    expect(await signal.exited).toBe(0);
    expect(signal.output()).toMatch(/signal \S+ written to \S+\.cdc_signals: execute-snapshot/);
    const bus = await KafkaBus.connect({ brokers: kafka!.split(','), clientId: 'dbzroles-signal', defaultPartitions: 4, replicationFactor: 1, groupPrefix: `${prefix}.` });
    try {
      const reads = await until(async () => (await readTopic(bus, `${prefix}.${db.name}.users`))
        .map((m) => JSON.parse(m.value!.toString()) as { op: string; after: { email: string } | null; source: { snapshot: string } })
        .filter((event) => event.op === 'r' && event.source.snapshot === 'incremental'), (found) => found.length > 0, 120_000);
      expect(reads.map((event) => event.after?.email)).toContain('debezium@example.com');
    } finally {
      await bus.close();
    }
  }, 180_000);
});
