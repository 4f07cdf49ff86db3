// The admin service's moderation and support routes over real HTTP against a real MariaDB: each
// change writes its audit row and its domain event in one transaction, and a refused one neither.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAdminUser } from '../../marketplace/auth/admin-accounts.js';
import { createApiKey } from '../../marketplace/auth/api-keys.js';
import { signUp } from '../../marketplace/auth/user-accounts.js';
import { fileComplaint } from '../../marketplace/domain/complaints.js';
import { createListing } from '../../marketplace/domain/listings.js';
import { placeOrder } from '../../marketplace/domain/orders.js';
import type { RowDataPacket } from '../../marketplace/mysql/connection.js';
import { capturedLog } from '../../test/fixtures/captured-log.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { httpClient } from '../../test/fixtures/http-client.js';
import { buildPublicServer } from '../public/server.js';
import { buildAdminServer } from './server.js';

let db: TestDatabase;
let admin: FastifyInstance;
let publicApi: FastifyInstance;
let call: ReturnType<typeof httpClient>;
let token: string;
const logged = capturedLog('debug');
const ADMIN_PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  db = await createTestDatabase();
  await addAdminUser(db.pool, 'ana', ADMIN_PASSWORD);
  admin = await buildAdminServer({ pool: db.pool, log: logged.log });
  publicApi = await buildPublicServer({ pool: db.pool, log: logged.log, rateLimit: { perMinute: 100_000, authPerMinute: 100_000 } });
  call = httpClient(await admin.listen({ host: '127.0.0.1', port: 0 }));
  const login = await call('POST', '/admin/session', { body: { username: 'ana', password: ADMIN_PASSWORD } });
  expect(login.status).toBe(200);
  token = login.body.token;
});
afterAll(async () => {
  await admin?.close();
  await publicApi?.close();
  await db?.close();
});

let people = 0;
async function person(name = 'Zoë Müller') {
  const { user, token: session } = await signUp(db.pool, { email: `person${++people}@example.com`, password: `password-${people}-long`, name, country: 'DE', city: 'Köln' });
  return { id: user.id, email: user.email, session };
}

const tv = (sellerId: number) => ({
  sellerId, name: 'Samsung 55" TV', description: 'Works.', category: 'electronics', country: 'DE', city: 'Köln', priceAmount: 25000, priceCurrency: 'eur',
});

async function outbox(aggregateId: number, type: string): Promise<Record<string, unknown>[]> {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT payload FROM outbox WHERE aggregate_id = ? AND type = ?', [String(aggregateId), type]);
  return rows.map((row) => (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<string, unknown>);
}

async function auditRows(targetType: string, targetId: number): Promise<RowDataPacket[]> {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT * FROM admin_audit WHERE target_type = ? AND target_id = ? ORDER BY id', [targetType, targetId]);
  return rows;
}

const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as unknown;

async function outboxCount(): Promise<number> {
  const [[row]] = await db.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM outbox');
  return Number(row!.n);
}

async function auditCount(): Promise<number> {
  const [[row]] = await db.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM admin_audit');
  return Number(row!.n);
}

/** Runs a refused action and checks it left no trace: no audit row, no event. */
async function expectNothingWritten(action: () => Promise<unknown>): Promise<void> {
  const before = { audit: await auditCount(), outbox: await outboxCount() };
  await action();
  expect({ audit: await auditCount(), outbox: await outboxCount() }).toEqual(before);
}

describe('admin sessions', () => {
  it('refuses every moderation route without a session, before looking at the input', async () => {
    for (const [method, path] of [['POST', '/admin/listings/1/remove'], ['GET', '/admin/users/1'], ['POST', '/admin/orders/x/refund'], ['GET', '/admin/audit'], ['GET', '/admin/complaints']]) {
      const response = await call(method!, path!, { body: method === 'POST' ? { nonsense: true } : undefined });
      expect(response, `${method} ${path}`).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    }
    expect((await call('GET', '/admin/audit', { token: 'sla_not-a-real-token' })).status).toBe(401);
  });
});

describe('taking a listing down', () => {
  it('sets status removed and writes listing.removed with the reason and the audit row together', async () => {
    const seller = await person();
    const id = await createListing(db.pool, tv(seller.id));
    const response = await call('POST', `/admin/listings/${id}/remove`, { token, body: { reason: 'counterfeit goods' } });
    expect(response).toMatchObject({ status: 200, body: { id, status: 'removed', previous_status: 'active' } });

    const [[listing]] = await db.pool.query<RowDataPacket[]>('SELECT status FROM listings WHERE id = ?', [id]);
    expect(listing!.status).toBe('removed');
    const [event] = await outbox(id, 'listing.removed');
    expect(event).toMatchObject({ id, seller_id: seller.id, reason: 'counterfeit goods', removed_by: 'admin', outcome: 'removed' });
    const [audit] = await auditRows('listing', id);
    expect(audit).toMatchObject({ admin_username: 'ana', action: 'listing.remove', reason: 'counterfeit goods' });
    expect(json(audit!.details)).toEqual({ previous_status: 'active', seller_id: seller.id });

    // The seller deleting it afterwards must not destroy what the moderator kept.
    const deleted = await publicApi.inject({ method: 'DELETE', url: `/v1/listings/${id}`, headers: { authorization: `Bearer ${seller.session}` } });
    expect(deleted.statusCode).toBe(204);
    const [[kept]] = await db.pool.query<RowDataPacket[]>('SELECT status FROM listings WHERE id = ?', [id]);
    expect(kept!.status).toBe('removed');
    expect(await outbox(id, 'listing.removed')).toHaveLength(1);
  });

  it('refuses a listing that is removed already (409) and an unknown one (404), writing nothing', async () => {
    const seller = await person();
    const id = await createListing(db.pool, tv(seller.id));
    expect((await call('POST', `/admin/listings/${id}/remove`, { token, body: { reason: 'spam' } })).status).toBe(200);
    await expectNothingWritten(async () => {
      const again = await call('POST', `/admin/listings/${id}/remove`, { token, body: { reason: 'spam' } });
      expect(again).toMatchObject({ status: 409, body: { error: 'conflict' } });
      expect(again.body.message).toContain('removed already');
      const missing = await call('POST', '/admin/listings/999999999/remove', { token, body: { reason: 'spam' } });
      expect(missing).toMatchObject({ status: 404, body: { error: 'not_found', message: 'listing 999999999 does not exist' } });
    });
  });

  it('rolls the removal and its event back when the audit row cannot be written, answering 500 without details', async () => {
    const seller = await person();
    const id = await createListing(db.pool, tv(seller.id));
    // The audit insert is the last write of the transaction; with its table gone it fails.
    await db.pool.query('RENAME TABLE admin_audit TO admin_audit_away');
    try {
      const response = await call('POST', `/admin/listings/${id}/remove`, { token, body: { reason: 'spam' } });
      expect(response).toMatchObject({ status: 500, body: { error: 'internal', message: 'internal error' } });
    } finally {
      await db.pool.query('RENAME TABLE admin_audit_away TO admin_audit');
    }
    const [[listing]] = await db.pool.query<RowDataPacket[]>('SELECT status FROM listings WHERE id = ?', [id]);
    expect(listing!.status).toBe('active');
    expect(await outbox(id, 'listing.removed')).toEqual([]);
  });

  it('answers 400 naming the field for a missing, blank or unknown input', async () => {
    const missing = await call('POST', '/admin/listings/1/remove', { token, body: {} });
    expect(missing).toMatchObject({ status: 400, body: { error: 'invalid_request', field: 'reason' } });
    const blank = await call('POST', '/admin/listings/1/remove', { token, body: { reason: '   ' } });
    expect(blank).toMatchObject({ status: 400, body: { error: 'invalid_request', field: 'reason' } });
    const extra = await call('POST', '/admin/listings/1/remove', { token, body: { reason: 'x', force: true } });
    expect(extra).toMatchObject({ status: 400, body: { field: 'force' } });
    const badId = await call('POST', '/admin/listings/abc/remove', { token, body: { reason: 'x' } });
    expect(badId).toMatchObject({ status: 400, body: { field: 'id' } });
    expect(JSON.stringify([missing.body, blank.body, extra.body, badId.body])).not.toContain('    at ');
  });
});

describe('users', () => {
  it('suspends a user (public API refuses them) and reinstates them, each with its event and audit row', async () => {
    const user = await person();
    const me = () => publicApi.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${user.session}` } });
    expect((await me()).statusCode).toBe(200);

    const suspended = await call('POST', `/admin/users/${user.id}/suspend`, { token, body: { reason: 'fraud ring' } });
    expect(suspended).toMatchObject({ status: 200, body: { id: user.id, status: 'suspended', previous_status: 'active' } });
    expect((await me()).statusCode).toBe(403);
    expect(await outbox(user.id, 'user.suspended')).toEqual([expect.objectContaining({ user_id: user.id, status: 'suspended', reason: 'fraud ring' })]);

    await expectNothingWritten(async () => {
      const twice = await call('POST', `/admin/users/${user.id}/suspend`, { token, body: { reason: 'again' } });
      expect(twice).toMatchObject({ status: 409, body: { error: 'conflict', message: `user ${user.id} is suspended; only active users can be made suspended` } });
    });

    const reinstated = await call('POST', `/admin/users/${user.id}/reinstate`, { token, body: { reason: 'appeal accepted' } });
    expect(reinstated).toMatchObject({ status: 200, body: { status: 'active', previous_status: 'suspended' } });
    expect((await me()).statusCode).toBe(200);
    expect(await outbox(user.id, 'user.reinstated')).toHaveLength(1);
    expect((await auditRows('user', user.id)).map((row) => [row.action, row.reason])).toEqual([['user.suspend', 'fraud ring'], ['user.reinstate', 'appeal accepted']]);

    await expectNothingWritten(async () => {
      expect((await call('POST', `/admin/users/${user.id}/reinstate`, { token, body: { reason: 'x' } })).status).toBe(409);
      expect((await call('POST', '/admin/users/999999999/suspend', { token, body: { reason: 'x' } })).status).toBe(404);
    });
  });

  it('warns a user, for a complaint about them, with the warning and the audit row together', async () => {
    const [reporter, offender, bystander] = [await person(), await person(), await person()];
    const complaint = await fileComplaint(db.pool, { reporterId: reporter.id, reportedUserId: offender.id, reason: 'offensive' });
    const response = await call('POST', `/admin/users/${offender.id}/warnings`, { token, body: { reason: 'rude messages', complaint_id: complaint } });
    expect(response).toMatchObject({ status: 201, body: { user_id: offender.id, reason: 'rude messages', complaint_id: complaint, issued_by: 'ana' } });
    const [audit] = await auditRows('user', offender.id);
    expect(audit).toMatchObject({ action: 'user.warn', reason: 'rude messages' });
    expect(json(audit!.details)).toEqual({ warning_id: response.body.id, complaint_id: complaint });

    await expectNothingWritten(async () => {
      const wrongUser = await call('POST', `/admin/users/${bystander.id}/warnings`, { token, body: { reason: 'x', complaint_id: complaint } });
      expect(wrongUser).toMatchObject({ status: 409, body: { field: 'complaint_id' } });
      expect((await call('POST', `/admin/users/${offender.id}/warnings`, { token, body: { reason: 'x', complaint_id: 999999999 } })).status).toBe(404);
      expect((await call('POST', '/admin/users/999999999/warnings', { token, body: { reason: 'x' } })).status).toBe(404);
    });
    const [[count]] = await db.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM user_warnings WHERE user_id IN (?, ?)', [offender.id, bystander.id]);
    expect(Number(count!.n)).toBe(1);
  });

  it('shows support the profile, counts, recent orders, warnings and open complaints, never a hash, and audits the look', async () => {
    const [seller, buyer, reporter] = [await person('Seller'), await person('Buyer'), await person('Reporter')];
    const key = await createApiKey(db.pool, seller.id, 'shop integration');
    const sold = await createListing(db.pool, tv(seller.id));
    await createListing(db.pool, tv(seller.id));
    await createListing(db.pool, { ...tv(seller.id), status: 'draft' });
    const order = await placeOrder(db.pool, sold, buyer.id);
    await fileComplaint(db.pool, { reporterId: reporter.id, listingId: sold, reason: 'fraud' });
    await call('POST', `/admin/users/${seller.id}/warnings`, { token, body: { reason: 'first warning' } });

    const response = await call('GET', `/admin/users/${seller.id}`, { token });
    expect(response.status).toBe(200);
    const body = response.body;
    expect(body.user).toEqual({ id: seller.id, email: seller.email, name: 'Seller', country: 'DE', city: 'Köln', status: 'active', created_at: expect.any(String), updated_at: expect.any(String) });
    expect(body.counts).toEqual({ listings: { draft: 1, active: 1, sold: 1, removed: 0, total: 3 }, orders: { as_buyer: 0, as_seller: 1 }, warnings: 1, open_complaints: 1 });
    expect(body.recent_orders).toEqual([expect.objectContaining({ id: order.id, role: 'seller', buyer_id: buyer.id, amount: 25000, currency: 'eur', status: 'placed' })]);
    expect(body.warnings).toEqual([expect.objectContaining({ reason: 'first warning', issued_by: 'ana' })]);
    expect(body.open_complaints).toEqual([expect.objectContaining({ reporter_id: reporter.id, listing_id: sold, reason: 'fraud', status: 'open' })]);
    expect(body.api_keys).toEqual([expect.objectContaining({ name: 'shop integration', prefix: key.prefix, revoked_at: null })]);
    expect(body.login).toMatchObject({ failed_attempts: 0, locked_until: null });

    const text = JSON.stringify(body);
    const [[secrets]] = await db.pool.query<RowDataPacket[]>(
      'SELECT c.password_hash, k.key_hash FROM user_credentials c JOIN api_keys k ON k.user_id = c.user_id WHERE c.user_id = ?', [seller.id]);
    for (const secret of [secrets!.password_hash, secrets!.key_hash, key.key]) expect(text).not.toContain(String(secret));
    expect(text).not.toMatch(/password_hash|key_hash|scrypt/);

    const views = (await auditRows('user', seller.id)).filter((row) => row.action === 'user.view');
    expect(views).toHaveLength(1);
    expect((await call('GET', '/admin/users/999999999', { token })).status).toBe(404);

    const found = await call('GET', `/admin/users?email=${encodeURIComponent(seller.email)}`, { token });
    expect(found.body.data).toEqual([expect.objectContaining({ id: seller.id })]);
  });
});

describe('refunds', () => {
  it('refunds a placed order with order.refunded and the audit row; a refunded or cancelled one is 409 with nothing written', async () => {
    const [seller, buyer] = [await person(), await person()];
    const order = await placeOrder(db.pool, await createListing(db.pool, tv(seller.id)), buyer.id);
    const response = await call('POST', `/admin/orders/${order.id}/refund`, { token, body: { reason: 'item never arrived' } });
    expect(response).toMatchObject({ status: 200, body: { id: order.id, status: 'refunded', previous_status: 'placed', amount: 25000, currency: 'eur' } });
    expect(await outbox(order.id, 'order.refunded')).toEqual([expect.objectContaining({
      id: order.id, buyer_id: buyer.id, seller_id: seller.id, amount: 25000, currency: 'eur', reason: 'item never arrived', refunded_by: 'admin',
    })]);
    expect((await auditRows('order', order.id)).map((row) => row.action)).toEqual(['order.refund']);

    const cancelled = await placeOrder(db.pool, await createListing(db.pool, tv(seller.id)), buyer.id);
    await db.pool.query("UPDATE orders SET status = 'cancelled' WHERE id = ?", [cancelled.id]);
    await expectNothingWritten(async () => {
      const again = await call('POST', `/admin/orders/${order.id}/refund`, { token, body: { reason: 'twice' } });
      expect(again).toMatchObject({ status: 409, body: { error: 'conflict', message: `order ${order.id} is refunded; only placed, paid, shipped, completed orders can be refunded` } });
      expect((await call('POST', `/admin/orders/${cancelled.id}/refund`, { token, body: { reason: 'x' } })).status).toBe(409);
      expect((await call('POST', '/admin/orders/999999999/refund', { token, body: { reason: 'x' } })).status).toBe(404);
    });
    const [[row]] = await db.pool.query<RowDataPacket[]>('SELECT status FROM orders WHERE id = ?', [cancelled.id]);
    expect(row!.status).toBe('cancelled');
  });

  it('refunds from every refundable status', async () => {
    const [seller, buyer] = [await person(), await person()];
    for (const status of ['paid', 'shipped', 'completed']) {
      const order = await placeOrder(db.pool, await createListing(db.pool, tv(seller.id)), buyer.id);
      await db.pool.query('UPDATE orders SET status = ? WHERE id = ?', [status, order.id]);
      const response = await call('POST', `/admin/orders/${order.id}/refund`, { token, body: { reason: 'goodwill' } });
      expect(response.body).toMatchObject({ status: 'refunded', previous_status: status });
    }
  });
});

describe('complaints', () => {
  it('lists complaints newest first by status, resolves and dismisses them, and refuses closing twice', async () => {
    const [reporter, offender] = [await person(), await person()];
    const listing = await createListing(db.pool, tv(offender.id));
    const first = await fileComplaint(db.pool, { reporterId: reporter.id, listingId: listing, reason: 'spam' });
    const second = await fileComplaint(db.pool, { reporterId: reporter.id, reportedUserId: offender.id, reason: 'offensive', details: 'insults' });

    const open = await call('GET', `/admin/complaints?status=open&reported_user_id=${offender.id}`, { token });
    expect(open.body.data.map((c: { id: number }) => c.id)).toEqual([second, first]);
    expect(open.body.data[1]).toMatchObject({ listing_id: listing, reported_user_id: offender.id, reason: 'spam', status: 'open', resolved_at: null });

    const resolved = await call('POST', `/admin/complaints/${first}/resolve`, { token, body: { reason: 'listing removed' } });
    expect(resolved).toMatchObject({ status: 200, body: { id: first, status: 'resolved' } });
    expect(resolved.body.resolved_at).toMatch(/Z$/);
    const dismissed = await call('POST', `/admin/complaints/${second}/dismiss`, { token, body: { reason: 'banter between friends' } });
    expect(dismissed.body.status).toBe('dismissed');
    expect((await auditRows('complaint', first)).map((row) => row.action)).toEqual(['complaint.resolve']);
    expect((await auditRows('complaint', second)).map((row) => [row.action, row.reason])).toEqual([['complaint.dismiss', 'banter between friends']]);

    await expectNothingWritten(async () => {
      expect((await call('POST', `/admin/complaints/${first}/dismiss`, { token, body: { reason: 'x' } })).status).toBe(409);
      expect((await call('POST', '/admin/complaints/999999999/resolve', { token, body: { reason: 'x' } })).status).toBe(404);
    });
    const stillOpen = await call('GET', `/admin/complaints?status=open&reported_user_id=${offender.id}`, { token });
    expect(stillOpen.body.data).toEqual([]);
    expect((await call('GET', '/admin/complaints?status=closed', { token })).body).toMatchObject({ error: 'invalid_request', field: 'status' });
  });
});

describe('the audit trail', () => {
  it('pages through what staff did, newest first, and filters by target', async () => {
    const user = await person();
    for (let i = 1; i <= 5; i++) await call('POST', `/admin/users/${user.id}/warnings`, { token, body: { reason: `warning ${i}` } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { data: { reason: string; admin: string; target_type: string; target_id: number; created_at: string }[]; next_cursor: string | null } } =
        await call('GET', `/admin/audit?target_type=user&target_id=${user.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      for (const entry of page.body.data) {
        expect(entry).toMatchObject({ admin: 'ana', target_type: 'user', target_id: user.id });
        expect(entry.created_at).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
        seen.push(entry.reason);
      }
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['warning 5', 'warning 4', 'warning 3', 'warning 2', 'warning 1']);

    const all = await call('GET', '/admin/audit?action=user.warn&limit=100', { token });
    expect(all.body.data[0].details).toEqual({ warning_id: expect.any(Number), complaint_id: null });
    expect((await call('GET', '/admin/audit?cursor=garbage', { token })).body).toMatchObject({ error: 'invalid_request', field: 'cursor' });
    expect((await call('GET', '/admin/audit?limit=1000', { token })).body).toMatchObject({ field: 'limit' });
  });

  it('never logs the admin password or session token', () => {
    const text = logged.text();
    expect(text).toContain('admin request');
    expect(text).not.toContain(ADMIN_PASSWORD);
    expect(text).not.toContain(token);
  });
});
