// The warehouse while the platform runs, as its three kinds of users meet it: marketplace writes
// keep loading while analysts query through `steveslist sql`, a ClickHouse client and JDBC, and
// staff's commands (verification, report jobs) reach the same running warehouse. chDB allows one
// process per folder: every one of these used to refuse, or (an analyst query) to stop loading.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARTS } from '../warehouse/marts.js';
import { servedMartFreshness } from '../warehouse/mart-freshness.js';
import { replicaId } from './fixtures/cdc.js';
import { until } from './fixtures/eventually.js';
import { parsePrometheusText } from './fixtures/prometheus-text.js';
import { newDatabaseUrl } from './fixtures/database.js';
import { runCli, startCli, type RunningCli } from './fixtures/run-cli.js';
import { tempDir } from './fixtures/temp-dir.js';

const dir = tempDir();
const dataDir = join(dir.path, 'data');
const { url: mysqlUrl } = newDatabaseUrl('served');
const env = { MYSQL_URL: mysqlUrl, DATA_DIR: dataDir, PORT: '0', ADMIN_PORT: '0', WAREHOUSE_HTTP_PORT: '0', CDC_SERVER_ID: String(replicaId()), LOG_LEVEL: 'info', MART_REFRESH_SECONDS: '2' };
let platform: RunningCli;
let warehouseUrl: string;
let health: string;
let admin: string;

beforeAll(async () => {
  platform = startCli(['up'], env);
  [, warehouseUrl] = (await platform.waitFor(/"warehouse":"(http:[^"]+)"/, 120_000)) as [string, string];
  [, health] = (await platform.waitFor(/"health":"(http:[^"]+)"/, 120_000)) as [string, string];
  [, admin] = (await platform.waitFor(/"admin":"(http:[^"]+)"/, 120_000)) as [string, string];
}, 180_000);
afterAll(async () => {
  platform?.child.kill('SIGTERM');
  await platform?.exited;
  dir.remove();
});

const cli = (args: string[]) => runCli(args, env);
const count = async (table: string) => Number((await cli(['sql', `SELECT count() FROM (SELECT * FROM raw.${table} FINAL WHERE _is_deleted = 0)`, '--format', 'csv'])).stdout.split('\n')[1]);

describe('the warehouse while the platform runs', () => {
  it('keeps loading while analysts query it through steveslist sql, and every table stays equal to MySQL', async () => {
    const writer = cli(['simulate', '--rate', '100/s', '--duration', '8s', '--seed', '7']);
    // raw.listings exists once the loader applied the first listing.
    for (let i = 0; i < 60 && (await cli(['sql', 'SELECT 1 FROM raw.listings LIMIT 1'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 250));
    const answers: string[] = [];
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline) {
      const result = await cli(['sql', 'SELECT count() AS listings, max(_version) AS v FROM raw.listings', '--format', 'csv']);
      expect(result.stderr).toBe('');
      answers.push(result.stdout);
    }
    expect((await writer).code).toBe(0);
    expect(answers.length).toBeGreaterThan(1);
    expect(answers[0]).toMatch(/^"listings","v"\n\d+,/);

    // The same tables as MySQL, row for row, once the loader caught up: nothing was dead-lettered.
    let verified = await cli(['warehouse', 'verify']);
    for (let i = 0; i < 30 && verified.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      verified = await cli(['warehouse', 'verify']);
    }
    expect(verified.stderr + verified.stdout).not.toMatch(/refuse|one process/i);
    expect(verified.code).toBe(0);
    expect(await count('listings')).toBeGreaterThan(0);
    // A backfill while the loader runs writes through the same served warehouse, and changes nothing.
    const backfilled = await cli(['warehouse', 'backfill', 'listings']);
    expect(backfilled.code, backfilled.stderr).toBe(0);
    expect((await cli(['warehouse', 'verify'])).code).toBe(0);
    const status = await (await fetch(health)).json() as { status: string };
    expect(status.status).toBe('ok');
  }, 120_000);

  it('gives an analyst their own user, and a ClickHouse client with it reads but cannot write', async () => {
    const added = await cli(['analyst', 'add', 'dana', '--max-rows', '1000']);
    expect(added.code).toBe(0);
    const password = /^\s+password\s+(\S+)$/m.exec(added.stdout)![1]!;
    expect(added.stdout).toContain(warehouseUrl);
    expect(platform.output()).not.toContain(password);
    const client = createClient({ url: warehouseUrl, username: 'dana', password });
    try {
      const rows = await client.query({ query: 'SELECT count() AS n FROM raw.users', format: 'JSONEachRow' }).then((r) => r.json<{ n: string }>());
      expect(Number(rows[0]!.n)).toBeGreaterThan(0);
      await expect(client.command({ query: 'TRUNCATE TABLE raw.users' })).rejects.toMatchObject({ code: '164' });
      await expect(client.query({ query: 'SELECT * FROM numbers(2000)', format: 'JSONEachRow' }).then((r) => r.json())).rejects.toMatchObject({ code: '396' });
    } finally {
      await client.close();
    }
    // Writes after the analyst's refused ones still arrive.
    const before = await count('listings');
    expect((await cli(['simulate', '--rate', '50/s', '--duration', '2s', '--seed', '8'])).code).toBe(0);
    let after = before;
    for (let i = 0; i < 30 && after <= before; i++) {
      await new Promise((r) => setTimeout(r, 500));
      after = await count('listings');
    }
    expect(after).toBeGreaterThan(before);
  }, 120_000);

  it('builds the dashboards from the running warehouse (the staff\'s report job)', async () => {
    const job = await cli(['jobs', 'run', 'reports.refresh-dashboards']);
    expect(job.stderr + job.stdout).not.toMatch(/one process per folder|cannot be opened/);
    expect(job.code, job.stderr + job.stdout).toBe(0);
    const status = await (await fetch(health)).json() as { status: string };
    expect(status.status).toBe('ok');
    // Built under the platform's data folder, and served from there by the running admin service.
    expect(existsSync(join(dataDir, 'dashboards', 'site', 'index.html'))).toBe(true);
    const page = await fetch(`${admin}/reports/funnel`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Funnel');
  }, 300_000);

  it('keeps the marts refreshed, their ages in /metrics and readable by another process through the served warehouse', async () => {
    // This process is not the warehouse's owner: it reads the refresh ledger as the admin service on its own would.
    expect((await cli(['simulate', '--rate', '50/s', '--duration', '2s', '--seed', '9'])).code).toBe(0);
    const marts = servedMartFreshness({ dir: join(dataDir, 'warehouse'), url: undefined, username: undefined, password: undefined });
    // Fresh, and (once a refresh began after the listings arrived) including raw changes.
    const fresh = await until(marts, (list) => list.every((m) => m.refresh_seconds === 2 && m.age_seconds !== null && m.age_seconds < 10 && !m.error && m.source_synced_through !== null), 60_000);
    expect(fresh.map((m) => m.mart)).toEqual(Object.keys(MARTS));
    // The mart answers what its defining query answers over the raw tables, within a refresh.
    const listed = async (sql: string) => Number((await cli(['sql', sql, '--format', 'csv'])).stdout.split('\n')[1]);
    const inMart = await until(() => listed('SELECT sum(listings) FROM marts.daily_listings'), (n) => n > 0, 30_000);
    expect(inMart).toBeLessThanOrEqual(await listed('SELECT uniqExact(id) FROM raw.listings'));
    const metrics = parsePrometheusText(await (await fetch(`${admin}/metrics`)).text());
    const ages = metrics.get('steveslist_mart_age_seconds')!.samples;
    expect(ages.map((s) => s.labels.mart).sort()).toEqual(Object.keys(MARTS).sort());
    expect(ages.every((s) => s.value < 10)).toBe(true);
    expect(metrics.get('steveslist_mart_refresh_failing')!.samples.every((s) => s.value === 0)).toBe(true);
  }, 120_000);

  it('keeps the served file private and leaves nothing behind after a stop', async () => {
    const served = join(dataDir, 'warehouse.served.json');
    const { mode } = await import('node:fs').then((fs) => fs.statSync(served));
    expect(mode & 0o077).toBe(0);
    expect(JSON.parse(readFileSync(served, 'utf8'))).toMatchObject({ url: warehouseUrl, pid: platform.child.pid });
  });
});
