// The worker's start against a real MariaDB: the in-memory percolator learns the words of the
// listings already for sale, so a restarted worker does not take a word they use for a typo.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing } from '../../../marketplace/domain/listings.js';
import { createUser } from '../../../marketplace/domain/users.js';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import type { ListingDocument } from '../search/port.js';
import { learnListingWords } from './alert-worker.js';
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
});
