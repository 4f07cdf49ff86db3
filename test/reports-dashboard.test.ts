// The dashboards end to end: marketplace rows reach the warehouse (chDB on disk) through change
// capture, the refresh job exports them and builds the Evidence site (offline), the admin server
// serves it at /reports, and Chromium shows a chart drawn from that data. The sample data is
// seeded as of today's midnight (UTC), so within a day the export is the same and a second run of
// this file keeps the build instead of spending minutes on an identical one.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
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
  const midnight = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  await seed(db.pool, { users: 60, listings: 400, seed: 11, now: midnight, progress: () => ({ update() {}, finish() {} }) });
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
    // "unchanged" when an earlier run today already built them from the same numbers.
    expect(summary).toMatch(/^dashboards (rebuilt from \d+ exported rows in \d+ s|unchanged \(\d+ exported rows\), the last build kept)$/);
  });

  it('keep the last build when the numbers and pages did not change', async () => {
    const builtAt = statSync(join(REPORTS_DIR, 'build', 'index.html')).mtimeMs;
    expect(await refreshDashboards({ warehouse, log: silentLogger() })).toMatch(/^dashboards unchanged \(\d+ exported rows\), the last build kept$/);
    expect(statSync(join(REPORTS_DIR, 'build', 'index.html')).mtimeMs).toBe(builtAt);
  });

  it('draw the marketplace charts from the warehouse\'s data in Chromium, with no request leaving the machine', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(base) && !/^(data|blob):/.test(request.url())) outside.push(request.url());
    });
    await page.goto(`${base}/reports/`);
    await page.waitForSelector('[_echarts_instance_] canvas', { timeout: 60_000 });
    // The first chart (new listings per day) has bars on it: coloured pixels, not only grey axes.
    expect(await until(() => page.locator('[_echarts_instance_] canvas').first().evaluate((element) => {
      // Structural type: the test project does not load the DOM typings.
      const canvas = element as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3]! > 0 && Math.max(data[i]!, data[i + 1]!, data[i + 2]!) - Math.min(data[i]!, data[i + 1]!, data[i + 2]!) > 40) coloured++;
      return coloured;
    }), (coloured) => coloured > 500, 60_000)).toBeGreaterThan(500);
    // The cohort table holds a month from the seeded data, read from the warehouse.
    const [[first]] = await db.pool.query<RowDataPacket[]>("SELECT DATE_FORMAT(MIN(created_at), '%Y-%m') AS month FROM users");
    await page.locator('td', { hasText: String(first!.month) }).first().waitFor({ state: 'attached', timeout: 60_000 });
    // New listings, top cities, GMV and cohorts: four charts, and no error box in place of one.
    await page.locator('[_echarts_instance_]').nth(3).waitFor({ timeout: 60_000 });
    expect(await page.getByText(/Binder Error|Unexpected end/).count()).toBe(0);
    expect(outside).toEqual([]);
    await page.close();
  }, 180_000);

  it('serve the platform page, and say how to build them when they are not', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/reports/platform`);
    await page.getByText('Emails by status').first().waitFor({ timeout: 60_000 });
    await page.getByText('Last nightly backup').first().waitFor({ timeout: 60_000 });
    // Deliveries, capture delay, emails and job runs: four charts (zero-filled when the platform was quiet).
    await page.locator('[_echarts_instance_]').nth(3).waitFor({ timeout: 60_000 });
    expect(await page.getByText(/Binder Error|Unexpected end/).count()).toBe(0);
    await page.close();
    // The build's own bookkeeping beside the site is not part of it.
    expect((await fetch(`${base}/reports/.inputs-sha256`)).status).toBe(404);
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
