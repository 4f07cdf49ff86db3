// Migration 027 on a running pipeline: listings gain latitude/longitude in the middle of the
// table (AFTER city) while change capture and the warehouse loader run. The change events carry
// the new columns, the warehouse's raw table gains them, and no other column shifts.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopes, readTopic, startTestReader, type TestReader } from '../test/fixtures/cdc.js';
import { eventually } from '../test/fixtures/eventually.js';
import { newDatabaseUrl } from '../test/fixtures/database.js';
import { tempDir } from '../test/fixtures/temp-dir.js';
import { silentLogger } from '../core/log.js';
import { locateListings } from '../marketplace/domain/listing-coordinates.js';
import { createListing } from '../marketplace/domain/listings.js';
import { createUser } from '../marketplace/domain/users.js';
import { createMysqlPool, type Pool, type RowDataPacket } from '../marketplace/mysql/connection.js';
import { worldCities } from '../marketplace/places/geonames-gazetteer.js';
import { migrate, MIGRATIONS_DIR } from '../marketplace/schema/migrate.js';
import type { ConsumerRunner } from '../pipelines/consumers/runner.js';
import { createWarehouseClient, type ClickHouseClient } from './client.js';
import { startWarehouseLoader } from './loader.js';

const dir = tempDir();
let url: string;
let database: string;
let pool: Pool;
let cdc: TestReader;
let client: ClickHouseClient;
let loader: ConsumerRunner;
let sellerId: number;
/** Every migration as of the start, so both steps apply the same files. */
let after: string;

beforeAll(async () => {
  // The database as it was before migration 027, with listings in it.
  const before = join(dir.path, 'migrations-before-027');
  after = join(dir.path, 'migrations');
  mkdirSync(before);
  mkdirSync(after);
  for (const file of readdirSync(MIGRATIONS_DIR).filter((name) => name.endsWith('.sql'))) {
    copyFileSync(join(MIGRATIONS_DIR, file), join(after, file));
    if (Number(file.slice(0, 3)) < 27) copyFileSync(join(after, file), join(before, file));
  }
  ({ url, name: database } = newDatabaseUrl('whgeo'));
  await migrate(url, { dir: before });
  pool = await createMysqlPool(url);
  sellerId = (await createUser(pool, { email: 'geo@example.com', name: 'Geo', passwordHash: 'x' })).id;
  await pool.query(`INSERT INTO listings (seller_id, name, description, category, country, city, price_amount, price_currency)
    VALUES (?, 'Old lamp', '', 'home-garden', 'GB', 'Leeds', 1500, 'gbp'), (?, 'Old kayak', '', 'sports', 'FR', 'Lyon', 30000, 'eur')`, [sellerId, sellerId]);
  cdc = await startTestReader(url, join(dir.path, 'cdc'));
  client = createWarehouseClient({ path: join(dir.path, 'warehouse') });
  loader = startWarehouseLoader({ bus: cdc.bus, client, pool, database, topicPrefix: 'sl', log: silentLogger() });
  await loader.start();
  await worldCities().load();
}, 180_000);
afterAll(async () => {
  await loader?.stop();
  await client?.close();
  await cdc?.stop();
  await pool?.end();
  dir.remove();
});

async function rows<T>(query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
  return result.json<T>();
}

type Located = { id: number; city: string; latitude: number | null; longitude: number | null; price_amount: number; status: string };

const mysqlListings = async (): Promise<Located[]> => {
  const [result] = await pool.query<RowDataPacket[]>('SELECT id, city, latitude, longitude, price_amount, status FROM listings ORDER BY id');
  return result.map((r) => ({ id: Number(r.id), city: String(r.city), latitude: r.latitude, longitude: r.longitude, price_amount: Number(r.price_amount), status: String(r.status) }));
};

describe('listing coordinates through change capture into the warehouse', () => {
  it('carries latitude and longitude once migration 027 adds them mid-table, every other column in its place', async () => {
    await eventually(() => rows<{ n: number }>('SELECT count() AS n FROM raw.listings FINAL WHERE _is_deleted = 0'), [{ n: 2 }]);

    await migrate(url, { dir: after });
    expect(await locateListings(pool, worldCities())).toEqual({ located: 2, unknown: 0 });
    const id = await createListing(pool, { sellerId, name: 'New bike', description: 'Steel.', category: 'bikes', country: 'DE', city: 'München', priceAmount: 25_000, priceCurrency: 'eur' });

    const expected = await mysqlListings();
    expect(expected.every((listing) => listing.latitude !== null && listing.longitude !== null)).toBe(true);
    await eventually(() => rows<Located>('SELECT id, city, latitude, longitude, price_amount, status FROM raw.listings FINAL WHERE _is_deleted = 0 ORDER BY id'), expected);

    const created = envelopes(await readTopic(cdc.bus, `sl.${database}.listings`)).filter((e) => e.after?.id === id);
    expect(created.at(-1)!.after).toMatchObject({ city: 'München', latitude: expected.at(-1)!.latitude, longitude: expected.at(-1)!.longitude, price_amount: 25_000 });
  });
});
