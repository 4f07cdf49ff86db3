// The dashboards end to end: marketplace rows reach the warehouse (chDB on disk) through change
// capture, the refresh job exports them and builds the Evidence site (offline), the admin server
// serves it at /reports, and Chromium shows a chart drawn from that data.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../api/admin/server.js';
import { silentLogger } from '../core/log.js';
import { placeOrder } from '../marketplace/domain/orders.js';
import { seed } from '../marketplace/sample-data/seed.js';
import type { RowDataPacket } from '../marketplace/mysql/connection.js';
import type { ConsumerRunner } from '../pipelines/consumers/runner.js';
import { REPORTS_DIR, refreshDashboards } from '../reports/export/build-dashboards.js';
import { createWarehouseClient, type ClickHouseClient } from '../warehouse/client.js';
import { ensureMarts } from '../warehouse/marts.js';
import { startWarehouseLoader } from '../warehouse/loader.js';
import { startTestReader, type TestReader } from './fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import { until } from './fixtures/eventually.js';
import { tempDir } from './fixtures/temp-dir.js';

const dir = tempDir();
let db: TestDatabase;
let cdc: TestReader;
let warehouse: ClickHouseClient;
let loader: ConsumerRunner;
let admin: FastifyInstance;
let browser: Browser;
let base: string;
let summary: string;

beforeAll(async () => {
  // The dashboards are their own npm project (Evidence needs Vite 5 and Svelte 4); CI installs it.
  if (!existsSync(join(REPORTS_DIR, 'node_modules', '.bin', 'evidence'))) {
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: REPORTS_DIR, stdio: 'inherit' });
    if (install.status !== 0) throw new Error('npm install in reports/ failed');
  }
  db = await createTestDatabase('dash');
  await seed(db.pool, { users: 60, listings: 400, seed: 11, progress: () => ({ update() {}, finish() {} }) });
  // A few orders, so the GMV chart has something to draw.
  const [listings] = await db.pool.query<RowDataPacket[]>("SELECT id, seller_id FROM listings WHERE status = 'active' ORDER BY id LIMIT 5");
  const [[buyer]] = await db.pool.query<RowDataPacket[]>('SELECT MAX(id) AS id FROM users');
  for (const listing of listings) if (Number(listing.seller_id) !== Number(buyer!.id)) await placeOrder(db.pool, Number(listing.id), Number(buyer!.id));
  cdc = await startTestReader(db.url, join(dir.path, 'cdc'));
  warehouse = createWarehouseClient({ path: join(dir.path, 'warehouse') });
  loader = startWarehouseLoader({ bus: cdc.bus, client: warehouse, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger() });
  await loader.start();
  const [[mysql]] = await db.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM listings');
  await until(async () => {
    const result = await warehouse.query({ query: 'SELECT count() AS n FROM raw.listings FINAL', format: 'JSONEachRow' }).catch(() => undefined);
    return result ? Number((await result.json<{ n: string }>())[0]?.n) : -1;
  }, (n) => n === Number(mysql!.n), 60_000);
  await ensureMarts(warehouse);
  summary = await refreshDashboards({ warehouse, log: silentLogger() });
  admin = await buildAdminServer({ pool: db.pool, log: silentLogger() });
  base = await admin.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await admin?.close();
  await loader?.stop();
  await warehouse?.close();
  await cdc?.stop();
  await db?.close();
  dir.remove();
});

describe('the dashboards', () => {
  it('are rebuilt from the warehouse by the refresh job', () => {
    expect(summary).toMatch(/^dashboards rebuilt from \d+ exported rows in \d+ s$/);
  });

  it('draw the marketplace charts from the warehouse\'s data in Chromium, with no request leaving the machine', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(base) && !/^(data|blob):/.test(request.url())) outside.push(request.url());
    });
    await page.goto(`${base}/reports/`);
    await page.waitForSelector('[_echarts_instance_] canvas', { timeout: 60_000 });
    // The cohort table holds a month from the seeded data, read from the warehouse.
    const [[first]] = await db.pool.query<RowDataPacket[]>("SELECT DATE_FORMAT(MIN(created_at), '%Y-%m') AS month FROM users");
    await page.locator('td', { hasText: String(first!.month) }).first().waitFor({ state: 'attached', timeout: 60_000 });
    // New listings, GMV and cohorts: three charts, and no error box in place of one.
    await page.locator('[_echarts_instance_]').nth(2).waitFor({ timeout: 60_000 });
    expect(await page.getByText(/Binder Error|Unexpected end/).count()).toBe(0);
    expect(outside).toEqual([]);
    await page.close();
  }, 180_000);

  it('serve the platform page, and say how to build them when they are not', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/reports/platform`);
    await page.getByText('Emails by status').first().waitFor({ timeout: 60_000 });
    await page.getByText('Last nightly backup').first().waitFor({ timeout: 60_000 });
    expect(await page.getByText(/Binder Error|Unexpected end/).count()).toBe(0);
    await page.close();
    const unbuilt = await buildAdminServer({ pool: db.pool, log: silentLogger(), reportsDir: join(dir.path, 'nothing') });
    try {
      const response = await fetch(`${await unbuilt.listen({ host: '127.0.0.1', port: 0 })}/reports/`);
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('npm run reports:install');
    } finally {
      await unbuilt.close();
    }
  });
});
