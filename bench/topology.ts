// The production topology on the real engines: Kafka's publish and consume rates through the bus
// port; how soon the first message of a new topic is consumed; what each of Elasticsearch's ways
// to make a write searchable costs; and commit-to-searchable (until a search finds the listing),
// commit-to-warehouse and commit-to-webhook-delivered latency for MariaDB -> change capture ->
// Kafka -> our consumers, with the built-in reader and with Debezium on Kafka Connect side by side.
// Needs `npm run engines:start` and KAFKA_BROKERS, ELASTICSEARCH_URL, KAFKA_CONNECT_URL (the
// Debezium rows); skipped, with a line saying so, without.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { silentLogger } from '../core/log.js';
import { generateWebhookSecret } from '../core/webhook-signature.js';
import { createListing } from '../marketplace/domain/listings.js';
import { createUser } from '../marketplace/domain/users.js';
import { createMysqlPool } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { sampleListing } from '../marketplace/sample-data/generate.js';
import { Random } from '../marketplace/sample-data/random.js';
import { seed } from '../marketplace/sample-data/seed.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { KafkaBus, type KafkaBusOptions } from '../pipelines/bus/kafka.js';
import type { Bus } from '../pipelines/bus/port.js';
import { KafkaConnectClient } from '../pipelines/cdc/debezium/connect-client.js';
import { debeziumConnectorConfig } from '../pipelines/cdc/debezium/connector-config.js';
import { createCapturedTopics } from '../pipelines/cdc/captured-topics.js';
import { CdcReader } from '../pipelines/cdc/reader.js';
import { FileStateStore } from '../pipelines/cdc/reader-state.js';
import { TableFilter } from '../pipelines/cdc/topics.js';
import { ElasticsearchSearch, type ElasticsearchOptions } from '../pipelines/sinks/search/elasticsearch.js';
import { startSearchIndexer } from '../pipelines/sinks/search/indexer.js';
import { toDocument } from '../pipelines/sinks/search/listing-changes.js';
import { startWebhookEnqueuer, WebhookDispatcher } from '../pipelines/sinks/webhooks/webhook-worker.js';
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const spread = (sorted: number[]) => `p50 ${percentile(sorted, 0.5).toFixed(0)} ms, p99 ${percentile(sorted, 0.99).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`;

/** The platform's bus settings unless told otherwise. */
async function kafkaBus(brokers: string[], overrides: Partial<KafkaBusOptions> = {}): Promise<KafkaBus> {
  return KafkaBus.connect({ brokers, clientId: 'bench', defaultPartitions: 4, replicationFactor: 1, groupPrefix: `bench-${Date.now()}.`, ...overrides });
}

/**
 * Finds listings by searching the index, as a user would: a write is searchable once a search
 * returns it, not when its bulk returned (Elasticsearch shows a write to searches after a refresh).
 */
function searchWatcher(url: string, alias: string) {
  const client = new Client({ node: url });
  const pending = new Map<number, number>();
  /** Milliseconds from expect() (the commit) to the search that returned it. */
  const lags = new Map<number, number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const ids = [...pending.keys()];
      if (ids.length > 0) {
        const response = await client.search({ index: alias, size: ids.length, _source: false, query: { ids: { values: ids.map(String) } } }).catch(() => undefined);
        const now = performance.now();
        for (const hit of response?.hits.hits ?? []) {
          const id = Number(hit._id);
          const since = pending.get(id);
          if (since !== undefined) {
            pending.delete(id);
            lags.set(id, now - since);
          }
        }
      }
      await sleep(10);
    }
  })();
  return {
    lags,
    /** Look for the listing, committed at `at`. */
    expect(id: number, at = performance.now()) { if (!lags.has(id)) pending.set(id, at); },
    async stop() { stopped = true; await loop; await client.close(); },
  };
}

/**
 * The first message on a topic: one that existed when the group joined (the platform creates
 * every captured table's and aggregate's topic first), and one nobody knew, found by the topic
 * look and consumed after the group joins again, with today's settings and with kafkajs's.
 */
async function firstMessages(brokers: string[]): Promise<BenchResult[]> {
  const cases: { label: string; known: boolean; trials: number; overrides: Partial<KafkaBusOptions> }[] = [
    { label: 'Kafka first message of a topic created before the group joined', known: true, trials: 10, overrides: {} },
    { label: 'Kafka first message of a topic nobody knew (1 s topic look, 250 ms fetch wait)', known: false, trials: 5, overrides: {} },
    { label: 'Kafka first message of a topic nobody knew (before: 10 s look, kafkajs defaults)', known: false, trials: 3, overrides: { topicRefreshMs: 10_000, fetchMaxWaitMs: 5000, heartbeatIntervalMs: 3000 } },
  ];
  const rows: BenchResult[] = [];
  for (const { label, known, trials, overrides } of cases) {
    const bus = await kafkaBus(brokers, overrides);
    const prefix = `bench-first-${Date.now()}`;
    const topics = Array.from({ length: trials }, (_, i) => `${prefix}.t${i}`);
    try {
      await bus.ensureTopic(`${prefix}.seed`);
      if (known) await Promise.all(topics.map((topic) => bus.ensureTopic(topic)));
      const handledAt = new Map<string, number>();
      await bus.subscribe({ group: 'first', topics: [new RegExp(`^${prefix.replace(/[.-]/g, '\\$&')}\\.`)] }, async (batch) => { if (!handledAt.has(batch.topic)) handledAt.set(batch.topic, performance.now()); });
      const lags: number[] = [];
      const started = performance.now();
      for (const topic of topics) {
        // Anywhere between two looks at the topic list, as a real first event would be.
        await sleep(Math.random() * (overrides.topicRefreshMs ?? 1000));
        const at = performance.now();
        // Publishing creates a topic that does not exist, as change capture does.
        await bus.publish(topic, [{ key: null, value: 'first' }]);
        const deadline = Date.now() + 60_000;
        while (!handledAt.has(topic)) {
          if (Date.now() > deadline) throw new Error(`${label}: ${topic} not consumed after 60 s`);
          await sleep(2);
        }
        lags.push(handledAt.get(topic)! - at);
      }
      rows.push(measure(label, 'topics', trials, performance.now() - started, `publish -> handled ${spread(lags.sort((a, b) => a - b))}`));
    } finally {
      await bus.close();
    }
  }
  return rows;
}

/**
 * Elasticsearch's ways to make a write searchable, on one index: the latency at 200 listings/s in
 * small bulks (as the indexer sends them at that rate), and indexing throughput in 500-listing
 * bulks (a backlog, a reindex) and in 20-listing bulks.
 */
async function refreshModes(url: string): Promise<BenchResult[]> {
  const modes: { label: string; options: Pick<ElasticsearchOptions, 'refresh' | 'refreshIntervalMs'> }[] = [
    { label: 'index refresh every 1 s (before)', options: { refresh: 'interval', refreshIntervalMs: 1000 } },
    { label: 'index refresh every 250 ms (default)', options: { refresh: 'interval', refreshIntervalMs: 250 } },
    { label: 'bulk refresh=wait_for, 1 s', options: { refresh: 'wait_for', refreshIntervalMs: 1000 } },
    { label: 'refresh with each bulk', options: { refresh: 'bulk' } },
  ];
  const rng = new Random(7);
  const now = new Date().toISOString();
  const documents = (from: number, count: number) => Array.from({ length: count }, (_, i) => {
    const { createdAt: _ignored, sellerId, priceAmount, priceCurrency, ...listing } = sampleListing(rng, { id: 1 }, new Date());
    const doc = toDocument({ ...listing, id: from + i, seller_id: sellerId, price_amount: priceAmount, price_currency: priceCurrency, status: 'active', created_at: now, updated_at: now }, 'Seller');
    return { doc, version: 1n };
  });
  const rows: BenchResult[] = [];
  for (const { label, options } of modes) {
    const alias = `bench-refresh-${Date.now()}`;
    const search = await ElasticsearchSearch.connect({ url, alias, ...options });
    const watcher = searchWatcher(url, alias);
    try {
      const store = await search.serving();
      // 200 listings/s for 5 s, a bulk every 50 ms.
      let next = 1;
      const start = performance.now();
      while (performance.now() - start < 5000) {
        const due = Math.floor((performance.now() - start) / 5) + 1;
        const ids: number[] = [];
        while (next <= due) ids.push(next++);
        for (const id of ids) watcher.expect(id);
        if (ids.length > 0) await store.upsert(documents(ids[0]!, ids.length));
        await sleep(50);
      }
      const latencyIds = next - 1;
      while (watcher.lags.size < latencyIds) await sleep(10);
      await watcher.stop();
      const throughput = async (first: number, total: number, size: number) => {
        const t = performance.now();
        for (let i = 0; i < total; i += size) await store.upsert(documents(first + i, size));
        return Math.round((total * 1000) / (performance.now() - t));
      };
      const big = 10_000;
      const t = performance.now();
      await throughput(1_000_000, big, 500);
      const bigMs = performance.now() - t;
      const small = await throughput(2_000_000, 1000, 20);
      const lags = [...watcher.lags.values()];
      rows.push(measure(`Elasticsearch ${label}: 500-listing bulks`, 'listings', big, bigMs,
        `20-listing bulks ${small.toLocaleString('en-US')}/s; at 200/s write -> found by a search ${spread(lags.sort((a, b) => a - b))}`));
    } finally {
      await watcher.stop().catch(() => undefined);
      await search.destroy().catch(() => undefined);
      await search.close();
    }
  }
  return rows;
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

/**
 * Listings written at a steady rate; when a search first found each in Elasticsearch, and when
 * each reached the warehouse. The platform's way: every captured topic created before the
 * consumers subscribe.
 */
async function endToEnd(
  server: LocalMysqlServer, engine: 'builtin' | 'debezium', env: { brokers: string[]; elasticsearch: string; connect?: string },
  refresh: { label: string; options: Pick<ElasticsearchOptions, 'refresh' | 'refreshIntervalMs'> } = { label: '', options: {} },
): Promise<BenchResult[]> {
  const name = `topo_${engine}_${Date.now()}`;
  const url = server.url(name);
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 12 });
  await seed(pool, { users: 200, listings: 0, progress: quiet });
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-topology-'));
  const bus = await kafkaBus(env.brokers);
  const search = await ElasticsearchSearch.connect({ url: env.elasticsearch, alias: name, ...refresh.options });
  const watcher = searchWatcher(env.elasticsearch, name);
  const warehouse = createWarehouseClient({ path: join(dir, 'warehouse') });
  const indexedAt = new Map<number, number>();
  const storedAt = new Map<number, number>();
  const firstSeen = (seen: Map<number, number>) => (ids: number[]) => { const now = performance.now(); for (const id of ids) if (!seen.has(id)) seen.set(id, now); };
  const common = { bus, pool, database: name, topicPrefix: name, log: silentLogger() };
  const filter = new TableFilter({ database: name, include: [], exclude: ['schema_migrations'], excludeColumns: [] });
  await createCapturedTopics(bus, pool, { topicPrefix: name, database: name, filter });
  const indexer = startSearchIndexer({ ...common, search: observeSearch(search, firstSeen(indexedAt)) });
  const loader = startWarehouseLoader({ ...common, client: observeWarehouse(warehouse, firstSeen(storedAt)) });
  const connect = env.connect ? new KafkaConnectClient(env.connect) : undefined;
  let reader: CdcReader | undefined;
  try {
    await indexer.start();
    await loader.start();
    if (engine === 'builtin') {
      reader = CdcReader.start({
        url, bus, store: new FileStateStore(join(dir, 'cdc')), topicPrefix: name,
        filter, replicaServerId: 77_020, snapshotChunkRows: 5000, onMissingBinlog: 'fail', log: silentLogger(), progress: quiet,
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
      const id = await createListing(pool, listing);
      const at = performance.now();
      committedAt.set(id, at);
      watcher.expect(id, at);
    });
    const writeMs = performance.now() - start;
    const deadline = Date.now() + 180_000;
    while (watcher.lags.size < total || storedAt.size < total) {
      if (Date.now() > deadline) throw new Error(`${engine}: ${watcher.lags.size} searchable and ${storedAt.size} in the warehouse of ${total} after 180 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const lags = (seen: Map<number, number>) => [...committedAt].map(([id, at]) => Math.max(0, seen.get(id)! - at)).sort((a, b) => a - b);
    const label = engine === 'builtin' ? 'built-in reader' : 'Debezium 2.7 on Connect';
    const found = [...watcher.lags.values()].sort((a, b) => a - b);
    return [
      measure(`commit -> found by a search (${label} -> Kafka -> Elasticsearch${refresh.label}) at ${RATE}/s`, 'listings', total, writeMs,
        `${spread(found)}; bulk returned p50 ${percentile(lags(indexedAt), 0.5).toFixed(0)} ms, p99 ${percentile(lags(indexedAt), 0.99).toFixed(0)} ms`),
      measure(`commit -> warehouse (${label} -> Kafka -> chDB) at ${RATE}/s`, 'listings', total, writeMs, spread(lags(storedAt))),
    ];
  } finally {
    await watcher.stop().catch(() => undefined);
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

/**
 * Commit -> webhook delivered on Kafka from a fresh topic prefix, the platform's way (captured
 * topics created before the consumers subscribe): the first listing.created is the first event of
 * its topic, and is reported on its own beside the spread of all.
 */
async function webhooksOnKafka(server: LocalMysqlServer, brokers: string[]): Promise<BenchResult[]> {
  const name = `topo_hooks_${Date.now()}`;
  const url = server.url(name);
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 12 });
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-topology-hooks-'));
  const deliveredAt = new Map<string, number>();
  const receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      const listing = (JSON.parse(body) as { data: { name?: string } }).data.name;
      if (listing && !deliveredAt.has(listing)) deliveredAt.set(listing, performance.now());
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const bus = await kafkaBus(brokers);
  const options = { bus, pool, topicPrefix: name, log: silentLogger(), allowPrivate: true };
  const enqueuer = startWebhookEnqueuer(options);
  const dispatcher = new WebhookDispatcher(options);
  let reader: CdcReader | undefined;
  try {
    const filter = new TableFilter({ database: name, include: [], exclude: ['schema_migrations'], excludeColumns: [] });
    await createCapturedTopics(bus, pool, { topicPrefix: name, database: name, filter });
    const seller = await createUser(pool, { email: 'topology-seller@example.com', name: 'Seller', passwordHash: 'x' });
    const port = (receiver.address() as { port: number }).port;
    await pool.query('INSERT INTO webhook_endpoints (user_id, url, event_types, secret) VALUES (?, ?, ?, ?)', [seller.id, `http://127.0.0.1:${port}/hook`, '["listing.created"]', generateWebhookSecret()]);
    await enqueuer.start();
    dispatcher.start();
    reader = CdcReader.start({
      url, bus, store: new FileStateStore(join(dir, 'cdc')), topicPrefix: name, filter,
      replicaServerId: 77_022, snapshotChunkRows: 5000, onMissingBinlog: 'fail', log: silentLogger(), progress: quiet,
    });
    while (reader.stats().phase !== 'streaming') await sleep(10);
    const total = RATE * SECONDS;
    const committedAt = new Map<string, number>();
    const start = await pacedWrites({ total, ratePerSecond: RATE, workers: 8 }, async (i) => {
      const listing = `hook-${i}`;
      await createListing(pool, { sellerId: seller.id, name: listing, description: 'x', category: 'bikes', country: 'US', city: 'Austin', priceAmount: 100, priceCurrency: 'usd' });
      committedAt.set(listing, performance.now());
    });
    const deadline = Date.now() + 180_000;
    while (deliveredAt.size < total) {
      if (Date.now() > deadline) throw new Error(`webhooks on Kafka: ${deliveredAt.size} of ${total} delivered after 180 s`);
      await sleep(20);
    }
    const lags = [...committedAt].map(([listing, at]) => deliveredAt.get(listing)! - at).sort((a, b) => a - b);
    const first = deliveredAt.get('hook-0')! - committedAt.get('hook-0')!;
    return [measure(`commit -> webhook delivered (built-in reader -> Kafka -> webhooks) at ${RATE}/s, fresh topics`, 'deliveries', total, Math.max(...deliveredAt.values()) - start,
      `${spread(lags)}; the topic's first event ${first.toFixed(0)} ms`)];
  } finally {
    await reader?.stop();
    await dispatcher.stop();
    await enqueuer.stop();
    await bus.close();
    await pool.end();
    receiver.close();
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
  yield* await firstMessages(brokers);
  yield* await webhooksOnKafka(server, brokers);
  if (!elasticsearch) {
    process.stderr.write('  topology: Elasticsearch rows skipped (set ELASTICSEARCH_URL)\n');
    return;
  }
  yield* await refreshModes(elasticsearch);
  yield* await endToEnd(server, 'builtin', { brokers, elasticsearch });
  yield* (await endToEnd(server, 'builtin', { brokers, elasticsearch }, { label: ', index refresh every 1 s as before', options: { refresh: 'interval', refreshIntervalMs: 1000 } })).slice(0, 1);
  if (connect) yield* await endToEnd(server, 'debezium', { brokers, elasticsearch, connect });
  else process.stderr.write('  topology: Debezium rows skipped (set KAFKA_CONNECT_URL)\n');
}
