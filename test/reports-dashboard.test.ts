// The dashboards end to end: marketplace rows reach the warehouse (chDB on disk) through change
// capture, the refresh job exports them and builds the Evidence site (offline) beside the served
// one, the admin server serves it at /reports and rebuilds it on demand, and Chromium reads every
// page's charts the way a person would: what the axes span, the order and whole text of their
// labels, whole-number ticks for counts, money with its currency, Steveslist's name, and each
// page's "data as of": the oldest refresh of the marts it reads, or the export for raw tables.
// The build happens in this file's own dashboards folder (a minute or two), as under DATA_DIR.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../api/admin/server.js';
import { silentLogger } from '../core/log.js';
import { addAdminUser } from '../marketplace/auth/admin-accounts.js';
import { placeOrder } from '../marketplace/domain/orders.js';
import { seed } from '../marketplace/sample-data/seed.js';
import type { RowDataPacket } from '../marketplace/mysql/connection.js';
import type { ConsumerRunner } from '../pipelines/consumers/runner.js';
import { projectCopyDir, REPORTS_DIR, refreshDashboards, siteDir } from '../reports/export/build-dashboards.js';
import { createWarehouseClient, type ClickHouseClient } from '../warehouse/client.js';
import { ensureMarts } from '../warehouse/marts.js';
import { startWarehouseLoader } from '../warehouse/loader.js';
import { startTestReader, type TestReader } from './fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import { until } from './fixtures/eventually.js';
import { httpClient } from './fixtures/http-client.js';
import { tempDir } from './fixtures/temp-dir.js';
import { IS_SALE } from '../warehouse/sale-statuses.js';

const dir = tempDir();
/** The dashboards folder a platform keeps under DATA_DIR: this file's builds are its own. */
const dashboards = join(dir.path, 'dashboards');
const DAY_MS = 86_400_000;
let db: TestDatabase;
let cdc: TestReader;
let warehouse: ClickHouseClient;
let loader: ConsumerRunner;
let admin: FastifyInstance;
let browser: Browser;
let base: string;
let summary: string;
/** When each mart's last refresh began (they are held still for this file: a page's date is known). */
let martRefreshedMs: Map<string, number>;
/** What the checkout's reports/ holds where a build would write (its top level, its Parquet folder), with times. */
const checkoutFiles = () => ['.', join('sources', 'warehouse')].flatMap((sub) => readdirSync(join(REPORTS_DIR, sub)).map((name) => {
  const path = join(REPORTS_DIR, sub, name);
  return `${join(sub, name)} ${lstatSync(path).mtimeMs}`;
})).sort();
let checkoutBefore: string[];

/** What a chart shows, read from its ECharts instance: axes as drawn, and every text it displays. */
interface ChartView {
  x: { type: string; extent: [number, number]; categories: string[] };
  /** The value axis (y, or x on a horizontal bar chart): its ticks and their labels as formatted. */
  value: { ticks: number[]; labels: string[] };
  texts: string[];
}

// A string, run in the page: the test project does not load the DOM typings. Evidence keeps each
// chart's ECharts instance on window under this symbol, keyed by the id on the chart's element.
const READ_CHARTS = `(() => {
  const charts = window[Symbol.for('__evidence-chart-window-debug__')] || {};
  return [...document.querySelectorAll('[_echarts_instance_]')].map((element) => {
    const chart = charts[element.getAttribute('_echarts_instance_')];
    if (!chart || chart.isDisposed()) return undefined;
    const model = chart.getModel();
    const x = model.getComponent('xAxis', 0).axis;
    const y = model.getComponent('yAxis', 0).axis;
    const valueAxis = x.type === 'value' ? x : y;
    const texts = [];
    chart.getZr().storage.getDisplayList().forEach((el) => { if (el.style && typeof el.style.text === 'string') texts.push(el.style.text); });
    return {
      x: { type: x.type, extent: x.scale.getExtent(), categories: x.type === 'category' ? x.scale.getOrdinalMeta().categories.map(String) : [] },
      value: { ticks: valueAxis.scale.getTicks().map((t) => t.value), labels: valueAxis.getViewLabels().map((l) => l.formattedLabel) },
      texts,
    };
  }).filter(Boolean);
})()`;

/** Opens a dashboard page and waits until its charts are drawn with data. */
async function openPage(path: string, charts: number): Promise<{ page: Page; views: ChartView[]; outside: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1800 } });
  const outside: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(base) && !/^(data|blob):/.test(request.url())) outside.push(request.url());
  });
  await page.goto(`${base}/reports/${path}`);
  await page.locator('[_echarts_instance_]').nth(charts - 1).waitFor({ timeout: 60_000 });
  // Drawn: every chart has ticks on its value axis; then a moment for the last setOption to land.
  const views = await until(() => page.evaluate(READ_CHARTS) as Promise<ChartView[]>, (found) => found.length >= charts && found.every((v) => v.value.ticks.length > 1), 60_000);
  await page.waitForTimeout(700);
  const settled = await page.evaluate(READ_CHARTS) as ChartView[];
  await page.screenshot({ path: join(dir.path, `${path || 'index'}.png`), fullPage: true });
  expect(await page.getByText(/Binder Error|Unexpected end|Catalog Error|Parser Error/).count()).toBe(0);
  return { page, views: settled.length >= charts ? settled : views, outside };
}

/** As the pages print a time: to the second, in UTC. */
const printed = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

async function expectFrame(page: Page, dataAsOfMs: number): Promise<void> {
  const line = page.locator('.data-as-of').first();
  await line.getByText(/^Data as of \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/).first().waitFor({ timeout: 30_000 });
  expect(await line.innerText()).toMatch(new RegExp(`^Data as of ${printed(dataAsOfMs)} \\(the oldest numbers on this page\\)`));
  await expect(page.getByText('Steveslist dashboards').first().isVisible()).resolves.toBe(true);
  expect(await page.getByText(/Built with Evidence/i).count()).toBe(0);
}

const isWhole = (n: number) => Math.abs(n - Math.round(n)) < 1e-9;

beforeAll(async () => {
  // The dashboards are their own npm project (Evidence needs Vite 5 and Svelte 4); CI installs it.
  if (!existsSync(join(REPORTS_DIR, 'node_modules', '.bin', 'evidence'))) {
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: REPORTS_DIR, stdio: 'inherit' });
    if (install.status !== 0) throw new Error('npm install in reports/ failed');
  }
  db = await createTestDatabase('dash');
  const midnight = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  await seed(db.pool, { users: 60, listings: 400, seed: 11, now: midnight, progress: () => ({ update() {}, finish() {} }) });
  // A few orders today, so the GMV and order charts have something to draw: one day of data.
  const [listings] = await db.pool.query<RowDataPacket[]>("SELECT id, seller_id FROM listings WHERE status = 'active' ORDER BY id LIMIT 5");
  const [[buyer]] = await db.pool.query<RowDataPacket[]>('SELECT MAX(id) AS id FROM users');
  for (const listing of listings) if (Number(listing.seller_id) !== Number(buyer!.id)) await placeOrder(db.pool, Number(listing.id), Number(buyer!.id));
  await addAdminUser(db.pool, 'dana', 'correct horse battery staple');
  cdc = await startTestReader(db.url, join(dir.path, 'cdc'));
  warehouse = createWarehouseClient({ path: join(dir.path, 'warehouse') });
  loader = startWarehouseLoader({ bus: cdc.bus, client: warehouse, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger() });
  await loader.start();
  const [[mysql]] = await db.pool.query<RowDataPacket[]>('SELECT (SELECT COUNT(*) FROM listings) AS listings, (SELECT COUNT(*) FROM orders) AS orders');
  const count = async (table: string) => {
    const result = await warehouse.query({ query: `SELECT count() AS n FROM raw.${table} FINAL`, format: 'JSONEachRow' }).catch(() => undefined);
    return result ? Number((await result.json<{ n: string }>())[0]?.n) : -1;
  };
  await until(async () => [await count('listings'), await count('orders')], ([l, o]) => l === Number(mysql!.listings) && o === Number(mysql!.orders), 60_000);
  // The marts refreshed once and then held: their refresh times stay what the pages were built from.
  await ensureMarts(warehouse, { refreshSeconds: 3600 });
  await warehouse.command({ query: 'SYSTEM STOP VIEWS' });
  const refreshes = await (await warehouse.query({
    query: "SELECT view, toUnixTimestamp(last_success_time) * 1000 AS ms FROM system.view_refreshes WHERE database = 'marts'",
    format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })).json<{ view: string; ms: number }>();
  martRefreshedMs = new Map(refreshes.map((r) => [r.view, Number(r.ms)]));
  // The export a second or more after the refreshes: a page dated by the export shows a later time.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  checkoutBefore = checkoutFiles();
  summary = await refreshDashboards({ warehouse, log: silentLogger(), dashboardsDir: dashboards });
  admin = await buildAdminServer({
    pool: db.pool, log: silentLogger(), dashboardsDir: dashboards, rebuildDashboards: () => refreshDashboards({ warehouse, log: silentLogger(), dashboardsDir: dashboards }),
  });
  base = await admin.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 1_800_000);
afterAll(async () => {
  await browser?.close();
  await admin?.close();
  await loader?.stop();
  await warehouse?.close();
  await cdc?.stop();
  await db?.close();
  if (process.env.KEEP_DASHBOARD_SCREENSHOTS) console.log(`screenshots in ${dir.path}`);
  else dir.remove();
});

describe('the dashboards', () => {
  it('are built beside the served site and switched to in one step', () => {
    // "unchanged" when an earlier run today already built them from the same numbers.
    expect(summary).toMatch(/^dashboards rebuilt from \d+ exported rows in \d+ s$/);
    expect(readlinkSync(siteDir(dashboards))).toMatch(/^builds\/\d{4}-/);
    expect(existsSync(join(siteDir(dashboards), 'index.html'))).toBe(true);
    // Evidence worked in the dashboards folder's copy of the project; the checkout's reports/ got nothing.
    expect(existsSync(join(projectCopyDir(dashboards), '.evidence', 'template'))).toBe(true);
    expect(readdirSync(join(projectCopyDir(dashboards), 'sources', 'warehouse')).filter((f) => f.endsWith('.parquet')).length).toBeGreaterThan(10);
    expect(checkoutFiles()).toEqual(checkoutBefore);
  });

  it('run one build at a time: a second asked for meanwhile returns at once', async () => {
    const [first, second] = await Promise.all([
      refreshDashboards({ warehouse, log: silentLogger(), dashboardsDir: dashboards }),
      refreshDashboards({ warehouse, log: silentLogger(), dashboardsDir: dashboards }),
    ]);
    expect(first).toMatch(/^dashboards unchanged \(\d+ exported rows\), the last build kept$/);
    expect(second).toMatch(/^a dashboards build is already running \(since .+, at export\); this one skipped$/);
  });

  it('are rebuilt on demand from the admin service, which shows the build\'s progress and outcome', async () => {
    const call = httpClient(base);
    const token = (await call('POST', '/admin/session', { body: { username: 'dana', password: 'correct horse battery staple' } })).body.token as string;
    expect((await call('POST', '/admin/reports/rebuild')).status).toBe(401);
    const before = (await call('GET', '/admin/reports/build', { token })).body;
    expect(before.built).toBe(true);
    const started = await call('POST', '/admin/reports/rebuild', { token });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ started: true });
    const again = await call('POST', '/admin/reports/rebuild', { token });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ started: false });
    expect(again.body.message).toMatch(/already running/);
    const after = await until(async () => (await call('GET', '/admin/reports/build', { token })).body, (status) => !status.building && status.last?.finishedAt > before.last.finishedAt, 120_000);
    expect(after.last).toMatchObject({ outcome: 'unchanged' });
    expect(after.last.dataAsOf).toBe(before.last.dataAsOf);
    expect(after.last.exportedAt).toBe(before.last.exportedAt);
    // The site's oldest data: the marts' oldest refresh (every page reading raw tables is newer, as of the export).
    expect(Date.parse(after.last.dataAsOf)).toBe(Math.min(...martRefreshedMs.values()));
  }, 180_000);

  it('draw the marketplace page: time axes spanning the data, months in order with whole labels, whole-number counts, money with its currency', async () => {
    const { page, views, outside } = await openPage('', 5);
    // New listings, orders and signups: the oldest refresh of the three marts it reads.
    await expectFrame(page, Math.min(...['daily_listings', 'orders_daily', 'user_cohorts'].map((mart) => martRefreshedMs.get(mart)!)));
    // New listings per day: a time axis from the first day with listings to the last, not years around them.
    const [range] = await (await warehouse.query({
      query: 'SELECT toUnixTimestamp(min(day)) * 1000 AS first, toUnixTimestamp(max(day)) * 1000 AS last FROM marts.daily_listings WHERE day >= today() - 90',
      format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })).json<{ first: number; last: number }>();
    const listings = views[0]!;
    expect(listings.x.type).toBe('time');
    // Half a day either side for the first and last bars, and ECharts' few percent of padding.
    expect(listings.x.extent[0]).toBeLessThanOrEqual(range!.first);
    expect(listings.x.extent[1]).toBeGreaterThanOrEqual(range!.last);
    expect(listings.x.extent[1] - listings.x.extent[0]).toBeLessThanOrEqual((range!.last - range!.first) * 1.05 + 2 * DAY_MS);
    // Orders (placed today only) and GMV: the axes span the last 30 days, not two years.
    const [gmv, orders] = [views[2]!, views[3]!];
    for (const view of [gmv, orders]) {
      expect(view.x.type).toBe('time');
      expect(view.x.extent[1] - view.x.extent[0]).toBeGreaterThanOrEqual(29 * DAY_MS);
      expect(view.x.extent[1] - view.x.extent[0]).toBeLessThanOrEqual(32 * DAY_MS);
      expect(view.x.extent[1]).toBeGreaterThanOrEqual(Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`));
    }
    for (const view of views.filter((v) => v !== gmv)) {
      expect(view.value.ticks.every(isWhole), String(view.value.ticks)).toBe(true);
      expect(new Set(view.value.labels).size).toBe(view.value.labels.length);
    }
    // Money: major units, each currency its own series named by its code (never added up).
    const [currencies] = await db.pool.query<RowDataPacket[]>(`SELECT DISTINCT UPPER(currency) AS code FROM orders WHERE ${IS_SALE}`);
    expect(currencies.length).toBeGreaterThan(0);
    for (const { code } of currencies) expect(gmv.texts).toContain(code);
    expect(gmv.texts.some((t) => t.includes('GMV (major units of each currency)'))).toBe(true);
    // Signups by month: months in calendar order, each label drawn whole.
    const cohorts = views.at(-1)!;
    expect(cohorts.x.type).toBe('category');
    const [[first]] = await db.pool.query<RowDataPacket[]>("SELECT DATE_FORMAT(MIN(created_at), '%Y-%m') AS month FROM users");
    expect(cohorts.x.categories[0]).toBe(first!.month);
    expect(cohorts.x.categories).toEqual([...cohorts.x.categories].sort());
    const drawnMonths = cohorts.texts.filter((t) => /^\d{4}/.test(t));
    expect(drawnMonths.length).toBeGreaterThan(0);
    for (const label of drawnMonths) expect(label).toMatch(/^\d{4}-\d{2}$/);
    expect(cohorts.texts.some((t) => t.includes('…') || t.includes('...'))).toBe(false);
    expect(outside).toEqual([]);
    await page.close();
  }, 180_000);

  it('serve the funnel, sales, sellers, supply and demand, moderation and platform pages', async () => {
    const call = httpClient(base);
    const token = (await call('POST', '/admin/session', { body: { username: 'dana', password: 'correct horse battery staple' } })).body.token as string;
    const exportedMs = Date.parse((await call('GET', '/admin/reports/build', { token })).body.last.exportedAt as string);
    // Pages on marts show their mart's refresh; pages that still read raw tables show the export.
    for (const [path, charts, heading, dataAsOfMs] of [
      ['funnel', 2, 'Sign-up, first listing, first sale, by signup month', martRefreshedMs.get('funnel_cohorts')!],
      ['sales', 2, 'By country', martRefreshedMs.get('orders_by_place_daily')!],
      ['sellers', 1, 'Top sellers', martRefreshedMs.get('seller_sales_30d')!],
      ['supply-demand', 1, 'Active listings and orders, the 15 busiest cities', martRefreshedMs.get('city_supply_demand_30d')!],
      ['moderation', 2, 'Complaints filed and settled per day', exportedMs],
      ['platform', 4, 'Emails by status', exportedMs],
    ] as const) {
      const { page, views, outside } = await openPage(path, charts);
      expect(outside, path).toEqual([]);
      await expectFrame(page, dataAsOfMs);
      await page.getByText(heading).first().waitFor({ timeout: 30_000 });
      for (const view of views) {
        // Not counts: shares (percent) and seconds (capture delay).
        if (view.value.labels.some((l) => l.includes('%') || /\d\.\d/.test(l))) continue;
        expect(view.value.ticks.every(isWhole), `${path}: ${view.value.ticks}`).toBe(true);
      }
      for (const view of views.filter((v) => v.x.type === 'time')) expect(view.x.extent[1] - view.x.extent[0], path).toBeLessThanOrEqual(92 * DAY_MS);
      if (path === 'funnel') {
        for (const view of views) {
          expect(view.x.categories).toEqual([...view.x.categories].sort());
          expect(view.texts.some((t) => t.includes('…') || t.includes('...'))).toBe(false);
        }
      }
      await page.close();
    }
    // The build's own bookkeeping beside the site is not part of it.
    expect((await fetch(`${base}/reports/.inputs-sha256`)).status).toBe(404);
  }, 300_000);

  it('say how to build them when they are not built', async () => {
    const unbuilt = await buildAdminServer({ pool: db.pool, log: silentLogger(), dashboardsDir: join(dir.path, 'nothing') });
    try {
      const response = await fetch(`${await unbuilt.listen({ host: '127.0.0.1', port: 0 })}/reports/`);
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('npm run reports:install');
    } finally {
      await unbuilt.close();
    }
  });
});
