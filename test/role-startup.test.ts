// The role commands on one machine, without Kafka: change capture, the search worker and the API
// as separate processes over the embedded bus and index; and how a role starts beside servers
// that are not up yet (it waits, for a while) or never answer (one line naming the setting).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeatPath } from '../bin/commands/worker.js';
import { freePort } from '../core/ports.js';
import type { RowDataPacket } from '../marketplace/mysql/connection.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import { until } from './fixtures/eventually.js';
import { httpClient } from './fixtures/http-client.js';
import { runCli, startCli, type RunningCli } from './fixtures/run-cli.js';
import { tempDir } from './fixtures/temp-dir.js';

const dir = tempDir();
let db: TestDatabase;
const running: RunningCli[] = [];

beforeAll(async () => {
  db = await createTestDatabase('startup');
});
afterAll(async () => {
  for (const cli of running) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  await db?.close();
  dir.remove();
});

function start(args: string[], env: Record<string, string>): RunningCli {
  const cli = startCli(args, { LOG_LEVEL: 'info', ...env });
  running.push(cli);
  return cli;
}

async function stop(cli: RunningCli): Promise<number | null> {
  cli.child.kill('SIGTERM');
  return cli.exited;
}

describe('role commands on one machine', () => {
  it('indexes with the search worker what change capture put on the embedded bus, and the API finds it', async () => {
    const env = { MYSQL_URL: db.url, DATA_DIR: join(dir.path, 'one-machine'), CDC_SERVER_ID: String(80_000 + Math.floor(Math.random() * 10_000)) };
    const [seller] = await db.pool.query<{ insertId: number } & RowDataPacket[]>("INSERT INTO users (email, name) VALUES ('roles@example.com', 'Role Seller')");
    await db.pool.query(
      "INSERT INTO listings (seller_id, name, description, category, country, city, price_amount, price_currency, status) VALUES (?, 'Penny-farthing, restored', 'x', 'bikes', 'US', 'Austin', 90000, 'usd', 'active')",
      [seller.insertId],
    );
    // The embedded bus belongs to one process at a time: change capture fills it, then hands it over.
    const cdc = start(['cdc'], env);
    await cdc.waitFor(/snapshot finished/);
    expect(await stop(cdc)).toBe(0);

    const worker = start(['worker', 'search'], env);
    const port = await freePort();
    const api = start(['serve', 'api'], { ...env, PORT: String(port) });
    await Promise.all([worker.waitFor(/worker running/), api.waitFor(/serving; Ctrl-C stops it/)]);
    const call = httpClient(`http://127.0.0.1:${port}`);
    const found = await until(async () => (await call('GET', '/v1/search?q=penny')).body, (body) => body?.total === 1, 60_000);
    expect(found.hits[0]).toMatchObject({ name: 'Penny-farthing, restored' });
    // The heartbeat a container health check reads: written before the worker says it runs.
    const heartbeat = heartbeatPath(env.DATA_DIR, 'search');
    expect(JSON.parse(readFileSync(heartbeat, 'utf8'))).toMatchObject({
      role: 'search', group: 'search-indexer', lag: expect.any(Number), pid: worker.child.pid,
      roles: [{ role: 'search-indexer', group: 'search-indexer', status: 'ok', failures: 0, dead_letters: 0 }],
    });

    // A second consumer role cannot share the embedded bus: it says which setting shares one.
    const webhooks = await runCli(['worker', 'webhooks'], env);
    expect(webhooks.code).toBe(1);
    expect(webhooks.stderr).toMatch(/^steveslist: BUS_DIR: .* is in use by process \d+; .*set KAFKA_BROKERS to share a bus between processes.*\n$/);

    expect(await stop(worker)).toBe(0);
    expect(existsSync(heartbeat)).toBe(false);
    expect(await stop(api)).toBe(0);
  });
});

describe('role start-up against servers that are not there', () => {
  it('waits for a server that comes up late, then runs', async () => {
    const port = await freePort();
    const email = start(['worker', 'email'], { MYSQL_URL: db.url, DATA_DIR: join(dir.path, 'late'), SMTP_URL: `smtp://127.0.0.1:${port}`, STARTUP_WAIT_SECONDS: '120' });
    await email.waitFor(/waiting for a server to answer/);
    const relay = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'] });
    await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
    try {
      await email.waitFor(/worker running/, 120_000);
      expect(email.output()).toContain(`SMTP_URL: cannot reach the relay at smtp://127.0.0.1:${port}`);
      expect(await stop(email)).toBe(0);
    } finally {
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });

  it.each([
    ['serve', 'api', 'ELASTICSEARCH_URL', (port: number) => `http://elastic:hunter2@127.0.0.1:${port}`, /^ELASTICSEARCH_URL: cannot reach Elasticsearch at http:\/\/elastic:\*\*\*@127\.0\.0\.1:\d+\/: /],
    ['worker', 'warehouse', 'CLICKHOUSE_URL', (port: number) => `http://127.0.0.1:${port}`, /^CLICKHOUSE_URL: cannot reach ClickHouse at http:\/\/127\.0\.0\.1:\d+\/: /],
    ['worker', 'email', 'SMTP_URL', (port: number) => `smtp://mailer:hunter2@127.0.0.1:${port}`, /^SMTP_URL: cannot reach the relay at smtp:\/\/mailer:\*\*\*@127\.0\.0\.1:\d+: /],
    ['worker', 'search', 'MYSQL_URL', (port: number) => `mysql://steveslist:hunter2@127.0.0.1:${port}/steveslist`, /^MYSQL_URL: nothing accepts connections at mysql:\/\/steveslist:\*\*\*@127\.0\.0\.1:\d+\/steveslist /],
  ])('%s %s refuses to start in one line naming %s when its server never answers', async (command, role, setting, url, expected) => {
    const port = await freePort();
    const result = await runCli([command, role], { MYSQL_URL: db.url, DATA_DIR: join(dir.path, `${role}-down`), STARTUP_WAIT_SECONDS: '2', [setting]: url(port) });
    expect(result.code).toBe(1);
    const lines = result.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.replace(/^steveslist: /, '')).toMatch(expected);
    expect(lines[0]).toMatch(/\(gave up after 2 s; STARTUP_WAIT_SECONDS sets the wait\)$/);
    expect(result.stdout + result.stderr).not.toContain('hunter2');
  });

  it('names the setting a role is missing', async () => {
    const result = await runCli(['worker', 'search'], { MYSQL_URL: db.url, DATA_DIR: join(dir.path, 'missing'), ELASTICSEARCH_URL: 'http://127.0.0.1:9200', ELASTICSEARCH_USERNAME: 'elastic' });
    expect(result).toMatchObject({ code: 2, stderr: 'steveslist: ELASTICSEARCH_USERNAME: needs ELASTICSEARCH_PASSWORD too\n' });
  });
});
