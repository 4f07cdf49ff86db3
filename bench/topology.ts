// The production topology on the real engines: Kafka's publish and consume rates through the bus
// port, and commit-to-searchable and commit-to-warehouse latency for MariaDB -> change capture ->
// Kafka -> our indexer -> Elasticsearch and our loader -> the warehouse, with the built-in reader
// and with Debezium on Kafka Connect side by side. Needs `npm run engines:start` and KAFKA_BROKERS,
// ELASTICSEARCH_URL, KAFKA_CONNECT_URL (the Debezium rows); skipped, with a line saying so, without.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../core/log.js';
import { createListing } from '../marketplace/domain/listings.js';
import { createMysqlPool, parseMysqlUrl } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { sampleListing } from '../marketplace/sample-data/generate.js';
import { Random } from '../marketplace/sample-data/random.js';
import { seed } from '../marketplace/sample-data/seed.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { KafkaBus } from '../pipelines/bus/kafka.js';
import type { Bus } from '../pipelines/bus/port.js';
import { KafkaConnectClient } from '../pipelines/cdc/debezium/connect-client.js';
import { debeziumConnectorConfig } from '../pipelines/cdc/debezium/connector-config.js';
import { CdcReader } from '../pipelines/cdc/reader.js';
import { FileStateStore } from '../pipelines/cdc/reader-state.js';
import { TableFilter } from '../pipelines/cdc/topics.js';
import { ElasticsearchSearch } from '../pipelines/sinks/search/elasticsearch.js';
import { startSearchIndexer } from '../pipelines/sinks/search/indexer.js';
import { createWarehouseClient } from '../warehouse/client.js';
import { startWarehouseLoader } from '../warehouse/loader.js';
import { observeSearch, observeWarehouse, percentile } from './observe.js';
import { pacedWrites } from './paced-writes.js';
import { measure, type BenchResult } from './table.js';

const quiet = () => ({ update() {}, finish() {} });
const MESSAGES = 100_000;
const BATCH = 500;
const RATE = 200;
const SECONDS = 10;

async function kafkaBus(brokers: string[]): Promise<KafkaBus> {
  return KafkaBus.connect({ brokers, clientId: 'bench', defaultPartitions: 4, replicationFactor: 1, topicRefreshMs: 1000, groupPrefix: `bench-${Date.now()}.` });
}

/** Publish with four producers at once, then consume the topic with one group. */
async function publishAndConsume(bus: Bus): Promise<BenchResult[]> {
  const topic = `bench-rate-${Date.now()}`;
  const value = JSON.stringify({ before: null, after: { id: 1, name: 'x'.repeat(400) }, op: 'c' });
  let sent = 0;
  let t = Date.now();
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (sent < MESSAGES) {
      const from = sent;
      sent += BATCH;
      await bus.publish(topic, Array.from({ length: BATCH }, (_, i) => ({ key: `{"id":${from + i}}`, value })));
    }
  }));
  const published = measure('Kafka publish (bus port, acks=all, idempotent)', 'msg', sent, Date.now() - t, `4 producers x ${BATCH}-message batches, ~0.5 KB each`);
  t = Date.now();
  let received = 0;
  await new Promise<void>((resolve) => {
    void bus.subscribe({ group: `${topic}-group`, topics: [topic], maxBatchSize: 1000 }, async (batch) => {
      received += batch.messages.length;
      if (received >= sent) resolve();
    });
  });
  return [published, measure('Kafka consume (bus port, one group)', 'msg', received, Date.now() - t, '4 partitions, commits after each batch')];
}

/** Listings written at a steady rate; when each became searchable in Elasticsearch and reached the warehouse. */
async function endToEnd(server: LocalMysqlServer, engine: 'builtin' | 'debezium', env: { brokers: string[]; elasticsearch: string; connect?: string }): Promise<BenchResult[]> {
  const name = `topo_${engine}_${Date.now()}`;
  const url = server.url(name);
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 12 });
  await seed(pool, { users: 200, listings: 0, progress: quiet });
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-topology-'));
  const bus = await kafkaBus(env.brokers);
  const search = await ElasticsearchSearch.connect({ url: env.elasticsearch, alias: name });
  const warehouse = createWarehouseClient({ path: join(dir, 'warehouse') });
  const searchableAt = new Map<number, number>();
  const storedAt = new Map<number, number>();
  const firstSeen = (seen: Map<number, number>) => (ids: number[]) => { const now = performance.now(); for (const id of ids) if (!seen.has(id)) seen.set(id, now); };
  const common = { bus, pool, database: name, topicPrefix: name, log: silentLogger() };
  const indexer = startSearchIndexer({ ...common, search: observeSearch(search, firstSeen(searchableAt)) });
  const loader = startWarehouseLoader({ ...common, client: observeWarehouse(warehouse, firstSeen(storedAt)) });
  const connect = env.connect ? new KafkaConnectClient(env.connect) : undefined;
  let reader: CdcReader | undefined;
  try {
    await indexer.start();
    await loader.start();
    if (engine === 'builtin') {
      reader = CdcReader.start({
        url, bus, store: new FileStateStore(join(dir, 'cdc')), topicPrefix: name,
        filter: new TableFilter({ database: parseMysqlUrl(url).database, include: [], exclude: ['schema_migrations'], excludeColumns: [] }),
        replicaServerId: 77_020, snapshotChunkRows: 5000, onMissingBinlog: 'fail', log: silentLogger(), progress: quiet,
      });
      while (reader.stats().phase !== 'streaming') await new Promise((r) => setTimeout(r, 10));
    } else {
      await connect!.putConfig(name, debeziumConnectorConfig({
        sourceUrl: url, topicPrefix: name, serverId: 77_021, kafkaBrokers: env.brokers, partitions: 4, replicationFactor: 1,
        filter: { database: name, include: [], exclude: ['schema_migrations'], excludeColumns: [] },
      }));
      // Streaming once the task runs and has saved a position (its snapshot is done by then).
      for (;;) {
        const status = await connect!.status(name);
        if (status?.tasks[0]?.state === 'FAILED') throw new Error(`Debezium task failed: ${status.tasks[0].trace?.split('\n')[0]}`);
        if (status?.tasks[0]?.state === 'RUNNING' && (await connect!.offsets(name))) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const committedAt = new Map<number, number>();
    const total = RATE * SECONDS;
    const rng = new Random(31);
    const start = await pacedWrites({ total, ratePerSecond: RATE, workers: 8 }, async () => {
      const { createdAt: _ignored, ...listing } = sampleListing(rng, { id: rng.int(1, 200) }, new Date());
      committedAt.set(await createListing(pool, listing), performance.now());
    });
    const writeMs = performance.now() - start;
    const deadline = Date.now() + 180_000;
    while (searchableAt.size < total || storedAt.size < total) {
      if (Date.now() > deadline) throw new Error(`${engine}: ${searchableAt.size} searchable and ${storedAt.size} in the warehouse of ${total} after 180 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const lags = (seen: Map<number, number>) => [...committedAt].map(([id, at]) => Math.max(0, seen.get(id)! - at)).sort((a, b) => a - b);
    const note = (sorted: number[]) => `p50 ${percentile(sorted, 0.5).toFixed(0)} ms, p99 ${percentile(sorted, 0.99).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`;
    const label = engine === 'builtin' ? 'built-in reader' : 'Debezium 2.7 on Connect';
    return [
      measure(`commit -> searchable (${label} -> Kafka -> Elasticsearch) at ${RATE}/s`, 'listings', total, writeMs, note(lags(searchableAt))),
      measure(`commit -> warehouse (${label} -> Kafka -> chDB) at ${RATE}/s`, 'listings', total, writeMs, note(lags(storedAt))),
    ];
  } finally {
    await reader?.stop();
    if (engine === 'debezium') await connect?.delete(name).catch(() => undefined);
    await indexer.stop();
    await loader.stop();
    await search.destroy().catch(() => undefined);
    await search.close();
    await warehouse.close();
    await bus.close();
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function* topologyBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const brokers = process.env.KAFKA_BROKERS?.split(',');
  const elasticsearch = process.env.ELASTICSEARCH_URL;
  const connect = process.env.KAFKA_CONNECT_URL;
  if (!brokers) {
    process.stderr.write('  topology: skipped (npm run engines:start, then KAFKA_BROKERS=127.0.0.1:19092 ELASTICSEARCH_URL=http://127.0.0.1:19200 KAFKA_CONNECT_URL=http://127.0.0.1:18083)\n');
    return;
  }
  const bus = await kafkaBus(brokers);
  try {
    yield* await publishAndConsume(bus);
  } finally {
    await bus.close();
  }
  if (!elasticsearch) {
    process.stderr.write('  topology: latency rows skipped (set ELASTICSEARCH_URL)\n');
    return;
  }
  yield* await endToEnd(server, 'builtin', { brokers, elasticsearch });
  if (connect) yield* await endToEnd(server, 'debezium', { brokers, elasticsearch, connect });
  else process.stderr.write('  topology: Debezium rows skipped (set KAFKA_CONNECT_URL)\n');
}
