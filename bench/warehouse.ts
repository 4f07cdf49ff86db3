// Warehouse: commit-to-warehouse latency under load, loader throughput, and the marts over 1M
// listings and 10M generated orders (refresh cost; the GMV query and every dashboard query that
// reads a mart, over the materialized mart beside the plain view it replaced). The process's one
// chDB folder (warehouse-at-scale.ts), shared with the dashboards bench.
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
import type { ClickHouseClient } from '../warehouse/client.js';
import { startWarehouseLoader } from '../warehouse/loader.js';
import { DASHBOARD_QUERIES } from '../reports/export/export-marts.js';
import { ensureMarts, MARTS, refreshMarts } from '../warehouse/marts.js';
import { ensureRawDatabase, readSourceTable, syncTable } from '../warehouse/raw-schema.js';
import { observeWarehouse, percentile } from './observe.js';
import { benchWarehouse, fillAtScale, LISTINGS, MESSAGES, ORDERS, queryP50, USERS } from './warehouse-at-scale.js';
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

/**
 * The marts over 1M listings and 10M orders: what each refresh costs (it runs every
 * MART_REFRESH_SECONDS), and every dashboard query that reads a mart, over the mart and over the
 * plain view it replaced (the mart's defining query as a view: FINAL and a join per load).
 */
async function* martsAtScale(client: ClickHouseClient): AsyncGenerator<BenchResult> {
  const fillMs = await fillAtScale(client);
  if (fillMs > 0) yield measure('generate 200k users, 1M listings, 10M orders (+ updates, refunds, deletes), 1M messages in ClickHouse', 'rows', USERS + LISTINGS + ORDERS + MESSAGES, fillMs, 'INSERT ... SELECT FROM numbers()');
  expectNoFailures(await ensureMarts(client, { refresh: false }));
  for (const name of Object.keys(MARTS)) {
    const started = performance.now();
    expectNoFailures(await refreshMarts(client, [name]));
    const ms = performance.now() - started;
    yield { ...measure(`refresh of mart ${name} (1M listings, 10M orders)`, 'refreshes', 1, ms), note: `${ms.toFixed(0)} ms, rebuilt whole and swapped in; default every 30 s` };
  }
  await client.command({ query: 'CREATE DATABASE IF NOT EXISTS plain_views' });
  for (const [name, definition] of Object.entries(MARTS)) await client.command({ query: `CREATE OR REPLACE VIEW plain_views.${name} AS ${definition.select}` });
  const gmv = `SELECT day, category, currency, sum(orders) AS orders, sum(gmv_minor) AS gmv_minor FROM marts.orders_daily
    WHERE day >= today() - 90 GROUP BY day, category, currency`;
  const queries: [string, string][] = [['GMV per day/category/currency, last 90 days', gmv],
    ...Object.entries(DASHBOARD_QUERIES).filter(([, sql]) => /\bmarts\./.test(sql)).map(([name, sql]): [string, string] => [`dashboard query ${name}`, sql])];
  // The timings are the queries' own: the marts' background refreshes (above) are paused meanwhile.
  await client.command({ query: 'SYSTEM STOP VIEWS' });
  try {
    for (const [label, sql] of queries) {
      const view = await queryP50(client, sql.replace(/\bmarts\./g, 'plain_views.'), 3);
      const mart = await queryP50(client, sql, 20);
      yield { ...measure(`${label}: plain view (before)`, 'queries', 3, view.totalMs), note: `p50 ${view.p50.toFixed(0)} ms (FINAL + join per query, 10M orders)` };
      yield { ...measure(`${label}: materialized mart`, 'queries', 20, mart.totalMs), note: `p50 ${mart.p50.toFixed(1)} ms` };
    }
  } finally {
    await client.command({ query: 'SYSTEM START VIEWS' });
  }
}

function expectNoFailures(failed: { name: string; error: string }[]): void {
  if (failed.length > 0) throw new Error(`marts failed: ${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}`);
}

export async function* warehouseBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-wh-pipeline-'));
  const url = server.url('bench_wh');
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 24 });
  const { client } = benchWarehouse();
  try {
    // BENCH_WAREHOUSE=marts measures the marts alone, on raw tables made from the schema as the loader makes them.
    if (process.env.BENCH_WAREHOUSE === 'marts') {
      await ensureRawDatabase(client);
    } else {
      await seed(pool, { users: 2000, listings: 100_000, progress: quiet });
      yield* await pipeline(url, pool, client, dir);
    }
    // The tables the marts read, as the loader makes them (it makes a table on its first change).
    for (const table of ['users', 'listings', 'orders', 'messages']) await syncTable(client, (await readSourceTable(pool, 'bench_wh', table))!);
    yield* martsAtScale(client);
  } finally {
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
