// GET /admin/pipeline and GET /metrics against a real change-capture reader on a real MariaDB,
// an embedded bus with a consumer group behind and a dead-letter topic, over real HTTP.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { addAdminUser } from '../../marketplace/auth/admin-accounts.js';
import { createListing } from '../../marketplace/domain/listings.js';
import { createUser } from '../../marketplace/domain/users.js';
import type { Bus } from '../../pipelines/bus/port.js';
import { FileStateStore } from '../../pipelines/cdc/reader-state.js';
import { toDeadLetter } from '../../pipelines/consumers/dead-letter.js';
import type { PipelineStatus } from '../../pipelines/status/pipeline-status.js';
import { caughtUp, startTestReader, type TestReader } from '../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { until } from '../../test/fixtures/eventually.js';
import { httpClient } from '../../test/fixtures/http-client.js';
import { parsePrometheusText } from '../../test/fixtures/prometheus-text.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { buildAdminServer } from './server.js';

const PASSWORD = 'correct horse battery staple';
const GROUP = 'things-indexer';
const TOPIC = 'sl.test.things';
const dir = tempDir();
let db: TestDatabase;
let cdc: TestReader;
let bus: Bus;
let app: FastifyInstance;
let call: ReturnType<typeof httpClient>;
let token: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await addAdminUser(db.pool, 'ops', PASSWORD);
  cdc = await startTestReader(db.url, dir.path);
  bus = cdc.bus;
  app = await buildAdminServer({ pool: db.pool, log: silentLogger(), pipeline: { bus, cdc: cdc.reader, topicPrefix: 'sl', groups: [GROUP] } });
  call = httpClient(await app.listen({ host: '127.0.0.1', port: 0 }));
  token = (await call('POST', '/admin/session', { body: { username: 'ops', password: PASSWORD } })).body.token;
});
afterAll(async () => {
  await app?.close();
  await cdc?.stop();
  await db?.close();
  dir.remove();
});

const seller = () => createUser(db.pool, { email: `s${Date.now()}${Math.random()}@example.com`, name: 'S', passwordHash: 'scrypt$test' });
const listing = (sellerId: number) => ({ sellerId, name: 'Lamp', description: 'Bright.', category: 'home', country: 'DE', city: 'Köln', priceAmount: 1500, priceCurrency: 'eur' });

async function status(): Promise<PipelineStatus> {
  const response = await call<PipelineStatus>('GET', '/admin/pipeline', { token });
  expect(response.status).toBe(200);
  return response.body;
}

/** A group that handled 3 messages and then stopped: the next 4 are its lag. */
async function groupBehindByFour(): Promise<void> {
  await bus.publish(TOPIC, [1, 2, 3].map((n) => ({ key: `k${n}`, value: `v${n}` })));
  const subscription = await bus.subscribe({ group: GROUP, topics: [TOPIC] }, async () => undefined);
  await until(() => bus.lag(GROUP), (lag) => lag.length > 0 && lag.every((p) => p.lag === 0));
  await subscription.stop();
  await bus.publish(TOPIC, [4, 5, 6, 7].map((n) => ({ key: `k${n}`, value: `v${n}` })));
}

async function deadLetters(n: number): Promise<void> {
  const letters = Array.from({ length: n }, (_, i) => toDeadLetter(
    { topic: TOPIC, partition: 0, offset: i, key: `k${i}`, value: Buffer.from('not json'), headers: {}, timestampMs: Date.now() },
    GROUP, new Error('poison'), 1));
  await bus.publish(`sl.dlq.${GROUP}`, letters);
}

describe('GET /admin/pipeline', () => {
  it('needs an admin session', async () => {
    expect((await call('GET', '/admin/pipeline')).status).toBe(401);
  });

  it('reports the running reader streaming, its position and, once it has everything, no lag', async () => {
    const { id } = await seller();
    await createListing(db.pool, listing(id));
    await caughtUp(db.url, cdc.reader);
    const body = await until(status, (s) => s.cdc?.lag.caught_up === true);
    expect(body.bus).toBe('embedded');
    expect(body.cdc).toMatchObject({
      running_here: true, phase: 'streaming',
      position: { file: expect.any(String), pos: expect.any(Number), gtid: expect.stringMatching(/^\d+-\d+-\d+/) },
      source_position: { file: expect.any(String), pos: expect.any(Number) },
      lag: { transactions: 0, caught_up: true, seconds: 0 },
    });
    expect(body.cdc!.changes_published).toBeGreaterThan(0);
    expect(body.cdc!.last_commit_at).toMatch(/Z$/);
    expect(body.cdc!.lag.bytes).toBeGreaterThanOrEqual(0);
  });

  it('reports each consumer group lag by partition and the dead letters per group', async () => {
    await groupBehindByFour();
    await deadLetters(2);
    const body = await status();
    const group = body.consumer_groups.find((g) => g.group === GROUP)!;
    expect(group.lag).toBe(4);
    expect(group.partitions.every((p) => p.topic === TOPIC && p.lag === p.high_watermark - p.committed)).toBe(true);
    expect(group.partitions.reduce((sum, p) => sum + p.high_watermark, 0)).toBe(7);
    expect(body.dead_letters).toEqual([{ topic: `sl.dlq.${GROUP}`, group: GROUP, count: 2 }]);

    // Counted incrementally: only the new letters are read, and the total stays right.
    await deadLetters(3);
    expect((await status()).dead_letters).toEqual([{ topic: `sl.dlq.${GROUP}`, group: GROUP, count: 5 }]);
  });
});

describe('GET /metrics', () => {
  it('answers a loopback scraper without a session, in Prometheus text a scraper accepts', async () => {
    const response = await fetch(`${app.listeningOrigin}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    const families = parsePrometheusText(text);

    for (const family of families.values()) {
      expect(family.help).toBeTruthy();
      expect(['counter', 'gauge']).toContain(family.type);
    }
    const value = (name: string, labels: Record<string, string> = {}) =>
      families.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(value('steveslist_cdc_phase', { phase: 'streaming' })).toBe(1);
    expect(value('steveslist_cdc_phase', { phase: 'failed' })).toBe(0);
    expect(families.get('steveslist_cdc_changes_published_total')!.type).toBe('counter');
    expect(value('steveslist_cdc_changes_published_total')).toBeGreaterThan(0);
    expect(value('steveslist_cdc_source_up')).toBe(1);
    expect(value('steveslist_cdc_lag_bytes')).toBeGreaterThanOrEqual(0);
    expect(value('steveslist_consumer_group_lag_messages', { group: GROUP, topic: TOPIC })).toBe(4);
    expect(value('steveslist_dead_letters', { group: GROUP, topic: `sl.dlq.${GROUP}` })).toBe(5);
    // Declared even before any transaction was rolled back, so a dashboard's query finds it.
    expect(families.get('steveslist_mysql_transaction_rollbacks_total')?.type).toBe('counter');
    expect(value('steveslist_mysql_transaction_rollbacks_total', { code: 'ER_LOCK_DEADLOCK', outcome: 'gave_up' })).toBeGreaterThanOrEqual(0);
  });

  it('wants a session from anyone not on loopback', async () => {
    const remote = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9' });
    expect(remote.statusCode).toBe(401);
    const withSession = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9', headers: { authorization: `Bearer ${token}` } });
    expect(withSession.statusCode).toBe(200);
    expect(() => parsePrometheusText(withSession.body)).not.toThrow();
  });
});

describe('change capture behind its source', () => {
  it('shows the lag of a stopped reader growing with every write it has not read', async () => {
    await cdc.reader.stop();
    const { id } = await seller();
    await createListing(db.pool, listing(id));
    const body = await status();
    expect(body.cdc).toMatchObject({ phase: 'stopped', lag: { caught_up: false } });
    expect(body.cdc!.lag.transactions).toBeGreaterThanOrEqual(2);
    expect(body.cdc!.lag.bytes).toBeGreaterThan(0);
    expect(body.cdc!.lag.seconds).toBeGreaterThanOrEqual(0);
  });

  it('reads the saved position of a reader that runs in another process', async () => {
    const elsewhere = await buildAdminServer({
      pool: db.pool, log: silentLogger(), pipeline: { bus, cdcState: new FileStateStore(join(dir.path, 'cdc')), topicPrefix: 'sl', groups: [] },
    });
    try {
      const response = await elsewhere.inject({ method: 'GET', url: '/admin/pipeline', headers: { authorization: `Bearer ${token}` } });
      const body = response.json<PipelineStatus>();
      expect(body.cdc).toMatchObject({ running_here: false, phase: null, position: { file: expect.any(String), pos: expect.any(Number) }, lag: { caught_up: false } });
      expect(body.cdc!.lag.transactions).toBeGreaterThanOrEqual(2);
      expect(body.consumer_groups).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });
});
