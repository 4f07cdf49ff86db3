import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import type { RowDataPacket } from '../mysql/connection.js';
import { worldCities } from '../places/geonames-gazetteer.js';
import { seed } from '../sample-data/seed.js';
import { locateListings } from './listing-coordinates.js';
import { createListing, updateListing } from './listings.js';
import { createUser } from './users.js';

let db: TestDatabase;
let sellerId: number;
beforeAll(async () => {
  db = await createTestDatabase();
  sellerId = (await createUser(db.pool, { email: 'coords@example.com', name: 'Coords', passwordHash: 'scrypt$test' })).id;
  await worldCities().load();
}, 120_000);
afterAll(async () => db?.close());

const listing = (country: string, city: string) => ({
  sellerId, name: 'Oak dining table', description: 'Seats six.', category: 'furniture', country, city, priceAmount: 30_000, priceCurrency: 'eur',
});

async function stored(id: number) {
  const [[row]] = await db.pool.query<RowDataPacket[]>('SELECT city, latitude, longitude FROM listings WHERE id = ?', [id]);
  return row!;
}

async function events(id: number, type: string) {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT payload FROM outbox WHERE aggregate_id = ? AND type = ? ORDER BY id', [String(id), type]);
  return rows.map((row) => (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<string, unknown>);
}

describe('listing coordinates', () => {
  it('gives a new listing the point of its city, in the row and in listing.created', async () => {
    const id = await createListing(db.pool, listing('DE', 'München'));
    const row = await stored(id);
    expect(row.latitude).toBeCloseTo(48.137, 2);
    expect(row.longitude).toBeCloseTo(11.575, 2);
    const [created] = await events(id, 'listing.created');
    expect(created).toMatchObject({ city: 'München', latitude: row.latitude, longitude: row.longitude });
  });

  it('stores a listing in a city the gazetteer does not know, without coordinates', async () => {
    const id = await createListing(db.pool, listing('US', 'Nowhereville Springs'));
    expect(await stored(id)).toEqual({ city: 'Nowhereville Springs', latitude: null, longitude: null });
    expect((await events(id, 'listing.created'))[0]).toMatchObject({ latitude: null, longitude: null });
  });

  it('moves the coordinates with the city or the country, and only then', async () => {
    const id = await createListing(db.pool, listing('US', 'Boston'));
    const boston = await stored(id);
    expect(boston.latitude).toBeCloseTo(42.36, 1);

    await updateListing(db.pool, id, { price_amount: 25_000 });
    expect(await stored(id)).toEqual(boston);

    const moved = await updateListing(db.pool, id, { city: 'Portland' });
    expect(moved.longitude).toBeCloseTo(-122.68, 1);
    expect(await stored(id)).toMatchObject({ city: 'Portland', latitude: moved.latitude, longitude: moved.longitude });
    const updated = await events(id, 'listing.updated');
    expect(updated.at(-1)!.changed).toEqual({
      city: { from: 'Boston', to: 'Portland' },
      latitude: { from: boston.latitude, to: moved.latitude },
      longitude: { from: boston.longitude, to: moved.longitude },
    });

    // Portland, GB is another Portland: the country alone moves it.
    const abroad = await updateListing(db.pool, id, { country: 'GB' });
    expect(abroad.latitude).toBeCloseTo(50.57, 1);

    const lost = await updateListing(db.pool, id, { city: 'Nowhereville Springs' });
    expect(lost).toMatchObject({ latitude: null, longitude: null });
  });

  it('gives every sample listing the point of its city', async () => {
    const [[before]] = await db.pool.query<RowDataPacket[]>('SELECT COALESCE(MAX(id), 0) AS id FROM listings');
    await seed(db.pool, { users: 5, listings: 60, seed: 7, progress: () => ({ update() {}, finish() {} }) });
    const [[counts]] = await db.pool.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n, COUNT(latitude) AS located, COUNT(DISTINCT city) AS cities FROM listings WHERE id > ?', [before!.id]);
    expect(Number(counts!.n)).toBe(60);
    expect(Number(counts!.located)).toBe(60);
    expect(Number(counts!.cities)).toBeGreaterThan(5);
  });

  it('fills listings stored without coordinates and leaves those whose city it does not know', async () => {
    await db.pool.query(`INSERT INTO listings (seller_id, name, description, category, country, city, price_amount, price_currency)
      VALUES (?, 'a', '', 'sports', 'GB', 'Leeds', 100, 'gbp'), (?, 'b', '', 'sports', 'CA', 'Montreal', 100, 'cad'),
             (?, 'c', '', 'sports', 'FR', 'Nulle-Part-sur-Mer', 100, 'eur'), (?, 'd', '', 'sports', 'GB', 'Leeds', 100, 'gbp')`,
    [sellerId, sellerId, sellerId, sellerId]);
    const before = await db.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM listings WHERE latitude IS NULL');
    const outcome = await locateListings(db.pool, worldCities(), { batchSize: 2 });
    // The unknown cities of the earlier tests stay unknown too.
    expect(outcome).toEqual({ located: 3, unknown: Number(before[0][0]!.n) - 3 });
    const [rows] = await db.pool.query<RowDataPacket[]>("SELECT name, latitude FROM listings WHERE name IN ('a', 'b', 'c', 'd') ORDER BY name");
    expect(rows.map((row) => [row.name, row.latitude === null ? null : Math.round(row.latitude)])).toEqual([['a', 54], ['b', 46], ['c', null], ['d', 54]]);
    expect(await locateListings(db.pool, worldCities())).toEqual({ located: 0, unknown: outcome.unknown });
  });
});
