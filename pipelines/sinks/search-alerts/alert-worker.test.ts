// The worker's start against a real MariaDB: the in-memory percolator learns the words of the
// listings already for sale, so a restarted worker does not take a word they use for a typo.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing } from '../../../marketplace/domain/listings.js';
import { createUser } from '../../../marketplace/domain/users.js';
import { EmbeddedBus } from '../../bus/embedded/index.js';
import { capturedLog } from '../../../test/fixtures/captured-log.js';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import type { ListingDocument } from '../search/port.js';
import { learnListingWords, SearchAlertsWorker } from './alert-worker.js';
import { EmbeddedPercolator } from './embedded-percolator.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.close());

const toyCar: ListingDocument = {
  id: 999_001, seller_id: 1, seller_name: null, name: 'Toy car', description: 'Red.', category: 'toys', country: 'US', city: 'Boston',
  latitude: null, longitude: null, price_amount: 500, price_currency: 'usd', status: 'active', created_at: '', updated_at: '',
};
const catSearch = { id: 1, userId: 1, q: 'cat', country: null, city: null, category: null, minPrice: null, maxPrice: null, near: null };

describe('a starting worker', () => {
  it('teaches the percolator the words of the listings for sale, so "cat" is meant and does not find a car', async () => {
    const seller = await createUser(db.pool, { email: `learn-${Date.now()}@example.com`, name: 'Cat Seller', passwordHash: 'x' });
    await createListing(db.pool, { sellerId: seller.id, name: 'Cat tree', description: 'Three levels.', category: 'other', country: 'US', city: 'Boston', priceAmount: 4_000, priceCurrency: 'usd' });
    await createListing(db.pool, { sellerId: seller.id, name: 'Draft cat bed', description: 'Soft.', category: 'other', country: 'US', city: 'Boston', priceAmount: 2_000, priceCurrency: 'usd', status: 'draft' });

    const fresh = new EmbeddedPercolator();
    await fresh.upsert([catSearch]);
    // Knowing no listing, the percolator reads "cat" as a typo of the car's word, as search would with no cat listed.
    expect(Object.fromEntries(await fresh.match([toyCar]))).toEqual({ [toyCar.id]: [1] });

    const taught = new EmbeddedPercolator();
    await taught.upsert([catSearch]);
    expect(await learnListingWords(db.pool, taught)).toBe(1);
    expect(Object.fromEntries(await taught.match([toyCar]))).toEqual({});
  });

  it('takes back the words an earlier start learned instead of reading the listings again', async () => {
    const dir = tempDir();
    const wordsFile = join(dir.path, 'known-words.txt');
    const bus = await EmbeddedBus.open({
      dir: join(dir.path, 'bus'), defaultPartitions: 1, segmentBytes: 1 << 20, fsync: 'never', fsyncIntervalMs: 100, retentionBytes: 1 << 30, retentionMs: 3_600_000,
    });
    const start = async () => {
      const { log, text } = capturedLog('info');
      const percolator = new EmbeddedPercolator({ wordsFile });
      const worker = new SearchAlertsWorker({ bus, pool: db.pool, percolator, database: db.name, topicPrefix: 'kept', log, digestPollMs: 60_000 });
      await worker.start();
      await worker.stop();
      const ready = text().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'search alerts: percolator ready');
      return { percolator, ready };
    };
    try {
      const first = await start();
      expect(first.ready).toMatchObject({ listingsLearned: expect.any(Number) });
      expect(first.ready!.listingsLearned).toBeGreaterThan(0);
      expect(first.ready!.wordsKept).toBeUndefined();

      const again = await start();
      expect(again.ready).toMatchObject({ listingsLearned: 0, wordsKept: expect.any(Number) });
      // What the listings taught the first start, the second knows: "cat" is meant, not a typo of "car".
      await again.percolator.upsert([catSearch]);
      expect(Object.fromEntries(await again.percolator.match([toyCar]))).toEqual({});
    } finally {
      await bus.close();
      dir.remove();
    }
  });
});
