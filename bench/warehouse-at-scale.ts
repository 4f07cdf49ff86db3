// The warehouse the benches share, and its data at scale. chDB allows one data folder per process,
// so every bench of one `npm run bench` that needs a warehouse uses this one folder, and the 1M
// listings / 10M orders are generated once for all of them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWarehouseClient, readAll, type ClickHouseClient } from '../warehouse/client.js';
import { percentile } from './observe.js';

export const LISTINGS = 1_000_000;
export const ORDERS = 10_000_000;
export const USERS = 200_000;
export const MESSAGES = 1_000_000;

let shared: { client: ClickHouseClient; dir: string } | undefined;

/** The process's one warehouse (chDB in a temp folder), opened on first use. */
export function benchWarehouse(): { client: ClickHouseClient; dir: string } {
  if (!shared) {
    const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-wh-'));
    shared = { client: createWarehouseClient({ path: join(dir, 'warehouse') }), dir };
  }
  return shared;
}

/**
 * Closes the shared warehouse while `run` runs, so another process can open its folder (chDB
 * allows one), and opens it again after: what a restart of the platform does to the folder.
 */
export async function withBenchWarehouseClosed<T>(run: (path: string) => Promise<T>): Promise<T> {
  const { client, dir } = benchWarehouse();
  await client.close();
  shared = undefined;
  try {
    return await run(join(dir, 'warehouse'));
  } finally {
    shared = { client: createWarehouseClient({ path: join(dir, 'warehouse') }), dir };
  }
}

export async function closeBenchWarehouse(): Promise<void> {
  if (!shared) return;
  await shared.client.close();
  rmSync(shared.dir, { recursive: true, force: true });
  shared = undefined;
}

let filled: Promise<number> | undefined;

/**
 * Fills raw users, listings, orders and messages (the tables must exist, made from the real
 * schema): 200k users, 1M listings, 10M orders and 1M messages over the last year, then changes as CDC brings them
 * (newer versions): 2% of orders refunded, 1% deleted, 1% of listings moved to another category,
 * 0.5% deleted, so FINAL has real work to do. Done once per process; resolves with how long it took
 * (0 when it was done before).
 */
export function fillAtScale(client: ClickHouseClient): Promise<number> {
  if (filled) return filled.then(() => 0);
  filled = fill(client);
  return filled;
}

async function fill(client: ClickHouseClient): Promise<number> {
  const started = performance.now();
  const year = 'now64(6) - toIntervalSecond(number * 7919 % 31536000)';
  for (const table of ['users', 'listings', 'orders', 'messages']) await client.command({ query: `TRUNCATE TABLE raw.${table}` });
  const run = (query: string) => client.command({ query, clickhouse_settings: { max_insert_threads: '2' } });
  await run(`INSERT INTO raw.users (id, email, name, country, city, status, created_at, updated_at, _version, _is_deleted, _synced_at)
    SELECT number + 1, concat('u', toString(number), '@example.com'), concat('User ', toString(number)), 'US', 'Boston', 'active',
      now64(6) - toIntervalSecond(number * 7919 % 63072000), now64(6), 1, 0, now64(3) FROM numbers(${USERS})`);
  const listing = (version: number, where: string, category: string, deleted: string) => `INSERT INTO raw.listings
    (id, seller_id, name, description, category, country, city, price_amount, price_currency, status, created_at, updated_at, _version, _is_deleted, _synced_at)
    SELECT number + 1, number % ${USERS} + 1, 'thing', '', ${category}, ['US','GB','DE','FR','CA','AU'][number % 6 + 1], concat('City ', toString(number % 30)),
      500 + number % 90000, 'usd', if(number % 5 = 0, 'sold', 'active'), ${year}, ${year}, ${version}, ${deleted}, now64(3)
    FROM numbers(${LISTINGS}) WHERE ${where}`;
  await run(listing(1, '1', "['electronics','furniture','vehicles','bikes','home-garden','clothing','sports','housing'][number % 8 + 1]", '0'));
  await run(listing(2, 'number % 100 = 7', "'sports'", '0'));
  await run(listing(3, 'number % 200 = 9', "'sports'", '1'));
  const order = (version: number, where: string, status: string, deleted: string) => `INSERT INTO raw.orders
    (id, listing_id, buyer_id, seller_id, amount, currency, status, created_at, updated_at, _version, _is_deleted, _synced_at)
    SELECT number + 1, number % ${LISTINGS} + 1, (number * 31) % ${USERS} + 1, (number % ${LISTINGS}) % ${USERS} + 1, 500 + (number * 7919) % 200000,
      ['usd','eur','gbp'][number % 3 + 1], ${status}, ${year}, ${year}, ${version}, ${deleted}, now64(3)
    FROM numbers(${ORDERS}) WHERE ${where}`;
  await run(order(1, '1', "if(number % 50 = 0, 'cancelled', 'paid')", '0'));
  await run(order(2, 'number % 50 = 3', "'refunded'", '0'));
  await run(order(3, 'number % 100 = 11', "'paid'", '1'));
  await run(`INSERT INTO raw.messages (id, listing_id, sender_id, recipient_id, body, created_at, _version, _is_deleted, _synced_at)
    SELECT number + 1, number % ${LISTINGS} + 1, number % ${USERS} + 1, (number + 1) % ${USERS} + 1, 'hi', ${year}, 1, 0, now64(3) FROM numbers(${MESSAGES})`);
  return performance.now() - started;
}

/** The p50 of `runs` runs (after one to warm up), in ms; the whole answer read as Parquet, as the dashboards' export reads it. */
export async function queryP50(client: ClickHouseClient, query: string, runs: number): Promise<{ p50: number; totalMs: number }> {
  const run = async () => readAll((await client.exec({ query: `${query} FORMAT Parquet` })).stream);
  await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), totalMs: times.reduce((a, b) => a + b, 0) };
}
