// The platform's roles as separate processes, as the scale-out deployment runs them: the public
// API alone; on Kafka, change capture, the search worker and the API as three processes that
// together make a new listing searchable; and two search workers sharing one consumer group, one
// of them killed with -9, with nothing missing from the index afterwards.
import { join } from 'node:path';
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  db = await createTestDatabase('roles');
});
afterAll(async () => {
  for (const cli of running) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  await db?.close();
  dir.remove();
});

async function stop(cli: RunningCli): Promise<number | null> {
  cli.child.kill('SIGTERM');
  return cli.exited;
}

describe('role commands', () => {
  it('serves the public API alone, and stops on SIGTERM', async () => {
    const port = await freePort();
    const api = startCli(['serve', 'api'], { MYSQL_URL: db.url, PORT: String(port), DATA_DIR: join(dir.path, 'api'), LOG_LEVEL: 'info' });
    running.push(api);
    await api.waitFor(/serving; Ctrl-C stops it/);
    const call = httpClient(`http://127.0.0.1:${port}`);
    expect((await call('GET', '/health')).status).toBe(200);
    const signedUp = await call('POST', '/v1/users', { body: { email: 'role@example.com', password: 'correct horse battery', name: 'Role' } });
    expect(signedUp.status).toBe(201);
    expect(await stop(api)).toBe(0);
  });

  it('names the roles when given another', async () => {
    expect(await runCli(['worker', 'mailer'])).toMatchObject({ code: 2, stderr: 'steveslist: usage: steveslist worker <search|warehouse|webhooks|email|search-alerts|listing-checks|spam-checks|sms>\n' });
    expect(await runCli(['serve', 'everything'])).toMatchObject({ code: 2, stderr: 'steveslist: usage: steveslist serve <api|admin>\n' });
  });

  const kafka = process.env.KAFKA_BROKERS;
  if (!kafka) console.log('roles: the three-process test needs Kafka; run `npm run engines:start` and set KAFKA_BROKERS=127.0.0.1:19092 to include it');
  it.skipIf(!kafka)('makes a listing searchable with change capture, the search worker and the API as three processes on Kafka', async () => {
    const port = await freePort();
    const env = {
      MYSQL_URL: db.url, KAFKA_BROKERS: kafka, TOPIC_PREFIX: `roles${Date.now()}`, DATA_DIR: join(dir.path, 'scaled'), PORT: String(port), LOG_LEVEL: 'info',
      CDC_SERVER_ID: String(60_000 + Math.floor(Math.random() * 10_000)),
    };
    const cdc = startCli(['cdc'], env);
    const worker = startCli(['worker', 'search'], env);
    const api = startCli(['serve', 'api'], env);
    running.push(cdc, worker, api);
    await Promise.all([worker.waitFor(/worker running/), api.waitFor(/serving; Ctrl-C stops it/)]);
    const call = httpClient(`http://127.0.0.1:${port}`);
    const seller = await call('POST', '/v1/users', { body: { email: 'scaled@example.com', password: 'correct horse battery', name: 'Scaled Seller' } });
    const listing = await call('POST', '/v1/listings', {
      token: seller.body.session.token,
      body: { name: 'Tandem bicycle for three', description: 'Rides well', category: 'bikes', country: 'US', city: 'Austin', price_amount: 45_000, price_currency: 'usd' },
    });
    expect(listing.status).toBe(201);
    const found = await until(async () => (await call('GET', '/v1/search?q=tandem')).body, (body) => body?.total === 1, 60_000);
    expect(found.hits[0]).toMatchObject({ id: listing.body.id, name: 'Tandem bicycle for three' });
    for (const cli of [api, worker, cdc]) expect(await stop(cli)).toBe(0);
  });

  const elasticsearch = process.env.ELASTICSEARCH_URL;
  if (kafka && !elasticsearch) console.log('roles: the two-worker failover test needs Elasticsearch too (shared by both workers); set ELASTICSEARCH_URL');
  it.skipIf(!kafka || !elasticsearch)('shares the search group between two workers, and one takes over all partitions when the other is killed with -9', async () => {
    const alias = `roles-${Date.now()}`;
    // Consumer groups are named after the topic prefix in Kafka: `<prefix>.search-indexer`.
    const failoverPrefix = `failover${Date.now()}`;
    const env = {
      MYSQL_URL: db.url, KAFKA_BROKERS: kafka, ELASTICSEARCH_URL: elasticsearch, SEARCH_INDEX: alias, TOPIC_PREFIX: failoverPrefix,
      DATA_DIR: join(dir.path, 'failover'), LOG_LEVEL: 'info', CDC_SERVER_ID: String(70_000 + Math.floor(Math.random() * 10_000)),
    };
    const [seller] = await db.pool.query<{ insertId: number } & RowDataPacket[]>(
      "INSERT INTO users (email, name) VALUES ('failover@example.com', 'Failover Seller')",
    );
    const cdc = startCli(['cdc'], env);
    const workers = [startCli(['worker', 'search'], env), startCli(['worker', 'search'], env)];
    running.push(cdc, ...workers);
    await Promise.all(workers.map((worker) => worker.waitFor(/worker running/)));
    const count = async () => {
      const response = await fetch(`${elasticsearch}/${alias}/_count`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { prefix: { name: 'failover' } } }) }).catch(() => undefined);
      return response?.ok ? ((await response.json()) as { count: number }).count : -1;
    };
    const insert = async (from: number, to: number) => {
      for (let i = from; i < to; i += 10) {
        const rows = Array.from({ length: 10 }, (_, j) => [seller.insertId, `failover listing ${i + j}`, 'x', 'bikes', 'US', 'Austin', 100 + i + j, 'usd', 'active']);
        await db.pool.query('INSERT INTO listings (seller_id, name, description, category, country, city, price_amount, price_currency, status) VALUES ?', [rows]);
      }
    };
    await insert(0, 150);
    expect(await until(count, (n) => n === 150, 60_000)).toBe(150);
    // Both workers hold partitions of the listings topic: the group really is shared.
    const admin = new Kafka({ clientId: 'roles-test', brokers: kafka!.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const members = await until(async () => (await admin.describeGroups([`${failoverPrefix}.search-indexer`])).groups[0]!.members, (list) => list.length === 2, 30_000);
      const partitions = members.map((member) => Object.values(AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment ?? {}).flat().length);
      expect(partitions.every((n) => n > 0)).toBe(true);
    } finally {
      await admin.disconnect();
    }
    workers[0]!.child.kill('SIGKILL');
    await insert(150, 300);
    // The survivor gets the dead worker's partitions once its session times out, and catches up.
    expect(await until(count, (n) => n === 300, 120_000)).toBe(300);
    for (const cli of [workers[1]!, cdc]) expect(await stop(cli)).toBe(0);
  });
});
