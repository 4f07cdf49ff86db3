// Dashboards: one rebuild (export of every page's numbers to Parquet, `evidence sources`, `evidence
// build`, the switch) over a warehouse of 1M listings and 10M orders. The raw tables are the real
// ones (made from the migrated MySQL schema, as the loader makes them) filled by generated INSERTs,
// and the reports project is copied to a temp folder so the build leaves the checkout's site alone.
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../core/log.js';
import { createMysqlPool } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import type { RowDataPacket } from '../marketplace/mysql/connection.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { REPORTS_DIR, refreshDashboards } from '../reports/export/build-dashboards.js';
import { exportDashboardData } from '../reports/export/export-marts.js';
import { createWarehouseClient, type ClickHouseClient } from '../warehouse/client.js';
import { ensureMarts } from '../warehouse/marts.js';
import { ensureRawDatabase, readSourceTable, syncTable } from '../warehouse/raw-schema.js';
import { measure, type BenchResult } from './table.js';

const LISTINGS = 1_000_000;
const ORDERS = 10_000_000;
const USERS = 200_000;

/** Generated rows over the last year; enough variety (8 categories, 6 countries, 30 cities, 4 currencies) for every chart. */
async function fill(client: ClickHouseClient): Promise<void> {
  const year = 'now64(6) - toIntervalSecond(number * 7919 % 31536000)';
  await client.command({ query: `INSERT INTO raw.users (id, email, name, country, city, status, created_at, updated_at, _version, _is_deleted)
    SELECT number + 1, concat('u', toString(number), '@example.com'), concat('User ', toString(number)), 'US', 'Boston', 'active', ${year}, ${year}, 1, 0 FROM numbers(${USERS})` });
  await client.command({ query: `INSERT INTO raw.listings (id, seller_id, name, description, category, country, city, price_amount, price_currency, status, created_at, updated_at, _version, _is_deleted)
    SELECT number + 1, number % ${USERS} + 1, 'thing', '', ['electronics','furniture','vehicles','bikes','home-garden','clothing','sports','housing'][number % 8 + 1],
      ['US','GB','DE','FR','CA','AU'][number % 6 + 1], concat('City ', toString(number % 30)), 500 + number % 90000,
      ['usd','gbp','eur','eur','cad','aud'][number % 6 + 1], if(number % 5 = 0, 'sold', 'active'), ${year}, ${year}, 1, 0 FROM numbers(${LISTINGS})` });
  await client.command({ query: `INSERT INTO raw.orders (id, listing_id, buyer_id, seller_id, amount, currency, status, created_at, updated_at, _version, _is_deleted)
    SELECT number + 1, number % ${LISTINGS} + 1, (number * 31) % ${USERS} + 1, (number % ${LISTINGS}) % ${USERS} + 1, 500 + (number * 7919) % 200000,
      ['usd','gbp','eur','eur','cad','aud'][(number % ${LISTINGS}) % 6 + 1], if(number % 50 = 0, 'cancelled', 'paid'), ${year}, ${year}, 1, 0 FROM numbers(${ORDERS})` });
  await client.command({ query: `INSERT INTO raw.messages (id, listing_id, sender_id, recipient_id, body, created_at, _version, _is_deleted)
    SELECT number + 1, number % ${LISTINGS} + 1, number % ${USERS} + 1, (number + 1) % ${USERS} + 1, 'hi', ${year}, 1, 0 FROM numbers(1000000)` });
  await client.command({ query: `INSERT INTO raw.complaints (id, reporter_id, listing_id, reason, status, created_at, updated_at, _version, _is_deleted)
    SELECT number + 1, number % ${USERS} + 1, number % ${LISTINGS} + 1, ['spam','fraud','prohibited_item','offensive','other'][number % 5 + 1],
      ['open','reviewing','resolved','dismissed'][number % 4 + 1], ${year}, ${year}, 1, 0 FROM numbers(50000)` });
}

export async function* dashboardBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  if (!existsSync(join(REPORTS_DIR, 'node_modules', '.bin', 'evidence'))) return;
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-dash-'));
  const url = server.url('bench_dash');
  await migrate(url);
  const pool = await createMysqlPool(url);
  const client = createWarehouseClient({ path: join(dir, 'warehouse') });
  try {
    await ensureRawDatabase(client);
    const [tables] = await pool.query<RowDataPacket[]>("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'bench_dash' AND TABLE_TYPE = 'BASE TABLE'");
    for (const { name } of tables) {
      const source = await readSourceTable(pool, 'bench_dash', String(name));
      if (source && source.primaryKey.length > 0 && source.table !== 'schema_migrations') await syncTable(client, source);
    }
    await fill(client);
    await ensureMarts(client);
    // The project without its build state; node_modules shared (700 MB, read only here).
    const reports = join(dir, 'reports');
    cpSync(REPORTS_DIR, reports, { recursive: true, filter: (path) => !/[/\\](node_modules|\.evidence|build|builds|site)$/.test(path) });
    symlinkSync(join(REPORTS_DIR, 'node_modules'), join(reports, 'node_modules'));
    let started = Date.now();
    const exported = await exportDashboardData(client, join(dir, 'export-only'));
    const rows = Object.values(exported.rows).reduce((a, b) => a + b, 0);
    yield measure(`dashboard export at 1M listings / 10M orders (${Object.keys(exported.rows).length} queries -> Parquet)`, 'exports', 1, Date.now() - started, `${rows} rows exported`);
    started = Date.now();
    const summary = await refreshDashboards({ warehouse: client, log: silentLogger(), dashboardsDir: join(dir, 'dashboards') });
    yield measure('dashboard rebuild at 1M listings / 10M orders (export, evidence sources + build, switch)', 'rebuilds', 1, Date.now() - started, summary);
  } finally {
    await client.close();
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
