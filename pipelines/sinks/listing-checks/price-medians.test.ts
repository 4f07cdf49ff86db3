// Where the price rule's medians come from: the warehouse's mart (a real chDB warehouse on disk,
// filled from MariaDB by the backfill) when it answers, MySQL's newest listings when the mart is
// not there, still empty, or the warehouse fails; one log line per change of source.
// chDB allows one data folder per process: this file uses one.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../../../marketplace/auth/user-accounts.js';
import { createListing, type NewListing } from '../../../marketplace/domain/listings.js';
import { capturedLog, type CapturedLog } from '../../../test/fixtures/captured-log.js';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { backfill } from '../../../warehouse/backfill.js';
import { createWarehouseClient, type ClickHouseClient } from '../../../warehouse/client.js';
import { WarehouseMedianSource } from '../../../warehouse/listing-price-medians.js';
import { ensureMarts, MARTS } from '../../../warehouse/marts.js';
import { readSourceTable, ensureRawDatabase, syncTable } from '../../../warehouse/raw-schema.js';
import { PriceMedians } from './price-medians.js';

const dir = tempDir();
let db: TestDatabase;
let client: ClickHouseClient;
let captured: CapturedLog;
let medians: PriceMedians;
const mart = { listing_price_medians: MARTS.listing_price_medians! };
const quiet = () => ({ update() {}, finish() {} });

/** What the medians logged about their source, in order. */
const sourceLines = () => captured.text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
  .filter((l) => typeof l.msg === 'string' && l.msg.startsWith('price medians')).map((l) => ({ level: l.level, msg: l.msg, source: l.source, reason: l.reason }));

beforeAll(async () => {
  db = await createTestDatabase('medians');
  const { user } = await signUp(db.pool, { email: 'seller@example.com', password: 'password-seller-long', name: 'Seller', country: 'DE', city: 'Berlin' });
  const listing = (priceAmount: number, fields: Partial<NewListing> = {}): NewListing => ({
    sellerId: user.id, name: `Bike ${priceAmount}`, description: 'A bike.', category: 'bikes', country: 'DE', city: 'Berlin', priceAmount, priceCurrency: 'eur', ...fields,
  });
  // The warehouse sees all four; MySQL, sampling the newest two listings, sees 40.00 and a draft, which does not count.
  for (const price of [10_000, 20_000, 30_000, 40_000]) await createListing(db.pool, listing(price));
  await createListing(db.pool, listing(500, { status: 'draft' }));
  client = createWarehouseClient({ path: join(dir.path, 'warehouse') });
  captured = capturedLog('info');
  medians = new PriceMedians(db.pool, { sampleListings: 2, refreshMs: 60_000, log: captured.log, warehouse: new WarehouseMedianSource(client) });
});
afterAll(async () => {
  await medians?.stop();
  await client?.close().catch(() => undefined);
  await db?.close();
  dir.remove();
});

describe('the price medians', () => {
  it('come from MySQL until the warehouse has the mart and listings in it, then from the warehouse, with a line per switch', async () => {
    await medians.refresh();
    expect(medians.source).toBe('mysql');
    expect(medians.get('de', 'bikes', 'EUR')).toEqual({ priceAmount: 40_000, samples: 1 });
    expect(sourceLines()).toEqual([{ level: 30, msg: 'price medians from MySQL', source: 'mysql', reason: expect.stringMatching(/^the warehouse did not answer: .*marts/) }]);

    // The mart made before the listings are loaded is empty: MySQL still answers, without a new line.
    await ensureRawDatabase(client);
    await syncTable(client, (await readSourceTable(db.pool, db.name, 'listings'))!);
    expect(await ensureMarts(client, { refreshSeconds: 3600, marts: mart })).toEqual([]);
    await medians.refresh();
    expect(medians.source).toBe('mysql');
    expect(medians.get('DE', 'bikes', 'eur')).toEqual({ priceAmount: 40_000, samples: 1 });
    expect(sourceLines()).toHaveLength(1);

    await backfill({ url: db.url, pool: db.pool, database: db.name, client, tables: ['listings'], progress: quiet });
    expect(await ensureMarts(client, { marts: mart })).toEqual([]);
    await medians.refresh();
    await medians.refresh();
    expect(medians.source).toBe('warehouse');
    // Every listing on sale, the lower middle price of four.
    expect(medians.get('DE', 'bikes', 'eur')).toEqual({ priceAmount: 20_000, samples: 4 });
    expect(medians.get('DE', 'cars', 'eur')).toBeUndefined();
    expect(sourceLines().slice(1)).toEqual([{ level: 30, msg: 'price medians from the warehouse', source: 'warehouse', reason: undefined }]);

    // The mart dropped (being rebuilt, say): MySQL answers, with a warning, until it is back.
    await client.command({ query: 'DROP TABLE marts.listing_price_medians' });
    await medians.refresh();
    await medians.refresh();
    expect(medians.source).toBe('mysql');
    expect(medians.get('DE', 'bikes', 'eur')).toEqual({ priceAmount: 40_000, samples: 1 });
    expect(await ensureMarts(client, { marts: mart })).toEqual([]);
    await medians.refresh();
    expect(medians.source).toBe('warehouse');
    expect(sourceLines().slice(2)).toEqual([
      { level: 40, msg: 'price medians now from MySQL, the newest listings only, until the warehouse answers again', source: 'mysql', reason: expect.stringContaining('listing_price_medians') },
      { level: 30, msg: 'price medians from the warehouse', source: 'warehouse', reason: undefined },
    ]);
  });

  it('fall back to MySQL when the warehouse fails, with one line however many refreshes', async () => {
    const before = sourceLines().length;
    await client.close();
    for (let i = 0; i < 3; i++) await medians.refresh();
    expect(medians.source).toBe('mysql');
    expect(medians.get('DE', 'bikes', 'eur')).toEqual({ priceAmount: 40_000, samples: 1 });
    expect(sourceLines().slice(before)).toEqual([
      { level: 40, msg: 'price medians now from MySQL, the newest listings only, until the warehouse answers again', source: 'mysql', reason: expect.stringMatching(/^the warehouse did not answer: .*closed/) },
    ]);
  });
});
