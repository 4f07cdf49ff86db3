// The listing-checks role as `up` and `steveslist worker listing-checks` start it: the price
// medians come from the warehouse client `up` hands it, from CLICKHOUSE_URL's server when set (here
// the warehouse this process serves over HTTP, on disk with chDB), else from MySQL; an unreachable
// server leaves MySQL answering. Each says so in the worker's log.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/index.js';
import { createListing } from '../../marketplace/domain/listings.js';
import { createUser } from '../../marketplace/domain/users.js';
import { capturedLog } from '../../test/fixtures/captured-log.js';
import { startTestReader, type TestReader } from '../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { until } from '../../test/fixtures/eventually.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { confineAnalystQuery } from '../../warehouse/analyst-guard.js';
import { backfill } from '../../warehouse/backfill.js';
import { createWarehouseClient, type ClickHouseClient } from '../../warehouse/client.js';
import { serveWarehouse } from '../../warehouse/http/serve.js';
import { readServedWarehouse } from '../../warehouse/http/served-warehouse.js';
import type { WarehouseHttpServer } from '../../warehouse/http/http-interface.js';
import { ensureMarts, MARTS } from '../../warehouse/marts.js';
import { closeAll, type RoleContext } from './role-context.js';
import { Supervisor } from './supervisor.js';
import { startListingChecksWorker } from './workers.js';

const dir = tempDir();
const warehouseDir = join(dir.path, 'warehouse');
let db: TestDatabase;
let cdc: TestReader;
let client: ClickHouseClient;
let served: WarehouseHttpServer;

const context = (env: Record<string, string>) => {
  const logs = capturedLog('info');
  const config = loadConfig({ TOPIC_PREFIX: 'sl', WAREHOUSE_DIR: warehouseDir, WAREHOUSE_HTTP_PORT: '0', ...env }, { cwd: dir.path, dotEnv: false });
  const supervisor = new Supervisor(logs.log, { deadLetterWindowMs: 60_000 });
  const ctx = { config, log: logs.log, db: { pool: db.pool } as unknown as RoleContext['db'], bus: cdc.bus, closers: [() => Promise.resolve(supervisor.shutdown())], supervisor } as RoleContext;
  /** The medians' status as /health and /admin/pipeline show it. */
  const status = () => supervisor.list().find((r) => r.role === 'listing-check-medians');
  const sources = () => logs.text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => typeof l.msg === 'string' && l.msg.startsWith('price medians')).map(({ msg, source, groups, reason }) => ({ msg, source, groups, reason }));
  return { ctx, logs, sources, status };
};

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  db = await createTestDatabase('checksrole');
  cdc = await startTestReader(db.url, join(dir.path, 'cdc'));
  const seller = await createUser(db.pool, { email: 'role-seller@example.com', name: 'Sam', passwordHash: 'x' });
  for (const [category, price] of [['bikes', 10_000], ['bikes', 20_000], ['lamps', 3_000]] as const) {
    await createListing(db.pool, { sellerId: seller.id, name: `${category} ${price}`, description: 'x', category, country: 'DE', city: 'Berlin', priceAmount: price, priceCurrency: 'eur' });
  }
  client = createWarehouseClient({ path: warehouseDir });
  await backfill({ url: db.url, pool: db.pool, database: db.name, client, tables: ['listings'], progress: () => ({ update() {}, finish() {} }) });
  expect(await ensureMarts(client, { marts: { listing_price_medians: MARTS.listing_price_medians! } })).toEqual([]);
  // What `up` serves to the other processes on this machine.
  served = await serveWarehouse(context({}).ctx.config, confineAnalystQuery, capturedLog('info').log);
});
afterAll(async () => {
  await served?.close();
  await client?.close();
  await cdc?.stop();
  await db?.close();
  dir.remove();
});

describe('the listing-checks role', () => {
  it('in up, reads the medians through the warehouse client of the process', async () => {
    const { ctx, sources, status } = context({});
    await startListingChecksWorker(ctx, client);
    try {
      // It reads the medians after `up` has gone on (a big table's take seconds).
      await until(async () => sources().length, (n) => n > 0);
      expect(sources()).toEqual([{ msg: 'price medians from the warehouse', source: 'warehouse', groups: 2, reason: undefined }]);
      expect(status()).toMatchObject({ status: 'ok', detail: 'medians from the warehouse' });
    } finally {
      await closeAll(ctx.closers, ctx.log);
    }
  });

  it('alone, reads them from CLICKHOUSE_URL\'s server, without logging its password', async () => {
    const { url, loader } = readServedWarehouse(warehouseDir)!;
    const { ctx, logs, sources } = context({ CLICKHOUSE_URL: url, CLICKHOUSE_USER: loader.user, CLICKHOUSE_PASSWORD: loader.password });
    await startListingChecksWorker(ctx);
    try {
      await until(async () => sources().length, (n) => n > 0);
      expect(sources()).toEqual([{ msg: 'price medians from the warehouse', source: 'warehouse', groups: 2, reason: undefined }]);
    } finally {
      await closeAll(ctx.closers, ctx.log);
    }
    expect(logs.text()).not.toContain(loader.password);
  });

  it('alone without a warehouse, computes them from MySQL; with an unreachable one, from MySQL too, saying why', async () => {
    const alone = context({});
    await startListingChecksWorker(alone.ctx);
    try {
      await until(async () => alone.sources().length, (n) => n > 0);
      expect(alone.sources()).toEqual([{ msg: 'price medians from MySQL', source: 'mysql', groups: 2, reason: undefined }]);
      expect(alone.status()).toMatchObject({ status: 'ok', detail: "medians from MySQL's newest 200000 listings" });
    } finally {
      await closeAll(alone.ctx.closers, alone.ctx.log);
    }
    const unreachable = context({ CLICKHOUSE_URL: `http://127.0.0.1:${await closedPort()}` });
    await startListingChecksWorker(unreachable.ctx);
    try {
      await until(async () => unreachable.sources().length, (n) => n > 0, 30_000);
      expect(unreachable.sources()).toEqual([{ msg: 'price medians from MySQL', source: 'mysql', groups: 2, reason: expect.stringContaining('the warehouse did not answer: ') }]);
      // A fallback is no failure: the role stays ok, and says where its medians come from and why.
      expect(unreachable.status()).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^medians from MySQL's newest 200000 listings: the warehouse did not answer: /) });
    } finally {
      await closeAll(unreachable.ctx.closers, unreachable.ctx.log);
    }
  });
});
