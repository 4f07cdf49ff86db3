// No role takes the platform down, and no sink fails silently: a real `steveslist up` against a
// private MariaDB, with real faults put into each role's parts while it runs (a trigger in the
// search index that rejects every document, the warehouse's target table dropped, a folder where
// change capture saves its position, triggers on the tables the webhook and email roles write,
// the scheduler's ledger renamed away), each seen on /health, /admin/pipeline and /metrics within
// seconds, and everything written meanwhile arriving once the fault is gone.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../core/webhook-signature.js';
import { freePort } from '../core/ports.js';
import type { RoleStatus } from '../core/role-health.js';
import { addAdminUser } from '../marketplace/auth/admin-accounts.js';
import { createListing } from '../marketplace/domain/listings.js';
import type { RowDataPacket } from '../marketplace/mysql/connection.js';
import type { PipelineStatus } from '../pipelines/status/pipeline-status.js';
import { readServedWarehouse } from '../warehouse/index.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import { until } from './fixtures/eventually.js';
import { httpClient } from './fixtures/http-client.js';
import { parsePrometheusText } from './fixtures/prometheus-text.js';
import { runCli, startCli, type RunningCli } from './fixtures/run-cli.js';
import { tempDir } from './fixtures/temp-dir.js';
import { directListings, type DirectListings } from './fixtures/direct-listings.js';

const PASSWORD = 'correct horse battery staple';
const WINDOW_SECONDS = 3;
const dir = tempDir();
let db: TestDatabase;
let up: RunningCli;
let call: ReturnType<typeof httpClient>;
let admin: ReturnType<typeof httpClient>;
let adminOrigin: string;
let token: string;
let receiver: Server;
/** Paths of the webhook requests the receiver got. */
const received: string[] = [];

interface Health {
  status: 'ok' | 'degraded';
  degraded: string[];
  checks: Record<string, Partial<RoleStatus> & { status: string }>;
}

beforeAll(async () => {
  db = await createTestDatabase('supervision');
  await addAdminUser(db.pool, 'ops', PASSWORD);
  receiver = createServer((request, response) => {
    received.push(request.url ?? '');
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const [port, adminPort, warehousePort] = [await freePort(), await freePort(), await freePort()];
  up = startCli(['up'], {
    MYSQL_URL: db.url, DATA_DIR: dir.path, PORT: String(port), ADMIN_PORT: String(adminPort), WAREHOUSE_HTTP_PORT: String(warehousePort),
    CDC_SERVER_ID: String(90_000 + Math.floor(Math.random() * 10_000)), HEALTH_DEAD_LETTER_WINDOW_SECONDS: String(WINDOW_SECONDS), LOG_LEVEL: 'info',
    WEBHOOKS_ALLOW_PRIVATE: 'true',
  });
  await up.waitFor(/steveslist is up/, 120_000);
  call = httpClient(`http://127.0.0.1:${port}`);
  adminOrigin = `http://127.0.0.1:${adminPort}`;
  admin = httpClient(adminOrigin);
  token = (await admin('POST', '/admin/session', { body: { username: 'ops', password: PASSWORD } })).body.token;
}, 180_000);
afterAll(async () => {
  if (up && up.child.exitCode === null) {
    up.child.kill('SIGTERM');
    await up.exited;
  }
  await new Promise((resolve) => receiver?.close(resolve));
  await db?.close();
  dir.remove();
});

const health = async () => (await call<Health>('GET', '/health')).body;
const pipeline = async () => (await admin<PipelineStatus>('GET', '/admin/pipeline', { token })).body;
async function metrics() {
  const families = parsePrometheusText(await (await fetch(`${adminOrigin}/metrics`)).text());
  return (name: string, labels: Record<string, string>) =>
    families.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** A listing written straight to MySQL, as the marketplace would; returns its id. */
let listings: DirectListings | undefined;
const writer = () => (listings ??= directListings(db.pool, { email: 'supervised@example.com', name: 'Supervised Seller' }));
const addListing = (name: string) => writer().add(name);

const searchable = (word: string) => until(async () => (await call('GET', `/v1/search?q=${word}`)).body, (body) => body?.total === 1, 60_000);

/** The embedded search index's SQLite file, which the test opens beside the platform. */
function searchIndexFile(): string {
  const file = readdirSync(join(dir.path, 'search')).find((name) => name.endsWith('.sqlite'));
  if (!file) throw new Error('no search index file');
  return join(dir.path, 'search', file);
}

describe('a running platform under faults', () => {
  it('starts with every role ok', async () => {
    const body = await health();
    expect(body.status).toBe('ok');
    expect(Object.keys(body.checks).sort()).toEqual(['cdc', 'email', 'email-sender', 'listing-check-medians', 'listing-checks', 'marts', 'mysql', 'scheduler', 'search-alert-digests', 'search-alerts', 'search-indexer', 'spam-checks', 'warehouse-loader', 'webhook-dispatcher', 'webhooks']);
    await addListing('Velocipede warmup');
    await searchable('velocipede');
  });

  it("shows each thread's CPU in /metrics: the main thread, capture's, the search index's, the percolator's, Node's own and chDB's", async () => {
    const families = parsePrometheusText(await (await fetch(`${adminOrigin}/metrics`)).text());
    const threads = new Map(families.get('steveslist_thread_cpu_seconds_total')?.samples.map((s) => [s.labels.thread, s.value]));
    expect([...threads.keys()].sort()).toEqual(['cdc-reader-thread', 'main', 'native', 'percolator-thread', 'runtime', 'search-thread']);
    // Starting, loading the warehouse and indexing the warmup listing took time on each.
    expect(threads.get('main')).toBeGreaterThan(0.5);
    expect(threads.get('cdc-reader-thread')).toBeGreaterThan(0);
    expect(threads.get('search-thread')).toBeGreaterThan(0);
  });

  it('shows a sink that dead-letters on /health, /admin/pipeline and /metrics within seconds, logs a line per batch, and is ok again after the window', async () => {
    const index = new Database(searchIndexFile());
    try {
      index.exec("CREATE TRIGGER maintenance BEFORE INSERT ON docs BEGIN SELECT RAISE(ABORT, 'search index closed for maintenance'); END;");
      const started = Date.now();
      await addListing('Dandyhorse rejected');
      // Degraded from the failing batch on; the dead letter follows within the same second.
      const degraded = await until(health, (body) => body.degraded?.includes('search-indexer') && body.checks['search-indexer']!.dead_letters === 1, 30_000);
      const seconds = (Date.now() - started) / 1000;
      expect(seconds).toBeLessThan(10);
      expect(degraded).toMatchObject({ status: 'degraded' });
      expect(degraded.checks['search-indexer']).toMatchObject({ status: 'degraded', group: 'search-indexer', error: expect.stringContaining('search index closed for maintenance'), dead_letters: 1 });
      // The public server keeps serving while a role is degraded.
      expect((await call('GET', '/health')).status).toBe(200);
      expect((await call('GET', '/v1/search?q=velocipede')).body.total).toBe(1);

      const status = await pipeline();
      expect(status.roles.find((r) => r.role === 'search-indexer')).toMatchObject({ status: 'degraded', dead_letters: 1 });
      expect(status.dead_letters).toContainEqual({ topic: 'steveslist.dlq.search-indexer', group: 'search-indexer', count: 1 });
      const value = await metrics();
      expect(value('steveslist_role_up', { role: 'search-indexer' })).toBe(0);
      expect(value('steveslist_role_dead_lettered_total', { role: 'search-indexer', group: 'search-indexer' })).toBe(1);
      expect(value('steveslist_role_errors_total', { role: 'search-indexer' })).toBeGreaterThanOrEqual(1);
      expect(value('steveslist_dead_letters', { group: 'search-indexer' })).toBe(1);

      // One line for the failing batch, with the count and the first error, and no stack per message.
      const lines = up.output().split('\n').filter((line) => line.includes('"group":"search-indexer"'));
      const perBatch = lines.filter((line) => line.includes('messages dead-lettered'));
      expect(perBatch).toHaveLength(1);
      expect(JSON.parse(perBatch[0]!)).toMatchObject({ deadLettered: 1, error: expect.stringContaining('search index closed for maintenance') });
      expect(lines.filter((line) => line.includes('"stack"')).length).toBeLessThanOrEqual(1);
    } finally {
      index.exec('DROP TRIGGER IF EXISTS maintenance');
      index.close();
    }
    await addListing('Draisine accepted');
    await searchable('draisine');
    const recovered = await until(health, (body) => body.status === 'ok', (WINDOW_SECONDS + 10) * 1000);
    expect(recovered.checks['search-indexer']).toMatchObject({ status: 'ok', dead_letters: 1 });
  });

  it('shows the warehouse loader degraded while its target table is gone, and loads again once it is back', async () => {
    const served = readServedWarehouse(join(dir.path, 'warehouse'))!;
    const warehouse = createClient({ url: served.url, username: served.loader.user, password: served.loader.password });
    const rows = async (name: string) => (await (await warehouse.query({ query: `SELECT id FROM raw.listings FINAL WHERE name = {name:String} AND _is_deleted = 0`, query_params: { name }, format: 'JSONEachRow' })).json()).length;
    try {
      await until(() => rows('Draisine accepted'), (n) => n === 1, 30_000);
      const [{ statement }] = await (await warehouse.query({ query: 'SHOW CREATE TABLE raw.listings', format: 'JSONEachRow' })).json<{ statement: string }>() as [{ statement: string }];
      await warehouse.command({ query: 'DROP TABLE raw.listings' });
      await addListing('Tricycle while dropped');
      const degraded = await until(health, (body) => (body.checks['warehouse-loader']?.dead_letters ?? 0) >= 1, 30_000);
      expect(degraded.checks['warehouse-loader']).toMatchObject({ status: 'degraded', group: 'warehouse-loader', error: expect.stringMatching(/listings/) });
      const value = await metrics();
      expect(value('steveslist_role_dead_lettered_total', { role: 'warehouse-loader' })).toBeGreaterThanOrEqual(1);
      expect((await pipeline()).dead_letters.find((d) => d.group === 'warehouse-loader')?.count).toBeGreaterThanOrEqual(1);

      await warehouse.command({ query: statement });
      await addListing('Quadricycle after restore');
      await until(() => rows('Quadricycle after restore'), (n) => n === 1, 60_000);
      await until(health, (body) => body.checks['warehouse-loader']?.status === 'ok', (WINDOW_SECONDS + 10) * 1000);
    } finally {
      await warehouse.close();
    }
  });

  it('restarts change capture that fails, degraded meanwhile, and loses nothing written in between', async () => {
    // The reader saves its position beside this name and renames it in place: a folder there makes every save fail.
    const blocker = join(dir.path, 'cdc', 'reader-state.json.tmp');
    mkdirSync(blocker);
    try {
      await addListing('Boneshaker during outage');
      const degraded = await until(health, (body) => body.degraded?.includes('cdc'), 30_000);
      expect(degraded.checks.cdc).toMatchObject({ status: 'degraded', error: expect.stringMatching(/EISDIR|illegal operation on a directory/), since: expect.any(String) });
      await addListing('Highwheel during outage');
      // Still serving, and still restarting it with backoff.
      expect((await call('GET', '/v1/search?q=velocipede')).body.total).toBe(1);
      await until(health, (body) => (body.checks.cdc?.restarts ?? 0) >= 1, 30_000);
    } finally {
      rmSync(blocker, { recursive: true, force: true });
    }
    const recovered = await until(health, (body) => body.checks.cdc?.status === 'ok', 90_000);
    expect(recovered.checks.cdc!.restarts).toBeGreaterThanOrEqual(1);
    await searchable('boneshaker');
    await searchable('highwheel');
    expect(up.output().match(/"role":"cdc".*"stack"/g)?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it('shows the webhook enqueuer dead-lettering and the dispatcher failing while their table refuses rows, and delivers what waited', async () => {
    await addListing('Webhook seller warmup');
    const sellerId = await writer().seller();
    const port = (receiver.address() as { port: number }).port;
    await db.pool.query('INSERT INTO webhook_endpoints (user_id, url, event_types, secret) VALUES (?, ?, ?, ?)', [sellerId, `http://127.0.0.1:${port}/hook`, '[]', generateWebhookSecret()]);
    const listing = { sellerId, description: 'x', category: 'bikes', country: 'US', city: 'Austin', priceAmount: 1000, priceCurrency: 'usd' };

    await db.pool.query(`CREATE TRIGGER no_deliveries BEFORE INSERT ON webhook_deliveries FOR EACH ROW
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'webhook_deliveries refuses new rows'`);
    try {
      await createListing(db.pool, { ...listing, name: 'Unicycle never announced' });
      const degraded = await until(health, (body) => (body.checks.webhooks?.dead_letters ?? 0) >= 1, 30_000);
      expect(degraded.checks.webhooks).toMatchObject({ status: 'degraded', group: 'webhooks', error: 'webhook_deliveries refuses new rows' });
    } finally {
      await db.pool.query('DROP TRIGGER IF EXISTS no_deliveries');
    }

    await db.pool.query(`CREATE TRIGGER no_sending_hooks BEFORE UPDATE ON webhook_deliveries FOR EACH ROW
      BEGIN IF NEW.status = 'sending' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'webhook_deliveries is frozen for maintenance'; END IF; END`);
    try {
      await createListing(db.pool, { ...listing, name: 'Tandem announced late' });
      const degraded = await until(health, (body) => body.degraded?.includes('webhook-dispatcher'), 30_000);
      expect(degraded.checks['webhook-dispatcher']).toMatchObject({ status: 'degraded', error: 'webhook_deliveries is frozen for maintenance' });
      expect(received).toEqual([]);
    } finally {
      await db.pool.query('DROP TRIGGER IF EXISTS no_sending_hooks');
    }
    await until(async () => received.length, (n) => n === 1, 90_000);
    expect(received).toEqual(['/hook']);
    const recovered = await until(health, (body) => body.checks['webhook-dispatcher']?.status === 'ok' && body.checks.webhooks?.status === 'ok', (WINDOW_SECONDS + 60) * 1000);
    expect(recovered.checks.webhooks!.dead_letters).toBe(1);
  });

  it('shows the email enqueuer dead-lettering while its table refuses rows', async () => {
    await db.pool.query(`CREATE TRIGGER no_emails BEFORE INSERT ON email_messages FOR EACH ROW
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'email_messages refuses new rows'`);
    try {
      expect((await call('POST', '/v1/users', { body: { email: 'unwelcome@example.com', password: 'correct horse battery', name: 'Unwelcome' } })).status).toBe(201);
      const degraded = await until(health, (body) => (body.checks.email?.dead_letters ?? 0) >= 1, 30_000);
      expect(degraded.checks.email).toMatchObject({ status: 'degraded', group: 'email', error: 'email_messages refuses new rows' });
    } finally {
      await db.pool.query('DROP TRIGGER IF EXISTS no_emails');
    }
    await until(health, (body) => body.checks.email?.status === 'ok', (WINDOW_SECONDS + 10) * 1000);
  });

  it('backs off a sender whose table refuses its claims, and sends what waited once it recovers', async () => {
    await db.pool.query(`CREATE TRIGGER no_sending BEFORE UPDATE ON email_messages FOR EACH ROW
      BEGIN IF NEW.status = 'rendering' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'email_messages is frozen for maintenance'; END IF; END`);
    let signedUp: number;
    try {
      const response = await call('POST', '/v1/users', { body: { email: 'waits@example.com', password: 'correct horse battery', name: 'Waits' } });
      expect(response.status).toBe(201);
      signedUp = Number(response.body.user?.id ?? response.body.id);
      const degraded = await until(health, (body) => body.degraded?.includes('email-sender'), 30_000);
      expect(degraded.checks['email-sender']).toMatchObject({ status: 'degraded', error: 'email_messages is frozen for maintenance' });
    } finally {
      await db.pool.query('DROP TRIGGER IF EXISTS no_sending');
    }
    await until(health, (body) => body.checks['email-sender']?.status === 'ok', 90_000);
    const sent = await until(async () => (await db.pool.query<RowDataPacket[]>("SELECT status FROM email_messages WHERE to_address = 'waits@example.com'"))[0], (rows) => rows[0]?.status === 'sent', 60_000);
    expect(sent).toEqual([{ status: 'sent' }]);
    expect(signedUp).toBeGreaterThan(0);
  });

  it('backs off the scheduler while its ledger table is gone, and it runs again once the table is back', async () => {
    await db.pool.query('RENAME TABLE job_runs TO job_runs_aside');
    try {
      const degraded = await until(health, (body) => body.degraded?.includes('scheduler'), 30_000);
      expect(degraded.checks.scheduler).toMatchObject({ status: 'degraded', error: expect.stringContaining('job_runs'), code: 'ER_NO_SUCH_TABLE' });
      expect((await call('GET', '/v1/search?q=velocipede')).body.total).toBe(1);
    } finally {
      await db.pool.query('RENAME TABLE job_runs_aside TO job_runs');
    }
    await until(health, (body) => body.checks.scheduler?.status === 'ok', 90_000);
  });

  it('is still the same process, and stops cleanly', async () => {
    expect(up.child.exitCode).toBeNull();
    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
  });
});

describe('a fault no restart can fix', () => {
  it('stops the platform with one line naming the setting', async () => {
    // A saved position on a binlog the source does not have, as after a purge.
    const data = join(dir.path, 'purged');
    mkdirSync(join(data, 'cdc'), { recursive: true });
    writeFileSync(join(data, 'cdc', 'reader-state.json'), JSON.stringify({
      sourceServerId: 4_000_000_000, file: 'binlog.999999', pos: 4, gtid: null, clock: '1', updatedAt: new Date().toISOString(),
    }));
    const result = await runCli(['up'], {
      MYSQL_URL: db.url, DATA_DIR: data, PORT: String(await freePort()), ADMIN_PORT: String(await freePort()), WAREHOUSE_HTTP_PORT: String(await freePort()),
      CDC_SERVER_ID: String(90_000 + Math.floor(Math.random() * 10_000)), CDC_ON_MISSING_BINLOG: 'fail',
    });
    expect(result.code).toBe(1);
    const lines = result.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^steveslist: CDC: the saved position binlog\.999999:4 .*Set CDC_ON_MISSING_BINLOG=resnapshot/);
  });
});
