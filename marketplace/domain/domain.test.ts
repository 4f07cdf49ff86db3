import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { ConflictError } from '../../core/errors.js';
import type { RowDataPacket } from '../mysql/connection.js';
import { createListing, removeListing, updateListing } from './listings.js';
import { placeOrder } from './orders.js';
import { transactionRollbacks, withTransaction } from './transaction.js';
import { createUser, insertUsers } from './users.js';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => db?.close());

const user = (email: string) => ({ email, name: 'Zoë Müller 🚲', country: 'DE', city: 'Köln', passwordHash: 'scrypt$test' });
const listing = (sellerId: number) => ({
  sellerId, name: 'Samsung 55" TV', description: 'Second-hand, works.', category: 'electronics',
  country: 'DE', city: 'Köln', priceAmount: 25000, priceCurrency: 'eur',
});

async function outbox(aggregateId: number | string, type: string) {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT * FROM outbox WHERE aggregate_id = ? AND type = ?', [String(aggregateId), type]);
  return rows.map((row) => ({ id: String(row.id), aggregate_type: String(row.aggregate_type), payload: (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<string, unknown> }));
}

describe('marketplace writes and their domain events', () => {
  it('writes the user, the credentials and user.signed_up together', async () => {
    const created = await createUser(db.pool, user('zoe@example.com'));
    const [[stored]] = await db.pool.query<RowDataPacket[]>('SELECT u.name, c.password_hash FROM users u JOIN user_credentials c ON c.user_id = u.id WHERE u.id = ?', [created.id]);
    expect(stored).toEqual({ name: 'Zoë Müller 🚲', password_hash: 'scrypt$test' });
    const [event] = await outbox(created.id, 'user.signed_up');
    expect(event!.aggregate_type).toBe('user');
    expect(event!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(event!.payload).toMatchObject({ id: created.id, email: 'zoe@example.com', city: 'Köln' });
  });

  it('writes no event when the transaction rolls back', async () => {
    await expect(withTransaction(db.pool, async (connection) => {
      await insertUsers(connection, [user('rolled-back@example.com')]);
      throw new Error('something later failed');
    })).rejects.toThrow('something later failed');
    const [rows] = await db.pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%rolled-back@example.com%'");
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('runs a transaction InnoDB chose as a deadlock victim again, and counts it', async () => {
    const [a, b] = [await createUser(db.pool, user('lock-a@example.com')), await createUser(db.pool, user('lock-b@example.com'))];
    const before = transactionRollbacks().find((r) => r.code === 'ER_LOCK_DEADLOCK' && r.outcome === 'retried')?.count ?? 0;
    // Two transactions lock the same two rows in opposite orders, each waiting for the other's first.
    let bothHoldOne!: () => void;
    const holding = new Promise<void>((resolve) => { bothHoldOne = resolve; });
    let held = 0;
    const crossing = (first: number, second: number) => {
      let runs = 0;
      return withTransaction(db.pool, async (connection) => {
        runs += 1;
        await connection.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [first]);
        if (runs === 1) {
          if (++held === 2) bothHoldOne();
          await holding;
        }
        await connection.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [second]);
        return runs;
      });
    };
    const runs = await Promise.all([crossing(a.id, b.id), crossing(b.id, a.id)]);
    // One side was rolled back and ran again; both committed in the end.
    expect(runs.sort()).toEqual([1, 2]);
    expect(transactionRollbacks().find((r) => r.code === 'ER_LOCK_DEADLOCK' && r.outcome === 'retried')?.count).toBe(before + 1);
  });

  it('records what an edit changed, from and to', async () => {
    const seller = await createUser(db.pool, user('edit@example.com'));
    const id = await createListing(db.pool, listing(seller.id));
    await updateListing(db.pool, id, { price_amount: 19900, name: 'Samsung 55" TV' });
    const [event] = await outbox(id, 'listing.updated');
    expect(event!.payload.changed).toEqual({ price_amount: { from: 25000, to: 19900 } });
    expect(event!.payload.price_amount).toBe(19900);
  });

  it('sells a listing once: the second buyer gets a conflict', async () => {
    const seller = await createUser(db.pool, user('seller@example.com'));
    const [a, b] = await Promise.all([createUser(db.pool, user('a@example.com')), createUser(db.pool, user('b@example.com'))]);
    const id = await createListing(db.pool, listing(seller.id));
    const results = await Promise.allSettled([placeOrder(db.pool, id, a!.id), placeOrder(db.pool, id, b!.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ConflictError);
    const [[row]] = await db.pool.query<RowDataPacket[]>('SELECT status FROM listings WHERE id = ?', [id]);
    expect(row!.status).toBe('sold');
    const [orders] = await db.pool.query<RowDataPacket[]>('SELECT id FROM orders WHERE listing_id = ?', [id]);
    expect(orders).toHaveLength(1);
    expect(await outbox(orders[0]!.id, 'order.placed')).toHaveLength(1);
  });

  it('deletes an unsold listing and keeps a sold one as removed', async () => {
    const seller = await createUser(db.pool, user('remover@example.com'));
    const buyer = await createUser(db.pool, user('buyer@example.com'));
    const unsold = await createListing(db.pool, listing(seller.id));
    const sold = await createListing(db.pool, listing(seller.id));
    await placeOrder(db.pool, sold, buyer.id);
    expect(await removeListing(db.pool, unsold)).toBe('deleted');
    expect(await removeListing(db.pool, sold)).toBe('removed');
    expect(await outbox(unsold, 'listing.removed')).toHaveLength(1);
    expect(await outbox(sold, 'listing.removed')).toHaveLength(1);
  });
});
