import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import type { RowDataPacket } from '../mysql/connection.js';
import { seed } from './seed.js';
import { simulate } from './simulate.js';
import { COUNTRIES } from './vocabulary.js';
import type { Progress } from '../../core/progress.js';

const quiet = (): Progress => ({ update() {}, finish() {} });
const dbs: TestDatabase[] = [];
afterAll(async () => { await Promise.all(dbs.map((db) => db.close())); });
async function database() {
  const db = await createTestDatabase();
  dbs.push(db);
  return db;
}

async function count(db: TestDatabase, sql: string): Promise<number> {
  const [[row]] = await db.pool.query<RowDataPacket[]>(sql);
  return Number(Object.values(row!)[0]);
}

describe('seed', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await database();
    await seed(db.pool, { users: 300, listings: 2500, seed: 7, batchSize: 400, progress: quiet });
  });

  it('writes the requested users and listings, each with its domain event', async () => {
    expect(await count(db, 'SELECT COUNT(*) FROM users')).toBe(300);
    expect(await count(db, 'SELECT COUNT(*) FROM user_credentials')).toBe(300);
    expect(await count(db, 'SELECT COUNT(*) FROM listings')).toBe(2500);
    expect(await count(db, "SELECT COUNT(*) FROM outbox WHERE type = 'user.signed_up'")).toBe(300);
    expect(await count(db, "SELECT COUNT(*) FROM outbox o JOIN listings l ON o.aggregate_id = l.id WHERE o.type = 'listing.created' AND JSON_VALUE(o.payload, '$.name') = l.name")).toBe(2500);
  });

  it('makes plausible listings: the currency of the country, whole prices, dated after the seller joined', async () => {
    const currencies = new Map(COUNTRIES.map((c) => [c.code, c.currency]));
    const [rows] = await db.pool.query<RowDataPacket[]>(
      'SELECT l.country, l.price_currency, l.price_amount, l.created_at >= u.created_at AS after_signup FROM listings l JOIN users u ON u.id = l.seller_id',
    );
    for (const row of rows) {
      expect(row.price_currency).toBe(currencies.get(row.country));
      expect(Number(row.price_amount) % 500).toBe(0);
      expect(Number(row.after_signup)).toBe(1);
    }
    expect(await count(db, 'SELECT COUNT(DISTINCT category) FROM listings')).toBeGreaterThanOrEqual(6);
    expect(await count(db, 'SELECT COUNT(DISTINCT city) FROM listings')).toBeGreaterThanOrEqual(20);
  });

  it('gives the same rows for the same seed', async () => {
    const other = await database();
    await seed(other.pool, { users: 300, listings: 2500, seed: 7, batchSize: 1000, progress: quiet });
    const fingerprint = 'SELECT MD5(GROUP_CONCAT(CONCAT_WS("|", id, seller_id, name, description, category, city, price_amount) ORDER BY id SEPARATOR "\\n")) AS f FROM listings';
    await db.pool.query('SET SESSION group_concat_max_len = 1073741824');
    await other.pool.query('SET SESSION group_concat_max_len = 1073741824');
    const [[a]] = await db.pool.query<RowDataPacket[]>(fingerprint);
    const [[b]] = await other.pool.query<RowDataPacket[]>(fingerprint);
    expect(a!.f).toBe(b!.f);
  });
});

describe('simulate', () => {
  it('runs the requested number of operations, every one a committed transaction with its event', async () => {
    const db = await database();
    await seed(db.pool, { users: 50, listings: 200, progress: quiet });
    const before = await count(db, 'SELECT COUNT(*) FROM outbox');
    const result = await simulate(db.pool, { ratePerSecond: 200, durationMs: 1500, concurrency: 4, progress: quiet });
    const ops = Object.values(result.operations).reduce((a, b) => a + b, 0);
    expect(result.errors).toBe(0);
    expect(ops + result.conflicts).toBe(300);
    expect(result.operations.purchase).toBeGreaterThan(0);
    expect(await count(db, "SELECT COUNT(*) FROM outbox WHERE type = 'order.placed'")).toBe(result.operations.purchase);
    expect(await count(db, 'SELECT COUNT(*) FROM orders')).toBe(result.operations.purchase);
    // An edit that changes nothing writes no event, so events are at most one per operation.
    const events = (await count(db, 'SELECT COUNT(*) FROM outbox')) - before;
    expect(events).toBeLessThanOrEqual(ops);
    expect(events).toBeGreaterThan(ops - result.operations.edit - 1);
  });

  it("writes only through the accounts it signs up, never an existing user's, unless asked to", async () => {
    const db = await database();
    await seed(db.pool, { users: 20, listings: 100, progress: quiet });
    const lastUser = await count(db, 'SELECT MAX(id) FROM users');
    const lastListing = await count(db, 'SELECT MAX(id) FROM listings');
    const existingListings = 'SELECT id, status, price_amount, description, updated_at FROM listings WHERE id <= ? ORDER BY id';
    const [before] = await db.pool.query<RowDataPacket[]>(existingListings, [lastListing]);
    const touchingExisting = () => count(db, `SELECT
      (SELECT COUNT(*) FROM listings WHERE id > ${lastListing} AND seller_id <= ${lastUser})
      + (SELECT COUNT(*) FROM orders WHERE buyer_id <= ${lastUser} OR seller_id <= ${lastUser})
      + (SELECT COUNT(*) FROM messages WHERE sender_id <= ${lastUser} OR recipient_id <= ${lastUser})`);

    const own = await simulate(db.pool, { ratePerSecond: 300, durationMs: 1000, concurrency: 4, progress: quiet });
    expect(own.errors).toBe(0);
    expect(own.operations.purchase + own.operations.message).toBeGreaterThan(0);
    expect(await touchingExisting()).toBe(0);
    const [after] = await db.pool.query<RowDataPacket[]>(existingListings, [lastListing]);
    expect(after).toEqual(before);

    const asked = await simulate(db.pool, { ratePerSecond: 300, durationMs: 1000, concurrency: 4, progress: quiet, existingUsers: true });
    expect(asked.errors).toBe(0);
    expect(await touchingExisting()).toBeGreaterThan(0);
  });
});
