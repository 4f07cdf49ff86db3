// Search: commit-to-searchable latency under a steady write load, and over a large index
// (BENCH_SEARCH_DOCS, default 1M) the indexing rate, disk, memory, open time and query latency of
// the embedded engine, side by side with Elasticsearch on the same documents when
// ELASTICSEARCH_URL is set.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { Client } from '@elastic/elasticsearch';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../core/log.js';
import { createListing } from '../marketplace/domain/listings.js';
import { createMysqlPool, parseMysqlUrl } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { worldCities } from '../marketplace/places/geonames-gazetteer.js';
import { sampleListing } from '../marketplace/sample-data/generate.js';
import { Random } from '../marketplace/sample-data/random.js';
import { seed } from '../marketplace/sample-data/seed.js';
import { COUNTRIES } from '../marketplace/sample-data/vocabulary.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { EmbeddedBus } from '../pipelines/bus/embedded/index.js';
import { CdcReader } from '../pipelines/cdc/reader.js';
import { FileStateStore } from '../pipelines/cdc/reader-state.js';
import { TableFilter } from '../pipelines/cdc/topics.js';
import { ElasticsearchSearch } from '../pipelines/sinks/search/elasticsearch.js';
import { EmbeddedSearch } from '../pipelines/sinks/search/embedded/index.js';
import { ThreadedEmbeddedSearch } from '../pipelines/sinks/search/embedded/thread/threaded-search.js';
import { startSearchIndexer } from '../pipelines/sinks/search/indexer.js';
import type { ListingDocument, SearchQuery, SearchStore } from '../pipelines/sinks/search/port.js';
import { untilGroupHandledAll } from './group-progress.js';
import { observeSearch, percentile } from './observe.js';
import { pacedWrites } from './paced-writes.js';
import { measure, type BenchResult } from './table.js';

const quiet = () => ({ update() {}, finish() {} });

async function commitToSearchable(server: LocalMysqlServer, dir: string): Promise<BenchResult> {
  const url = server.url('bench_search');
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 24 });
  await seed(pool, { users: 1000, listings: 0, progress: quiet });
  const bus = await EmbeddedBus.open({ dir: join(dir, 'bus'), defaultPartitions: 4, segmentBytes: 64 << 20, fsync: 'always', fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12 });
  const search = new EmbeddedSearch(join(dir, 'search'));
  await search.ensureIndex();
  const committedAt = new Map<number, number>();
  const searchableAt = new Map<number, number>();
  const indexer = startSearchIndexer({
    bus, pool, database: 'bench_search', topicPrefix: 'bench', log: silentLogger(),
    search: observeSearch(search, (ids) => { const now = performance.now(); for (const id of ids) if (!searchableAt.has(id)) searchableAt.set(id, now); }),
  });
  await indexer.start();
  const reader = CdcReader.start({
    url, bus, store: new FileStateStore(join(dir, 'cdc')), topicPrefix: 'bench',
    filter: new TableFilter({ database: parseMysqlUrl(url).database, include: [], exclude: [], excludeColumns: [] }),
    replicaServerId: 77_010, snapshotChunkRows: 5000, onMissingBinlog: 'fail', log: silentLogger(), progress: quiet,
  });
  while (reader.stats().phase !== 'streaming') await new Promise((r) => setTimeout(r, 10));

  const ratePerSecond = 1000;
  const seconds = 8;
  const total = ratePerSecond * seconds;
  const rng = new Random(21);
  const start = await pacedWrites({ total, ratePerSecond, workers: 16 }, async () => {
    const { createdAt: _ignored, ...listing } = sampleListing(rng, { id: rng.int(1, 1000) }, new Date());
    const id = await createListing(pool, listing);
    committedAt.set(id, performance.now());
  });
  const writeSeconds = (performance.now() - start) / 1000;
  const waitUntil = Date.now() + 60_000;
  while (searchableAt.size < total) {
    if (Date.now() > waitUntil) throw new Error(`only ${searchableAt.size} of ${total} listings became searchable (indexer: ${JSON.stringify(await indexer.stats())}, cdc: ${JSON.stringify(reader.stats(), (_k, v) => (typeof v === "bigint" ? String(v) : v))})`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const lags = [...committedAt].map(([id, at]) => Math.max(0, searchableAt.get(id)! - at)).sort((a, b) => a - b);
  await reader.stop();
  await indexer.stop();
  await search.close();
  await bus.close();
  await pool.end();
  return {
    ...measure('commit -> searchable (MariaDB, CDC, bus, indexer)', 'listings', total, writeSeconds * 1000),
    note: `p50 ${percentile(lags, 0.5).toFixed(1)} ms, p99 ${percentile(lags, 0.99).toFixed(1)} ms, max ${lags[lags.length - 1]!.toFixed(1)} ms`,
  };
}

type Coordinates = Map<string, { latitude: number; longitude: number }>;

/** Where each city of the sample vocabulary is, keyed "city|country", from the gazetteer. */
async function sampleCityCoordinates(): Promise<Coordinates> {
  const found: Coordinates = new Map();
  for (const country of COUNTRIES) {
    for (const city of country.cities) {
      const place = await worldCities().locate(city, country.code);
      if (place) found.set(`${city}|${country.code}`, { latitude: place.latitude, longitude: place.longitude });
    }
  }
  return found;
}

/** Listings made from the sample vocabulary, in batches, the same for every seed and engine. */
function* documentBatches(count: number, seed: number, batchSize: number, places: Coordinates): Generator<ListingDocument[]> {
  const rng = new Random(seed);
  const now = Date.now();
  for (let first = 1; first <= count; first += batchSize) {
    const batch: ListingDocument[] = [];
    for (let id = first; id < first + batchSize && id <= count; id++) {
      const sample = sampleListing(rng, { id: rng.int(1, 100_000) }, new Date(now - rng.int(0, 365 * 86_400_000)));
      const place = places.get(`${sample.city}|${sample.country}`);
      batch.push({
        latitude: place?.latitude ?? null, longitude: place?.longitude ?? null, id, seller_id: sample.sellerId, seller_name: 'Seller', name: sample.name, description: sample.description, category: sample.category,
        country: sample.country, city: sample.city, price_amount: sample.priceAmount, price_currency: sample.priceCurrency, status: 'active',
        created_at: sample.createdAt.toISOString(), updated_at: sample.createdAt.toISOString(),
      });
    }
    yield batch;
  }
}

const QUERIES: SearchQuery[] = [
  { q: 'second-hand tv' }, { q: 'sceond-hnad tv' }, { q: 'samsung' }, { q: 'oak dining table', city: 'Berlin' },
  { q: 'road bike', sort: 'price_asc' }, { q: 'kayak' }, { q: 'lether armchair' }, { q: 'iphone 13' },
  { category: 'furniture', country: 'GB', sort: 'newest' }, { q: 'dyson', maxPrice: 30_000 }, { q: 'tele' }, { q: 'vintage', page: 3 },
  { q: 'couch' }, {},
  // Near Boston and near Berlin (the gazetteer's coordinates).
  { near: { latitude: 42.3584, longitude: -71.0598, withinKm: 50 }, sort: 'distance' }, { q: 'sofa', near: { latitude: 52.5244, longitude: 13.4105, withinKm: 300 } },
];
const ROUNDS = 25;
const BATCH = 2000;

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

/**
 * Every query of the mix ROUNDS times, after one round to warm up; latencies in ms, sorted, and
 * this process's CPU time per query (for Elasticsearch that is the client's share only).
 */
interface QueryRun {
  /** Milliseconds, sorted. */
  latencies: number[];
  cpuMsPerQuery: number;
}

async function queryLatencies(store: SearchStore): Promise<QueryRun> {
  for (const query of QUERIES) await store.search(query);
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  for (let round = 0; round < ROUNDS; round++) {
    for (const query of QUERIES) {
      const started = performance.now();
      await store.search(query);
      latencies.push(performance.now() - started);
    }
  }
  const cpuMsPerQuery = cpuMs(process.cpuUsage(cpu)) / latencies.length;
  return { latencies: latencies.sort((a, b) => a - b), cpuMsPerQuery };
}

function latencyRow(name: string, { latencies, cpuMsPerQuery }: QueryRun, engine: string): BenchResult {
  return {
    ...measure(name, 'queries', latencies.length, latencies.reduce((a, b) => a + b, 0)),
    // The machine's load beside the figures: on a shared machine it explains more than the code.
    note: `${engine}: p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms (hits, total, facets); ${cpuMsPerQuery.toFixed(2)} ms CPU per query in this process; load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`,
  };
}

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`;

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
}

interface EngineRun {
  rows: BenchResult[];
  queries: QueryRun;
}

async function embeddedEngine(dir: string, count: number, places: Coordinates): Promise<EngineRun> {
  const folder = join(dir, 'large');
  const label = count.toLocaleString('en-US');
  const before = process.memoryUsage();
  const search = new EmbeddedSearch(folder);
  await search.ensureIndex();
  const store = await search.serving();
  // Only the writes are timed, not making up the documents.
  // CPU time beside wall time: on a busy shared machine the wall clock mostly measures the others.
  let indexingMs = 0;
  let indexingCpuMs = 0;
  for (const batch of documentBatches(count, 9, BATCH, places)) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    await store.upsert(batch.map((doc) => ({ doc, version: 1n })));
    indexingMs += performance.now() - started;
    indexingCpuMs += cpuMs(process.cpuUsage(cpu));
  }
  const indexing = measure(`index ${label} listings (${BATCH.toLocaleString('en-US')}-doc batches)`, 'docs', count, indexingMs, 'embedded');
  const after = process.memoryUsage();
  await search.close();

  // A restart without the snapshot (a crash before the first one): every document re-read and
  // re-analysed; this writes a snapshot, so the next restart maps it back in.
  const [indexFile] = readdirSync(folder).filter((file) => file.endsWith('.sqlite'));
  rmSync(join(folder, `${indexFile}.snapshot`), { force: true });
  let t = performance.now();
  const rebuilt = new EmbeddedSearch(folder);
  await (await rebuilt.serving()).count();
  const rebuildMs = performance.now() - t;
  await rebuilt.close();

  // A restart after a clean stop.
  t = performance.now();
  const reopened = new EmbeddedSearch(folder);
  const served = await reopened.serving();
  await served.count();
  const openMs = performance.now() - t;
  const queries = await queryLatencies(served);
  await reopened.close();
  const memory = `memory +${mb(after.rss - before.rss)} RSS (heap +${mb(after.heapUsed - before.heapUsed)}, typed arrays +${mb(after.arrayBuffers - before.arrayBuffers)})`;
  return {
    queries,
    rows: [
      { ...indexing, note: `embedded; ${Math.round(count / (indexingCpuMs / 1000)).toLocaleString('en-US')} docs per CPU-second; disk ${mb(folderBytes(folder))}, ${memory}` },
      { ...measure(`open an index of ${label} listings without a snapshot`, 'docs', count, rebuildMs), note: 'embedded: every document re-read and re-analysed' },
      { ...measure(`open an index of ${label} listings from its snapshot`, 'docs', count, openMs), note: 'embedded: the usual restart' },
      latencyRow(`search over ${label} listings (query mix), embedded`, queries, 'embedded'),
    ],
  };
}

async function elasticsearchEngine(url: string, count: number, places: Coordinates): Promise<EngineRun> {
  const label = count.toLocaleString('en-US');
  const alias = `bench-search-${Date.now()}`;
  const search = await ElasticsearchSearch.connect({ url, alias });
  const client = new Client({ node: url });
  try {
    await search.ensureIndex();
    const store = await search.serving();
    const t = performance.now();
    // A few bulks in flight, as the indexer's partitions would send them.
    const inFlight = new Set<Promise<void>>();
    for (const batch of documentBatches(count, 9, BATCH, places)) {
      const sent: Promise<void> = store.upsert(batch.map((doc) => ({ doc, version: 1n }))).then((outcome) => {
        inFlight.delete(sent);
        if (outcome.failed.length > 0) throw new Error(`Elasticsearch refused ${outcome.failed.length} documents: ${outcome.failed[0]!.error}`);
      });
      inFlight.add(sent);
      if (inFlight.size >= 4) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    await client.indices.refresh({ index: alias });
    const indexing = measure(`index ${label} listings (${BATCH.toLocaleString('en-US')}-doc bulks, 4 in flight)`, 'docs', count, performance.now() - t, 'elasticsearch');
    const stats = await client.indices.stats({ index: alias, metric: ['store'] });
    const serverCpuMs = async () => {
      const stats = await client.nodes.stats({ metric: ['process'] });
      return Object.values(stats.nodes).reduce((sum, node) => sum + (node.process?.cpu?.total_in_millis ?? 0), 0);
    };
    const cpuBefore = await serverCpuMs();
    const queries = await queryLatencies(store);
    const serverMsPerQuery = (await serverCpuMs() - cpuBefore) / queries.latencies.length;
    const row = latencyRow(`search over ${label} listings (query mix), elasticsearch`, queries, 'elasticsearch');
    return {
      queries,
      rows: [
        { ...indexing, note: `elasticsearch; disk ${mb(Number(stats._all.primaries?.store?.size_in_bytes ?? 0))}` },
        { ...row, note: `${row.note}; the Elasticsearch server used ${serverMsPerQuery.toFixed(2)} ms CPU per query` },
      ],
    };
  } finally {
    await search.destroy();
    await search.close();
    await client.close();
  }
}

async function* indexAndQuery(dir: string, count: number): AsyncGenerator<BenchResult> {
  const places = await sampleCityCoordinates();
  const embedded = await embeddedEngine(dir, count, places);
  yield* embedded.rows;
  const url = process.env.ELASTICSEARCH_URL;
  if (!url) return;
  const elasticsearch = await elasticsearchEngine(url, count, places);
  yield* elasticsearch.rows;
  const ratio = (q: number) => (percentile(elasticsearch.queries.latencies, q) / percentile(embedded.queries.latencies, q)).toFixed(1);
  const { latencies } = embedded.queries;
  yield {
    ...measure('search query mix: elasticsearch time / embedded time', 'queries', latencies.length, latencies.reduce((a, b) => a + b, 0)),
    note: `p50 ${ratio(0.5)}x, p99 ${ratio(0.99)}x (above 1: embedded faster)`,
  };
}

/** Streamed listing changes the drain bench puts on the bus (BENCH_SEARCH_DRAIN, default 100,000). */
const DRAIN_CHANGES = Number(process.env.BENCH_SEARCH_DRAIN ?? 100_000);

/**
 * The search indexer catching up on a backlog, as after a restart during a burst: a quarter of
 * the changes are new listings and the rest updates of them, streamed by change capture to the
 * bus before the indexer starts; then a new consumer group indexes them all into a fresh embedded
 * index on its own thread, as `up` runs it. CPU is the process's (the index's thread included).
 */
async function* indexerDrain(server: LocalMysqlServer, dir: string): AsyncGenerator<BenchResult> {
  const url = server.url('bench_search_drain');
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 8 });
  await seed(pool, { users: 1000, listings: 0, progress: quiet });
  const bus = await EmbeddedBus.open({ dir: join(dir, 'drain-bus'), defaultPartitions: 4, segmentBytes: 64 << 20, fsync: 'always', fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12 });
  const reader = CdcReader.start({
    url, bus, store: new FileStateStore(join(dir, 'drain-cdc')), topicPrefix: 'drain',
    filter: new TableFilter({ database: parseMysqlUrl(url).database, include: [], exclude: [], excludeColumns: [] }),
    replicaServerId: 77_011, snapshotChunkRows: 5000, onMissingBinlog: 'fail', log: silentLogger(), progress: quiet,
  });
  const topic = 'drain.bench_search_drain.listings';
  try {
    while (reader.stats().phase !== 'streaming') await new Promise((r) => setTimeout(r, 10));
    const listings = Math.round(DRAIN_CHANGES / 4);
    await seed(pool, { users: 0, listings, seed: 7, progress: quiet });
    for (let round = 1; round <= 3; round++) await pool.query(`UPDATE listings SET price_amount = price_amount + ${round}, description = CONCAT(description, ' (${round})')`);
    // Each partition read on from where the last look ended, not from its start again.
    const next: number[] = [];
    const published = async () => {
      for (let p = 0; p < await bus.partitions(topic); p++) {
        const read = await bus.read(topic, p, next[p] ?? 0, 100_000);
        if (read.length > 0) next[p] = read.at(-1)!.offset + 1;
      }
      return next.reduce((sum, offset) => sum + (offset ?? 0), 0);
    };
    while (await published() < listings * 4) await new Promise((r) => setTimeout(r, 50));
    await reader.stop();
    for (let round = 1; round <= 2; round++) {
      const search = new ThreadedEmbeddedSearch({ dir: join(dir, `drain-search-${round}`), alias: 'listings' });
      await search.ensureIndex();
      const group = `search-drain-${round}`;
      const indexer = startSearchIndexer({ bus, pool, database: 'bench_search_drain', topicPrefix: 'drain', log: silentLogger(), search, group });
      const load = loadavg()[0]!.toFixed(1);
      const cpu = process.cpuUsage();
      const started = performance.now();
      await indexer.start();
      const { handled } = await untilGroupHandledAll(bus, group, topic, started);
      const ms = performance.now() - started;
      const used = process.cpuUsage(cpu);
      await indexer.stop();
      await search.close();
      yield { ...measure(`search indexer catching up on ${handled.toLocaleString('en-US')} listing changes, round ${round}`, 'changes', handled, ms, 'embedded, on its thread'),
        note: `${((used.user + used.system) / handled).toFixed(1)} µs CPU a change (the process, the index's thread included); a quarter new listings, the rest updates; load average ${load}` };
    }
  } finally {
    await reader.stop().catch(() => undefined);
    await bus.close();
    await pool.end();
  }
}

export async function* searchBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-search-'));
  try {
    // BENCH_SEARCH=drain measures the indexer's catching up alone.
    if (process.env.BENCH_SEARCH === 'drain') {
      yield* indexerDrain(server, dir);
      return;
    }
    yield await commitToSearchable(server, dir);
    yield* indexerDrain(server, dir);
    yield* indexAndQuery(dir, Number(process.env.BENCH_SEARCH_DOCS ?? 1_000_000));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
