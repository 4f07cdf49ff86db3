// The dashboards' export over a real warehouse (chDB on disk, raw tables made from the schema):
// every page's query runs, the sales, top-sellers and funnel tables answer from their marts with
// the periods, refunds and missing listings they should, and each page is dated by what it reads.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowDataPacket } from '../../marketplace/mysql/connection.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { createWarehouseClient, type ClickHouseClient } from '../../warehouse/client.js';
import { ensureMarts } from '../../warehouse/marts.js';
import { ensureRawDatabase, readSourceTable, syncTable } from '../../warehouse/raw-schema.js';
import { DATA_AS_OF, formatDataAsOf } from './data-as-of.js';
import { DASHBOARD_QUERIES, exportDashboardData, type DashboardExport } from './export-marts.js';

const dir = tempDir();
let db: TestDatabase;
let client: ClickHouseClient;
let exported: DashboardExport;
let refreshedMs: Map<string, number>;

type Row = Record<string, unknown>;
const rows = async (query: string): Promise<Row[]> =>
  (await client.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json<Row>();
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 19).replace('T', ' ');

async function load(table: string, values: Row[], version = 1, deleted = 0): Promise<void> {
  await client.insert({
    table: `raw.${table}`, format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' },
    values: values.map((v) => ({ ...v, _version: version, _is_deleted: deleted, _synced_at: '2026-03-20 12:00:00.000' })),
  });
}
const user = (id: number, createdAt: string) => ({ id, email: `u${id}@example.com`, name: `User ${id}`, created_at: createdAt, updated_at: createdAt });
const listing = (id: number, sellerId: number, category: string, country: string) => ({
  id, seller_id: sellerId, name: 'thing', description: '', category, country, city: 'Springfield', price_amount: 1000, price_currency: 'usd', status: 'active', created_at: '2026-02-25 10:00:00', updated_at: '2026-02-25 10:00:00',
});
const order = (id: number, listingId: number, sellerId: number, amount: number, currency: string, status: string, createdAt: string) => ({
  id, listing_id: listingId, buyer_id: 9, seller_id: sellerId, amount, currency, status, created_at: createdAt, updated_at: createdAt,
});

beforeAll(async () => {
  db = await createTestDatabase('export_marts');
  client = createWarehouseClient({ path: join(dir.path, 'warehouse') });
  await ensureRawDatabase(client);
  // Every table the pages read, as the loader makes them.
  const [tables] = await db.pool.query<RowDataPacket[]>("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", [db.name]);
  for (const { name } of tables) {
    const source = await readSourceTable(db.pool, db.name, String(name));
    if (source && source.primaryKey.length > 0) await syncTable(client, source);
  }
  await load('users', [user(1, '2026-01-10 10:00:00'), user(2, '2026-02-10 10:00:00'), user(3, '2026-02-20 10:00:00')]);
  await load('listings', [listing(1, 1, 'bikes', 'US'), listing(2, 2, 'furniture', 'CA')]);
  await load('orders', [
    order(1, 1, 1, 1_000, 'usd', 'paid', daysAgo(2)),
    order(2, 1, 1, 3_000, 'usd', 'paid', daysAgo(40)),
    order(3, 2, 2, 500, 'eur', 'paid', daysAgo(1)),
    order(4, 2, 2, 700, 'eur', 'paid', daysAgo(1)),
    // A listing the warehouse does not have (yet): its sales still count, under "unknown".
    order(5, 99, 3, 200, 'usd', 'completed', daysAgo(3)),
  ]);
  await load('orders', [order(4, 2, 2, 700, 'eur', 'refunded', daysAgo(1))], 2);
  expect(await ensureMarts(client, { refreshSeconds: 3600 })).toEqual([]);
  // Held still, so each page's date is known; the export a second or more later.
  await client.command({ query: 'SYSTEM STOP VIEWS' });
  const refreshes = await rows("SELECT view, toUnixTimestamp(last_success_time) * 1000 AS ms FROM system.view_refreshes WHERE database = 'marts'");
  refreshedMs = new Map(refreshes.map((r) => [String(r.view), Number(r.ms)]));
  await new Promise((resolve) => setTimeout(resolve, 1100));
  exported = await exportDashboardData(client, join(dir.path, 'export'));
}, 120_000);
afterAll(async () => {
  await client?.close();
  await db?.close();
  dir.remove();
});

describe('the dashboards\' export', () => {
  it('runs every page\'s query and writes each as Parquet', async () => {
    expect(Object.keys(exported.rows).sort()).toEqual(Object.keys(DASHBOARD_QUERIES).sort());
    const [written] = await rows(`SELECT count() AS n FROM file('${join(dir.path, 'export', 'gmv_by_category.parquet')}', Parquet)`);
    expect(written).toEqual({ n: 3 });
  });

  it('answers sales by category and country, this period against the one before, from the daily mart', async () => {
    expect(await rows(DASHBOARD_QUERIES.gmv_by_category!)).toEqual([
      { category: 'bikes', currency: 'USD', orders: 1, orders_previous: 1, gmv: 10, gmv_previous: 30 },
      { category: 'furniture', currency: 'EUR', orders: 1, orders_previous: 0, gmv: 5, gmv_previous: 0 },
      { category: 'unknown', currency: 'USD', orders: 1, orders_previous: 0, gmv: 2, gmv_previous: 0 },
    ]);
    expect(await rows(DASHBOARD_QUERIES.gmv_by_country!)).toEqual([
      { country: 'US', currency: 'USD', orders: 1, orders_previous: 1, gmv: 10, gmv_previous: 30 },
      { country: 'CA', currency: 'EUR', orders: 1, orders_previous: 0, gmv: 5, gmv_previous: 0 },
      { country: '??', currency: 'USD', orders: 1, orders_previous: 0, gmv: 2, gmv_previous: 0 },
    ]);
  });

  it('answers the top sellers of the last 30 days and the signup funnel from their marts', async () => {
    expect(await rows(DASHBOARD_QUERIES.top_sellers!)).toEqual([
      { seller_id: 1, seller: 'User 1', currency: 'USD', orders: 1, gmv: 10 },
      { seller_id: 2, seller: 'User 2', currency: 'EUR', orders: 1, gmv: 5 },
      { seller_id: 3, seller: 'User 3', currency: 'USD', orders: 1, gmv: 2 },
    ]);
    expect(await rows(DASHBOARD_QUERIES.funnel_cohorts!)).toEqual([
      { cohort: '2026-01', signed_up: 1, listed: 1, sold: 1 },
      { cohort: '2026-02', signed_up: 2, listed: 1, sold: 2 },
    ]);
  });

  it('dates each page by the oldest refresh of the marts it reads, and a page on raw tables by the export', async () => {
    const byPage = Object.fromEntries(exported.pages.map((page) => [page.page, page.asOfMs]));
    expect(byPage.funnel).toBe(refreshedMs.get('funnel_cohorts'));
    expect(byPage.sellers).toBe(refreshedMs.get('seller_sales_30d'));
    expect(byPage.sales).toBe(refreshedMs.get('orders_by_place_daily'));
    expect(byPage.index).toBe(Math.min(...['daily_listings', 'orders_daily', 'user_cohorts'].map((mart) => refreshedMs.get(mart)!)));
    expect(byPage['supply-demand']).toBe(refreshedMs.get('city_supply_demand_30d'));
    expect(byPage.platform).toBe(exported.at.getTime());
    expect(byPage.platform! - byPage.funnel!).toBeGreaterThanOrEqual(1000);
    const written = await rows(`SELECT page, data_as_of FROM file('${join(dir.path, 'export', `${DATA_AS_OF}.parquet`)}', Parquet) ORDER BY page`);
    expect(written).toEqual(exported.pages.map((page) => ({ page: page.page, data_as_of: formatDataAsOf(page.asOfMs!) })).sort((a, b) => a.page.localeCompare(b.page)));
  });
});
