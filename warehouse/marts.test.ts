// The materialized marts: after a refresh each holds exactly what its defining query answers over
// the raw tables (updates, deletes, refunds and late events included), a refresh swaps the whole
// answer in, and the keeper records each refresh's age and failure. The raw tables are made from
// the marketplace's real schema and filled directly, as the loader would, with explicit versions.
// chDB allows one data folder per process: this file uses one.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLog } from '../test/fixtures/captured-log.js';
import { createTestDatabase, type TestDatabase } from '../test/fixtures/database.js';
import { until } from '../test/fixtures/eventually.js';
import { tempDir } from '../test/fixtures/temp-dir.js';
import { Supervisor } from '../bin/roles/supervisor.js';
import { createWarehouseClient, type ClickHouseClient } from './client.js';
import { readMartFreshness } from './mart-freshness.js';
import { MartKeeper } from './mart-keeper.js';
import { ensureMarts, MARTS, refreshMarts, refreshSecondsOf } from './marts.js';
import { ensureRawDatabase, readSourceTable, syncTable } from './raw-schema.js';

const dir = tempDir();
let db: TestDatabase;
let client: ClickHouseClient;

type Row = Record<string, unknown>;

async function rows<T = Row>(query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
  return result.json<T>();
}

/** Rows as the loader writes them: a change event's version, deleted or not, when it was loaded. */
async function load(table: string, version: number, values: Row[], deleted = 0, syncedAt = '2026-03-20 12:00:00.000'): Promise<void> {
  await client.insert({
    table: `raw.${table}`, format: 'JSONEachRow',
    values: values.map((v) => ({ ...v, _version: version, _is_deleted: deleted, _synced_at: syncedAt })),
    clickhouse_settings: { date_time_input_format: 'best_effort' },
  });
}

const user = (id: number, createdAt: string) => ({ id, email: `u${id}@example.com`, name: `User ${id}`, created_at: createdAt, updated_at: createdAt });
const listing = (id: number, sellerId: number, category: string, city: string, status: string, createdAt: string, country = 'US') => ({
  id, seller_id: sellerId, name: `Listing ${id}`, description: '', category, country, city, price_amount: 1000 * id, price_currency: 'usd', status, created_at: createdAt, updated_at: createdAt,
});
const order = (id: number, listingId: number, amount: number, currency: string, status: string, createdAt: string, sellerId = 2) => ({
  id, listing_id: listingId, buyer_id: 1, seller_id: sellerId, amount, currency, status, created_at: createdAt, updated_at: createdAt,
});
/** A time `days` before now, as the loader writes it: the 30-day marts need orders near today. */
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 19).replace('T', ' ');

/** Each mart beside its defining query over the raw tables now, as sorted rows. */
async function martsAndQueries(): Promise<Record<string, { mart: Row[]; query: Row[] }>> {
  const out: Record<string, { mart: Row[]; query: Row[] }> = {};
  for (const [name, definition] of Object.entries(MARTS)) {
    out[name] = { mart: await rows(`SELECT * FROM marts.${name} ORDER BY ALL`), query: await rows(`SELECT * FROM (${definition.select}) ORDER BY ALL`) };
  }
  return out;
}

beforeAll(async () => {
  db = await createTestDatabase('marts');
  client = createWarehouseClient({ path: join(dir.path, 'warehouse') });
  await ensureRawDatabase(client);
  for (const table of ['users', 'listings', 'orders', 'messages']) await syncTable(client, (await readSourceTable(db.pool, db.name, table))!);
  await load('users', 1, [user(1, '2026-01-05 10:00:00'), user(2, '2026-01-20 10:00:00'), user(3, '2026-02-02 10:00:00'), user(4, '2026-03-01 10:00:00')]);
  await load('listings', 1, [
    listing(1, 2, 'bikes', 'Austin', 'active', '2026-01-25 09:00:00'), listing(2, 2, 'furniture', 'Austin', 'sold', '2026-03-02 09:00:00'),
    listing(3, 3, 'bikes', 'Boston', 'active', '2026-03-02 11:00:00', 'CA'), listing(4, 4, 'vehicles', 'Boston', 'active', '2026-03-03 09:00:00', 'CA'),
    listing(5, 4, 'bikes', 'Austin', 'active', '2026-03-03 10:00:00'),
  ]);
  await load('orders', 1, [
    order(1, 2, 15_000, 'usd', 'paid', '2026-03-04 10:00:00'), order(2, 3, 9_900, 'eur', 'paid', '2026-03-04 11:00:00'),
    order(3, 3, 4_500, 'eur', 'placed', '2026-03-04 12:00:00'), order(4, 4, 120_000, 'usd', 'completed', '2026-03-05 10:00:00'),
    order(5, 5, 7_000, 'usd', 'cancelled', '2026-03-05 11:00:00'),
    // Recent sales for the 30-day marts, and one just outside the window.
    order(6, 1, 5_000, 'usd', 'paid', daysAgo(2), 2), order(7, 4, 3_000, 'eur', 'paid', daysAgo(3), 4),
    order(8, 4, 2_000, 'eur', 'completed', daysAgo(1), 4), order(9, 5, 9_000, 'usd', 'paid', daysAgo(45), 4),
    // Payments awaited or refused are no sales: none of the figures below counts them.
    order(10, 4, 50_000, 'usd', 'pending_payment', '2026-03-05 12:00:00', 4), order(11, 2, 60_000, 'usd', 'payment_failed', '2026-03-04 13:00:00'),
    order(12, 1, 7_000, 'usd', 'pending_payment', daysAgo(1), 2),
  ]);
  await load('messages', 1, [{ id: 1, listing_id: 4, sender_id: 1, recipient_id: 4, body: 'still for sale?', created_at: daysAgo(1) }]);
  expect(await ensureMarts(client, { refreshSeconds: 3600 })).toEqual([]);
});
afterAll(async () => {
  await client?.close();
  await db?.close();
  dir.remove();
});

describe('the materialized marts', () => {
  it('each equals its defining query over the raw tables once refreshed, through updates, deletes, refunds and late events', async () => {
    const first = await martsAndQueries();
    for (const name of Object.keys(MARTS)) expect(first[name]!.mart, name).toEqual(first[name]!.query);
    expect(await rows('SELECT toString(day) AS day, category, currency, orders, gmv_minor FROM marts.orders_daily WHERE day < \'2026-04-01\' ORDER BY ALL')).toEqual([
      { day: '2026-03-04', category: 'bikes', currency: 'eur', orders: 2, gmv_minor: 14_400 },
      { day: '2026-03-04', category: 'furniture', currency: 'usd', orders: 1, gmv_minor: 15_000 },
      { day: '2026-03-05', category: 'vehicles', currency: 'usd', orders: 1, gmv_minor: 120_000 },
    ]);
    expect(await rows("SELECT category, country, currency, sum(orders) AS orders, sum(gmv_minor) AS gmv_minor FROM marts.orders_by_place_daily WHERE day < '2026-04-01' GROUP BY ALL ORDER BY ALL")).toEqual([
      { category: 'bikes', country: 'CA', currency: 'eur', orders: 2, gmv_minor: 14_400 },
      { category: 'furniture', country: 'US', currency: 'usd', orders: 1, gmv_minor: 15_000 },
      { category: 'vehicles', country: 'CA', currency: 'usd', orders: 1, gmv_minor: 120_000 },
    ]);
    expect(await rows('SELECT seller_id, seller, currency, orders, gmv_minor FROM marts.seller_sales_30d ORDER BY ALL')).toEqual([
      { seller_id: 2, seller: 'User 2', currency: 'usd', orders: 1, gmv_minor: 5_000 },
      { seller_id: 4, seller: 'User 4', currency: 'eur', orders: 2, gmv_minor: 5_000 },
    ]);
    expect(await rows('SELECT toString(cohort_month) AS month, signed_up, listed, sold FROM marts.funnel_cohorts ORDER BY month')).toEqual([
      { month: '2026-01-01', signed_up: 2, listed: 1, sold: 1 }, { month: '2026-02-01', signed_up: 1, listed: 1, sold: 0 },
      { month: '2026-03-01', signed_up: 1, listed: 1, sold: 1 },
    ]);
    expect(await rows('SELECT * FROM marts.city_supply_demand_30d ORDER BY country, city')).toEqual([
      { country: 'CA', city: 'Boston', active_listings: 2, new_listings: 0, orders: 2, messages: 1 },
      { country: 'US', city: 'Austin', active_listings: 2, new_listings: 0, orders: 1, messages: 0 },
    ]);
    // Two bikes in the US (10.00 and 50.00): the lower middle one, a real price, as the checks' MySQL fallback answers.
    expect(await rows('SELECT * FROM marts.listing_price_medians ORDER BY ALL')).toEqual([
      { country: 'CA', category: 'bikes', currency: 'usd', median_amount: 3_000, samples: 1 },
      { country: 'CA', category: 'vehicles', currency: 'usd', median_amount: 4_000, samples: 1 },
      { country: 'US', category: 'bikes', currency: 'usd', median_amount: 1_000, samples: 2 },
      { country: 'US', category: 'furniture', currency: 'usd', median_amount: 2_000, samples: 1 },
    ]);

    // Changes stream in: a refund, a changed amount, a listing moved to another category, a
    // deleted order, a deleted listing and a deleted user; then an older version of the changed
    // order arriving late, which must not undo the newer one.
    await load('orders', 2, [order(4, 4, 120_000, 'usd', 'refunded', '2026-03-05 10:00:00'), order(2, 3, 11_000, 'eur', 'paid', '2026-03-04 11:00:00')], 0, '2026-03-20 12:05:00.000');
    await load('listings', 2, [listing(3, 3, 'sports', 'Boston', 'sold', '2026-03-02 11:00:00', 'CA')], 0, '2026-03-20 12:05:00.000');
    await load('orders', 2, [order(3, 3, 4_500, 'eur', 'placed', '2026-03-04 12:00:00')], 1, '2026-03-20 12:05:00.000');
    await load('listings', 2, [listing(5, 4, 'bikes', 'Austin', 'active', '2026-03-03 10:00:00')], 1, '2026-03-20 12:05:00.000');
    await load('users', 2, [user(3, '2026-02-02 10:00:00')], 1, '2026-03-20 12:05:00.000');
    await load('orders', 1, [order(2, 3, 9_900, 'eur', 'paid', '2026-03-04 11:00:00')], 0, '2026-03-20 12:06:00.000');
    // A recent sale refunded, another deleted, and a seller renamed.
    await load('orders', 2, [order(6, 1, 5_000, 'usd', 'refunded', daysAgo(2), 2)], 0, '2026-03-20 12:06:00.000');
    await load('orders', 2, [order(8, 4, 2_000, 'eur', 'completed', daysAgo(1), 4)], 1, '2026-03-20 12:06:00.000');
    await load('users', 2, [{ ...user(4, '2026-03-01 10:00:00'), name: 'Dana Seller' }], 0, '2026-03-20 12:05:00.000');

    // Until refreshed, readers keep the last whole answer.
    const stale = await martsAndQueries();
    expect(stale.orders_daily!.mart).toEqual(first.orders_daily!.mart);
    expect(stale.orders_daily!.mart).not.toEqual(stale.orders_daily!.query);

    expect(await refreshMarts(client)).toEqual([]);
    const fresh = await martsAndQueries();
    for (const name of Object.keys(MARTS)) expect(fresh[name]!.mart, name).toEqual(fresh[name]!.query);
    expect(await rows('SELECT toString(day) AS day, category, currency, orders, gmv_minor FROM marts.orders_daily WHERE day < \'2026-04-01\' ORDER BY ALL')).toEqual([
      { day: '2026-03-04', category: 'furniture', currency: 'usd', orders: 1, gmv_minor: 15_000 },
      { day: '2026-03-04', category: 'sports', currency: 'eur', orders: 1, gmv_minor: 11_000 },
    ]);
    expect(await rows("SELECT category, country, currency, sum(orders) AS orders, sum(gmv_minor) AS gmv_minor FROM marts.orders_by_place_daily WHERE day < '2026-04-01' GROUP BY ALL ORDER BY ALL")).toEqual([
      { category: 'furniture', country: 'US', currency: 'usd', orders: 1, gmv_minor: 15_000 },
      { category: 'sports', country: 'CA', currency: 'eur', orders: 1, gmv_minor: 11_000 },
    ]);
    expect(await rows('SELECT seller_id, seller, currency, orders, gmv_minor FROM marts.seller_sales_30d ORDER BY ALL')).toEqual([
      { seller_id: 4, seller: 'Dana Seller', currency: 'eur', orders: 1, gmv_minor: 3_000 },
    ]);
    // Listing 3 sold, listing 5 deleted, order 6 refunded, order 8 deleted.
    expect(await rows('SELECT * FROM marts.city_supply_demand_30d ORDER BY country, city')).toEqual([
      { country: 'CA', city: 'Boston', active_listings: 1, new_listings: 0, orders: 1, messages: 1 },
      { country: 'US', city: 'Austin', active_listings: 1, new_listings: 0, orders: 0, messages: 0 },
    ]);
    // Seller 2's only sale was refunded; user 3 was deleted.
    expect(await rows('SELECT toString(cohort_month) AS month, signed_up, listed, sold FROM marts.funnel_cohorts ORDER BY month')).toEqual([
      { month: '2026-01-01', signed_up: 2, listed: 1, sold: 1 }, { month: '2026-03-01', signed_up: 1, listed: 1, sold: 1 },
    ]);
    // A deleted listing still counts on the day it was listed; a deleted user leaves the cohorts.
    expect(await rows('SELECT toString(day) AS day, sum(listings) AS n FROM marts.daily_listings WHERE day = \'2026-03-03\' GROUP BY day')).toEqual([{ day: '2026-03-03', n: 2 }]);
    expect(await rows('SELECT toString(signup_month) AS month, users FROM marts.user_cohorts ORDER BY month')).toEqual([
      { month: '2026-01-01', users: 2 }, { month: '2026-03-01', users: 1 },
    ]);
    expect(await rows('SELECT seller_id, listings, sold, active FROM marts.seller_activity ORDER BY seller_id')).toEqual([
      { seller_id: 2, listings: 2, sold: 1, active: 1 }, { seller_id: 3, listings: 1, sold: 1, active: 0 }, { seller_id: 4, listings: 1, sold: 0, active: 1 },
    ]);
    // Listing 3 moved to sports (and sold: it still counts); listing 5 deleted leaves the US bikes one.
    expect(await rows('SELECT * FROM marts.listing_price_medians ORDER BY ALL')).toEqual([
      { country: 'CA', category: 'sports', currency: 'usd', median_amount: 3_000, samples: 1 },
      { country: 'CA', category: 'vehicles', currency: 'usd', median_amount: 4_000, samples: 1 },
      { country: 'US', category: 'bikes', currency: 'usd', median_amount: 1_000, samples: 1 },
      { country: 'US', category: 'furniture', currency: 'usd', median_amount: 2_000, samples: 1 },
    ]);
  });

  it('rebuilds a mart whose definition changed, and replaces a plain view of the same name', async () => {
    await client.command({ query: 'DROP TABLE marts.seller_activity' });
    await client.command({ query: 'CREATE VIEW marts.seller_activity AS SELECT 1 AS seller_id' });
    const changed = { ...MARTS, orders_daily: { ...MARTS.orders_daily!, select: `${MARTS.orders_daily!.select} HAVING orders > 0` } };
    expect(await ensureMarts(client, { marts: changed })).toEqual([]);
    const tables = await rows<{ name: string; engine: string }>("SELECT name, engine FROM system.tables WHERE database = 'marts' AND name NOT LIKE '\\_%' AND name NOT LIKE '.inner%' ORDER BY name");
    expect(tables).toEqual(Object.keys(MARTS).sort().map((name) => ({ name, engine: 'MaterializedView' })));
    const { seller_activity: sellers } = await martsAndQueries();
    expect(sellers!.mart).toEqual(sellers!.query);
    expect(await ensureMarts(client)).toEqual([]);
  });

  it('records each refresh\'s time and the newest raw change it includes, and reports a failing refresh until it recovers', async () => {
    const captured = capturedLog('info');
    const supervisor = new Supervisor(captured.log, { deadLetterWindowMs: 60_000 });
    const keeper = new MartKeeper({ client, refreshSeconds: 1, log: captured.log, health: supervisor.reporter('marts'), pollMs: 200 });
    keeper.start();
    try {
      const fresh = await until(() => readMartFreshness(client), (marts) => marts.every((m) => m.refresh_seconds === 1 && m.age_seconds !== null && m.age_seconds < 5), 20_000);
      expect(fresh.map((m) => m.mart)).toEqual(Object.keys(MARTS));
      // Made with an hour's interval, which ClickHouse stores as `EVERY 1 HOUR`: each now refreshes every second.
      const intervals = await rows<{ name: string; ddl: string }>("SELECT name, create_table_query AS ddl FROM system.tables WHERE database = 'marts' AND engine = 'MaterializedView'");
      expect(Object.fromEntries(intervals.map((m) => [m.name, refreshSecondsOf(m.ddl)]))).toEqual(Object.fromEntries(Object.keys(MARTS).map((name) => [name, 1])));
      expect(fresh.find((m) => m.mart === 'orders_daily')).toMatchObject({ source_synced_through: '2026-03-20T12:06:00.000Z' });
      expect(fresh.find((m) => m.mart === 'user_cohorts')).toMatchObject({ source_synced_through: '2026-03-20T12:05:00.000Z' });
      expect(fresh.every((m) => m.error === undefined)).toBe(true);

      // The marts that read the orders' currency can no longer be computed: each keeps its last
      // answer and says why; the funnel reads orders too, but not that column, and goes on.
      const readCurrency = ['orders_daily', 'orders_by_place_daily', 'seller_sales_30d'];
      const before = await rows('SELECT * FROM marts.orders_daily ORDER BY ALL');
      await client.command({ query: 'ALTER TABLE raw.orders RENAME COLUMN currency TO currency_code' });
      const failing = await until(() => readMartFreshness(client), (marts) => marts.filter((m) => m.error !== undefined).length >= readCurrency.length, 20_000);
      expect(failing.filter((m) => m.error).map((m) => m.mart).sort()).toEqual([...readCurrency].sort());
      for (const mart of readCurrency) expect(failing.find((m) => m.mart === mart)!.error, mart).toMatch(/currency/);
      // The keeper notices on its next poll, after the freshness table has the error.
      const degraded = await until(() => supervisor.list().find((r) => r.role === 'marts')!, (role) => role.status === 'degraded', 10_000);
      expect(degraded).toMatchObject({ status: 'degraded', code: 'MART_REFRESH_FAILED' });
      expect(await rows('SELECT * FROM marts.orders_daily ORDER BY ALL')).toEqual(before);
      const lines = captured.text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      const failures = lines.filter((l) => l.msg === 'mart refresh failed; readers keep its last answer');
      expect(failures.length).toBeGreaterThanOrEqual(1);
      expect(failures.find((l) => l.mart === 'orders_daily')).toMatchObject({ error: expect.stringContaining('currency') });

      await client.command({ query: 'ALTER TABLE raw.orders RENAME COLUMN currency_code TO currency' });
      await until(() => readMartFreshness(client), (marts) => marts.every((m) => m.error === undefined), 20_000);
      await until(() => supervisor.list().find((r) => r.role === 'marts')!.status, (status) => status === 'ok', 10_000);
    } finally {
      await keeper.stop();
      supervisor.shutdown();
    }
  });
});
