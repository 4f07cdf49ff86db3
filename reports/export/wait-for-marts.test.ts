// A dashboard build started with the warehouse (the scheduler catching up at start) waits for the
// marts instead of failing on a table that is not there yet, and says what it waits for.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceUnavailable } from '../../core/errors.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { createWarehouseClient, type ClickHouseClient } from '../../warehouse/client.js';
import { ensureMarts, MARTS } from '../../warehouse/marts.js';
import { ensureRawDatabase, readSourceTable, syncTable } from '../../warehouse/raw-schema.js';
import { DASHBOARD_QUERIES } from './export-marts.js';
import { martsRead, waitForMarts } from './wait-for-marts.js';

const dir = tempDir();
let db: TestDatabase;
let client: ClickHouseClient;

beforeAll(async () => {
  db = await createTestDatabase('wait_for_marts');
  client = createWarehouseClient({ path: join(dir.path, 'warehouse') });
  await ensureRawDatabase(client);
  // The raw tables the marts read, as the loader makes them.
  for (const table of new Set(Object.values(MARTS).flatMap((mart) => mart.sources))) await syncTable(client, (await readSourceTable(db.pool, db.name, table))!);
}, 120_000);
afterAll(async () => {
  await client?.close();
  await db?.close();
  dir.remove();
});

describe('a dashboard build waiting for the marts', () => {
  it('knows which marts the pages read, all of them real marts', () => {
    const read = martsRead(DASHBOARD_QUERIES);
    expect(read).toContain('orders_daily');
    expect(read.filter((mart) => !(mart in MARTS))).toEqual([]);
  });

  it('gives up after its time with an error naming the missing marts, worth trying again', async () => {
    const waited: string[][] = [];
    const error = await waitForMarts(client, ['orders_daily', 'funnel_cohorts'], { timeoutMs: 300, pollMs: 50, waiting: (missing) => waited.push(missing) })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailable);
    expect((error as ServiceUnavailable).retriable).toBe(true);
    expect((error as Error).message).toMatch(/marts funnel_cohorts, orders_daily|marts orders_daily, funnel_cohorts/);
    expect(waited).toEqual([['orders_daily', 'funnel_cohorts']]);
  });

  it('goes on once the warehouse has computed them', async () => {
    const waiting = waitForMarts(client, martsRead(DASHBOARD_QUERIES), { timeoutMs: 60_000, pollMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await ensureMarts(client)).toEqual([]);
    expect([...(await waiting).keys()]).toEqual(expect.arrayContaining(martsRead(DASHBOARD_QUERIES)));
  }, 90_000);
});
