// Search: commit-to-searchable latency under a steady write load, indexing rate, and query
// latency over a large index.
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
import { EmbeddedBus } from '../pipelines/bus/embedded/index.js';
import { CdcReader } from '../pipelines/cdc/reader.js';
import { FileStateStore } from '../pipelines/cdc/reader-state.js';
import { TableFilter } from '../pipelines/cdc/topics.js';
import { EmbeddedSearch } from '../pipelines/sinks/search/embedded/index.js';
import { startSearchIndexer } from '../pipelines/sinks/search/indexer.js';
import type { ListingDocument, SearchQuery } from '../pipelines/sinks/search/port.js';
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

function documents(count: number, seed: number): ListingDocument[] {
  const rng = new Random(seed);
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const sample = sampleListing(rng, { id: rng.int(1, 100_000) }, new Date(now - rng.int(0, 365 * 86_400_000)));
    return {
      id: i + 1, seller_id: sample.sellerId, seller_name: 'Seller', name: sample.name, description: sample.description, category: sample.category,
      country: sample.country, city: sample.city, latitude: null, longitude: null, price_amount: sample.priceAmount, price_currency: sample.priceCurrency,
      status: 'active', created_at: sample.createdAt.toISOString(), updated_at: sample.createdAt.toISOString(),
    };
  });
}

const QUERIES: SearchQuery[] = [
  { q: 'second-hand tv' }, { q: 'sceond-hnad tv' }, { q: 'samsung' }, { q: 'oak dining table', city: 'Berlin' },
  { q: 'road bike', sort: 'price_asc' }, { q: 'kayak' }, { q: 'lether armchair' }, { q: 'iphone 13' },
  { category: 'furniture', country: 'GB', sort: 'newest' }, { q: 'dyson', maxPrice: 30_000 }, { q: 'tele' }, { q: 'vintage', page: 3 },
];

async function indexAndQuery(dir: string, count: number): Promise<BenchResult[]> {
  const search = new EmbeddedSearch(join(dir, 'large'));
  await search.ensureIndex();
  const store = await search.serving();
  const docs = documents(count, 9);
  const t = Date.now();
  for (let i = 0; i < docs.length; i += 2000) await store.upsert(docs.slice(i, i + 2000).map((doc) => ({ doc, version: 1n })));
  const indexing = measure(`index ${count.toLocaleString('en-US')} listings (2,000-doc batches)`, 'docs', count, Date.now() - t, 'embedded SQLite FTS5');
  const latencies: number[] = [];
  for (let round = 0; round < 25; round++) {
    for (const query of QUERIES) {
      const started = performance.now();
      await store.search(query);
      latencies.push(performance.now() - started);
    }
  }
  latencies.sort((a, b) => a - b);
  await search.close();
  return [indexing, {
    ...measure(`search over ${count.toLocaleString('en-US')} listings (query mix)`, 'queries', latencies.length, latencies.reduce((a, b) => a + b, 0)),
    note: `p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms (hits, total, facets)`,
  }];
}

export async function* searchBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-search-'));
  try {
    yield await commitToSearchable(server, dir);
    yield* await indexAndQuery(dir, Number(process.env.BENCH_SEARCH_DOCS ?? 1_000_000));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
