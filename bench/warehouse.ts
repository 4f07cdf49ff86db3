// Warehouse: commit-to-warehouse latency under load, loader throughput, and a mart query over
// 10M generated orders. One chDB folder for the whole run (chDB allows one per process).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../core/log.js';
import { createListing } from '../marketplace/domain/listings.js';
import { createMysqlPool, parseMysqlUrl, type Pool } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { sampleListing } from '../marketplace/sample-data/generate.js';
import { Random } from '../marketplace/sample-data/random.js';
import { seed } from '../marketplace/sample-data/seed.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { EmbeddedBus } from '../pipelines/bus/embedded/index.js';
import { CdcReader } from '../pipelines/cdc/reader.js';
import { FileStateStore } from '../pipelines/cdc/reader-state.js';
import { TableFilter } from '../pipelines/cdc/topics.js';
import { createWarehouseClient, type ClickHouseClient } from '../warehouse/client.js';
import { startWarehouseLoader } from '../warehouse/loader.js';
import { ensureMarts } from '../warehouse/marts.js';
import { observeWarehouse, percentile } from './observe.js';
import { pacedWrites } from './paced-writes.js';
import { measure, type BenchResult } from './table.js';

const quiet = () => ({ update() {}, finish() {} });

async function pipeline(url: string, pool: Pool, client: ClickHouseClient, dir: string): Promise<BenchResult[]> {
  const bus = await EmbeddedBus.open({ dir: join(dir, 'bus'), defaultPartitions: 4, segmentBytes: 64 << 20, fsync: 'always', fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12 });
  const inserted = new Map<number, number>();
  let loaded = 0;
  const loader = startWarehouseLoader({
    bus, pool, database: parseMysqlUrl(url).database, topicPrefix: 'wh', log: silentLogger(),
    client: observeWarehouse(client, (ids) => { const now = performance.now(); loaded += ids.length; for (const id of ids) if (!inserted.has(id)) inserted.set(id, now); }),
  });
  const reader = CdcReader.start({
    url, bus, store: new FileStateStore(join(dir, 'cdc')), topicPrefix: 'wh',
    filter: new TableFilter({ database: parseMysqlUrl(url).database, include: [], exclude: [], excludeColumns: [] }),
    replicaServerId: 77_020, snapshotChunkRows: 5000, onMissingBinlog: 'fail', log: silentLogger(), progress: quiet,
  });
  // Loader throughput: the snapshot of 100,000 listings arrives at once.
  let t = Date.now();
  await loader.start();
  while (loaded < 100_000) await new Promise((r) => setTimeout(r, 20));
  const throughput = measure('warehouse loader, snapshot of 100,000 listings', 'rows', loaded, Date.now() - t, 'CDC snapshot -> bus -> loader -> chDB');
  while (reader.stats().phase !== 'streaming') await new Promise((r) => setTimeout(r, 10));

  const committed = new Map<number, number>();
  const rng = new Random(31);
  const total = 8000;
  t = Date.now();
  await pacedWrites({ total, ratePerSecond: 1000, workers: 16 }, async () => {
    const { createdAt: _ignored, ...listing } = sampleListing(rng, { id: rng.int(1, 2000) }, new Date());
    const id = await createListing(pool, listing);
    committed.set(id, performance.now());
  });
  const writeMs = Date.now() - t;
  while ([...committed.keys()].some((id) => !inserted.has(id))) await new Promise((r) => setTimeout(r, 20));
  const lags = [...committed].map(([id, at]) => Math.max(0, inserted.get(id)! - at)).sort((a, b) => a - b);
  await reader.stop();
  await loader.stop();
  await bus.close();
  return [throughput, {
    ...measure('commit -> warehouse at 1,000 new listings/s', 'listings', total, writeMs),
    note: `p50 ${percentile(lags, 0.5).toFixed(0)} ms, p99 ${percentile(lags, 0.99).toFixed(0)} ms`,
  }];
}

async function martOverTenMillion(client: ClickHouseClient): Promise<BenchResult> {
  await client.command({ query: 'CREATE DATABASE IF NOT EXISTS big' });
  await client.command({ query: "CREATE OR REPLACE TABLE big.orders (id UInt64, listing_id UInt64, amount UInt64, currency LowCardinality(String), status LowCardinality(String), created_at DateTime64(6, 'UTC'), _version UInt64, _is_deleted UInt8) ENGINE = ReplacingMergeTree(_version, _is_deleted) ORDER BY id" });
  await client.command({ query: "CREATE OR REPLACE TABLE big.listings (id UInt64, category LowCardinality(String), _version UInt64, _is_deleted UInt8) ENGINE = ReplacingMergeTree(_version, _is_deleted) ORDER BY id" });
  await client.command({ query: "INSERT INTO big.listings SELECT number, ['electronics','furniture','vehicles','bikes','home-garden','clothing','sports','housing'][number % 8 + 1], 1, 0 FROM numbers(1000000)" });
  await client.command({ query: "INSERT INTO big.orders SELECT number, number % 1000000, 500 + (number * 7919) % 200000, ['usd','eur','gbp'][number % 3 + 1], if(number % 50 = 0, 'cancelled', 'placed'), now64(6) - toIntervalSecond(number % 31536000), 1, 0 FROM numbers(10000000)" });
  const sql = `SELECT toDate(o.created_at) AS day, l.category AS category, o.currency AS currency, count() AS orders, sum(o.amount) AS gmv_minor
    FROM (SELECT * FROM big.orders FINAL WHERE _is_deleted = 0 AND status NOT IN ('cancelled', 'refunded')) AS o
    LEFT JOIN (SELECT id, category FROM big.listings FINAL) AS l ON l.id = o.listing_id
    WHERE o.created_at >= now() - INTERVAL 90 DAY GROUP BY day, category, currency`;
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await (await client.query({ query: sql, format: 'JSONEachRow' })).json();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { ...measure('GMV per day/category/currency over 10M orders (the orders_daily mart)', 'queries', times.length, times.reduce((a, b) => a + b, 0)), note: `p50 ${percentile(times, 0.5).toFixed(0)} ms (FINAL + join to 1M listings, last 90 days)` };
}

export async function* warehouseBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-wh-'));
  const url = server.url('bench_wh');
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 24 });
  const client = createWarehouseClient({ path: join(dir, 'warehouse') });
  try {
    await seed(pool, { users: 2000, listings: 100_000, progress: quiet });
    yield* await pipeline(url, pool, client, dir);
    await ensureMarts(client);
    yield await martOverTenMillion(client);
  } finally {
    await client.close();
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
