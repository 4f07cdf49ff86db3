// Analysts: the latency of an analyst's query in process (analystQuery) and through the served
// warehouse (ClickHouse's HTTP interface, @clickhouse/client), as an analyst (confined by the
// guard) and as the loader (not), over 200,000 listings in the loader's raw table.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../core/log.js';
import { createMysqlPool } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { sampleListing, sampleTime } from '../marketplace/sample-data/generate.js';
import { Random } from '../marketplace/sample-data/random.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { analystQuery } from '../warehouse/analyst-query.js';
import { confineAnalystQuery } from '../warehouse/analyst-guard.js';
import { createWarehouseClient, type ClickHouseClient } from '../warehouse/client.js';
import { serveWarehouseHttp } from '../warehouse/http/http-interface.js';
import { DEFAULT_ANALYST_LIMITS, WarehouseUsers } from '../warehouse/http/warehouse-users.js';
import { toRow } from '../warehouse/raw-rows.js';
import { createTableSql, RAW_DATABASE, readSourceTable } from '../warehouse/raw-schema.js';
import { percentile } from './observe.js';
import { measure, type BenchResult } from './table.js';

const LISTINGS = 200_000;
const RUNS = 200;
const SMALL = "SELECT count() FROM raw.listings WHERE city = 'Austin'";
const AGGREGATE = 'SELECT city, count() AS listings, avg(price_amount) AS avg_price FROM raw.listings GROUP BY city ORDER BY listings DESC';

/** raw.listings as the loader creates it from the marketplace schema, filled with sample listings. */
async function fillListings(server: LocalMysqlServer, client: ClickHouseClient): Promise<void> {
  const url = server.url('bench_analysts');
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 1 });
  const source = await readSourceTable(pool, 'bench_analysts', 'listings').finally(() => pool.end());
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${RAW_DATABASE}` });
  await client.command({ query: createTableSql(source!) });
  const rng = new Random(21);
  const from = new Date(Date.now() - 365 * 86_400_000);
  const now = new Date();
  for (let first = 1; first <= LISTINGS; first += 20_000) {
    const values = Array.from({ length: Math.min(20_000, LISTINGS - first + 1) }, (_, i) => {
      const at = sampleTime(rng, from, now).toISOString();
      const listing = sampleListing(rng, { id: rng.int(1, 20_000) }, new Date(at));
      return toRow({
        id: first + i, seller_id: listing.sellerId, name: listing.name, description: listing.description, category: listing.category,
        country: listing.country, city: listing.city, price_amount: listing.priceAmount, price_currency: listing.priceCurrency,
        status: rng.chance(0.8) ? 'active' : 'sold', created_at: at, updated_at: at, _version: 1, _is_deleted: 0, _synced_at: now.toISOString(),
      });
    });
    await client.insert({ table: `${RAW_DATABASE}.listings`, values, format: 'JSONEachRow' });
  }
}

/** Runs the query RUNS times after a few warm-up runs; the rate and the latency percentiles. */
async function latency(name: string, run: () => Promise<unknown>): Promise<BenchResult> {
  for (let i = 0; i < 5; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return measure(name, 'queries', RUNS, times.reduce((a, b) => a + b, 0), `p50 ${percentile(times, 0.5).toFixed(1)} ms, p99 ${percentile(times, 0.99).toFixed(1)} ms`);
}

export async function* analystBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-analysts-'));
  const warehouseDir = join(dir, 'warehouse');
  const owner = createWarehouseClient({ path: warehouseDir });
  const clients: ClickHouseClient[] = [];
  let served: Awaited<ReturnType<typeof serveWarehouseHttp>> | undefined;
  try {
    await fillListings(server, owner);
    const users = new WarehouseUsers(join(dir, 'warehouse-users.json'));
    const loaderPassword = users.addInMemory({ name: 'steveslist_loader', role: 'loader', limits: { maxResultRows: 0, maxExecutionSeconds: 0, maxConcurrentQueries: 64 } });
    const analystPassword = users.add('bench', DEFAULT_ANALYST_LIMITS);
    served = await serveWarehouseHttp({ dir: warehouseDir, host: '127.0.0.1', port: 0, users, confine: confineAnalystQuery, log: silentLogger() });
    const over = (username: string, password: string) => {
      const client = createWarehouseClient({ url: served!.url, path: warehouseDir, username, password });
      clients.push(client);
      return (query: string) => () => client.query({ query, format: 'JSONEachRow' }).then((r) => r.json());
    };
    const asAnalyst = over('bench', analystPassword);
    const asLoader = over('steveslist_loader', loaderPassword);
    const inProcess = (query: string) => () => analystQuery(owner, query, { format: 'json' });
    const [{ listings }] = await asLoader(SMALL.replace('count()', 'count() AS listings'))() as [{ listings: string }];
    if (!(Number(listings) > 0)) throw new Error(`the sample has no listings in Austin (${listings}): the small query would measure nothing`);
    const rows = `${LISTINGS.toLocaleString('en-US')} listings`;
    yield await latency(`analyst query, count for one city (${rows}), in process (analystQuery: guard + limits)`, inProcess(SMALL));
    yield await latency('the same through the served warehouse as an analyst (@clickhouse/client over HTTP: guard + limits)', asAnalyst(SMALL));
    yield await latency('the same through the served warehouse as the loader (HTTP, no guard)', asLoader(SMALL));
    yield await latency(`analyst query, count and average price per city (GROUP BY over ${rows}), in process`, inProcess(AGGREGATE));
    yield await latency('the same through the served warehouse as an analyst', asAnalyst(AGGREGATE));
    yield await latency('the same through the served warehouse as the loader (no guard)', asLoader(AGGREGATE));
  } finally {
    for (const client of clients) await client.close();
    await served?.close();
    await owner.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
