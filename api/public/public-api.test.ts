// The public API v1 over real HTTP against a real MariaDB: each endpoint, auth failures,
// validation errors, the concurrent double purchase, and the outbox rows written with each write.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCKOUT_AFTER_FAILURES } from '../../marketplace/auth/user-accounts.js';
import type { RowDataPacket } from '../../marketplace/mysql/connection.js';
import { capturedLog } from '../../test/fixtures/captured-log.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { httpClient } from '../../test/fixtures/http-client.js';
import { buildPublicServer } from './server.js';

let db: TestDatabase;
let app: FastifyInstance;
let call: ReturnType<typeof httpClient>;
const logged = capturedLog('debug');
/** Every secret the run handles; none may appear in its log. */
const secrets: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildPublicServer({ pool: db.pool, log: logged.log, rateLimit: { perMinute: 100_000, authPerMinute: 100_000 } });
  call = httpClient(await app.listen({ host: '127.0.0.1', port: 0 }));
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

let accounts = 0;
async function signUp(name = 'Zoë Müller') {
  const email = `user${++accounts}-${Date.now()}@example.com`;
  const password = `pw-${accounts}-correct horse`;
  secrets.push(password);
  const response = await call('POST', '/v1/users', { body: { email, password, name, country: 'DE', city: 'Köln' } });
  expect(response.status).toBe(201);
  secrets.push(response.body.session.token);
  return { id: response.body.user.id as number, email, password, token: response.body.session.token as string };
}

async function outbox(aggregateId: number, type: string): Promise<Record<string, unknown>[]> {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT payload FROM outbox WHERE aggregate_id = ? AND type = ?', [String(aggregateId), type]);
  return rows.map((row) => (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<string, unknown>);
}

const tv = {
  name: 'Samsung 55" TV', description: 'Works, remote included.', category: 'electronics',
  country: 'US', city: 'Boston', price_amount: 25000, price_currency: 'usd',
};

describe('accounts', () => {
  it('signs up with a session token and user.signed_up in the outbox; the email is taken after', async () => {
    const user = await signUp('Zoë 🚲');
    expect(user.token).toMatch(/^sls_[A-Za-z0-9_-]{43}$/);
    const me = await call('GET', '/v1/me', { token: user.token });
    expect(me.body).toMatchObject({ id: user.id, email: user.email, name: 'Zoë 🚲', country: 'DE', city: 'Köln', status: 'active' });
    expect(me.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(me.body).not.toHaveProperty('password_hash');
    expect(await outbox(user.id, 'user.signed_up')).toHaveLength(1);
    const again = await call('POST', '/v1/users', { body: { email: user.email.toUpperCase(), password: 'another password', name: 'X' } });
    expect(again).toMatchObject({ status: 409, body: { error: 'conflict', field: 'email' } });
  });

  it('stores a scrypt hash and a token hash, never the password or the token', async () => {
    const user = await signUp();
    const [[credentials]] = await db.pool.query<RowDataPacket[]>('SELECT password_hash FROM user_credentials WHERE user_id = ?', [user.id]);
    expect(credentials!.password_hash).toMatch(/^scrypt\$N=32768,r=8,p=1\$/);
    const [sessions] = await db.pool.query<RowDataPacket[]>('SELECT token_hash FROM user_sessions WHERE user_id = ?', [user.id]);
    expect(sessions.map((row) => row.token_hash)).not.toContain(user.token);
    expect(sessions[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses bad sign-ups with the field and the reason', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ email: 'not-an-email', password: 'long enough', name: 'A' }, 'email'],
      [{ email: 'a@example.com', password: 'short', name: 'A' }, 'password'],
      [{ email: 'a@example.com', password: 'long enough' }, 'name'],
      [{ email: 'a@example.com', password: 'long enough', name: '   ' }, 'name'],
      [{ email: 'a@example.com', password: 'long enough', name: 'A', country: 'Germany' }, 'country'],
      [{ email: 'a@example.com', password: 'long enough', name: 'A', is_admin: true }, 'is_admin'],
    ];
    for (const [body, field] of cases) {
      const response = await call('POST', '/v1/users', { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body).toMatchObject({ error: 'invalid_request', field });
      expect(response.body.message).toContain(field);
    }
  });

  it('logs in, logs out, and refuses the ended session', async () => {
    const user = await signUp();
    const wrong = await call('POST', '/v1/sessions', { body: { email: user.email, password: 'wrong password' } });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'unauthorized', message: 'wrong email or password' } });
    const nobody = await call('POST', '/v1/sessions', { body: { email: 'nobody@example.com', password: 'wrong password' } });
    expect(nobody.body.message).toBe('wrong email or password');
    const session = await call('POST', '/v1/sessions', { body: { email: user.email, password: user.password } });
    expect(session).toMatchObject({ status: 201, body: { user: { id: user.id }, expires_in_s: 30 * 86400 } });
    secrets.push(session.body.token);
    expect((await call('DELETE', '/v1/sessions/current', { token: session.body.token })).status).toBe(204);
    expect((await call('GET', '/v1/me', { token: session.body.token })).status).toBe(401);
    expect((await call('GET', '/v1/me', { token: user.token })).status).toBe(200);
  });

  it(`locks log-in after ${LOCKOUT_AFTER_FAILURES} wrong passwords in a row, even for the right one`, async () => {
    const user = await signUp();
    for (let i = 0; i < LOCKOUT_AFTER_FAILURES; i++) {
      expect((await call('POST', '/v1/sessions', { body: { email: user.email, password: `guess ${i}` } })).status).toBe(401);
    }
    const right = await call('POST', '/v1/sessions', { body: { email: user.email, password: user.password } });
    expect(right.status).toBe(401);
    expect(right.body.message).toMatch(/locked/);
  });

  it('refuses a suspended account', async () => {
    const user = await signUp();
    await db.pool.query("UPDATE users SET status = 'suspended' WHERE id = ?", [user.id]);
    expect(await call('GET', '/v1/me', { token: user.token })).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    const login = await call('POST', '/v1/sessions', { body: { email: user.email, password: user.password } });
    expect(login.status).toBe(403);
  });
});

describe('API keys', () => {
  it('are shown once, stored hashed with a visible prefix, work in both headers, and die when revoked', async () => {
    const user = await signUp();
    const created = await call('POST', '/v1/api-keys', { token: user.token, body: { name: 'shop sync' } });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    secrets.push(key);
    expect(key).toMatch(/^slk_[A-Za-z0-9_-]{43}$/);
    expect(created.body.prefix).toBe(key.slice(0, 12));
    const [[stored]] = await db.pool.query<RowDataPacket[]>('SELECT prefix, key_hash FROM api_keys WHERE id = ?', [created.body.id]);
    expect(stored!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(key);

    const listed = await call('GET', '/v1/api-keys', { token: user.token });
    expect(listed.body.data).toEqual([expect.objectContaining({ id: created.body.id, name: 'shop sync', prefix: key.slice(0, 12), revoked_at: null })]);
    expect(listed.body.data[0]).not.toHaveProperty('key');

    expect((await call('GET', '/v1/me', { apiKey: key })).body.id).toBe(user.id);
    expect((await call('GET', '/v1/me', { headers: { authorization: `Bearer ${key}` } })).body.id).toBe(user.id);
    // A key cannot mint more keys: a leaked key must not outlive its revocation.
    expect((await call('POST', '/v1/api-keys', { apiKey: key, body: { name: 'x' } })).status).toBe(403);

    expect((await call('DELETE', `/v1/api-keys/${created.body.id}`, { token: user.token })).status).toBe(204);
    expect(await call('GET', '/v1/me', { apiKey: key })).toMatchObject({ status: 401, body: { message: 'the API key is wrong or revoked' } });
    const other = await signUp();
    expect((await call('DELETE', `/v1/api-keys/${created.body.id}`, { token: other.token })).status).toBe(404);
  });

  it('answers 401 without a credential and with a made-up one', async () => {
    expect(await call('POST', '/v1/listings', { body: tv })).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect((await call('POST', '/v1/listings', { body: tv, apiKey: 'slk_madeup' })).status).toBe(401);
    expect((await call('POST', '/v1/listings', { body: tv, token: 'sls_madeup' })).status).toBe(401);
  });
});

describe('listings', () => {
  it('creates, reads, edits and removes, with listing.created/updated/removed in the outbox', async () => {
    const seller = await signUp();
    const created = await call('POST', '/v1/listings', { token: seller.token, body: tv });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...tv, seller_id: seller.id, status: 'active' });
    expect(created.headers.get('location')).toBe(`/v1/listings/${created.body.id}`);
    const id = created.body.id as number;
    expect(await outbox(id, 'listing.created')).toEqual([expect.objectContaining({ name: tv.name, price_amount: 25000 })]);

    expect((await call('GET', `/v1/listings/${id}`)).body).toEqual(created.body);

    const edited = await call('PATCH', `/v1/listings/${id}`, { token: seller.token, body: { price_amount: 19900 } });
    expect(edited).toMatchObject({ status: 200, body: { id, price_amount: 19900 } });
    expect((await outbox(id, 'listing.updated'))[0]).toMatchObject({ changed: { price_amount: { from: 25000, to: 19900 } } });

    const stranger = await signUp();
    expect(await call('PATCH', `/v1/listings/${id}`, { token: stranger.token, body: { price_amount: 1 } })).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect((await call('DELETE', `/v1/listings/${id}`, { token: stranger.token })).status).toBe(403);

    expect((await call('DELETE', `/v1/listings/${id}`, { token: seller.token })).status).toBe(204);
    expect((await call('GET', `/v1/listings/${id}`)).status).toBe(404);
    expect(await outbox(id, 'listing.removed')).toEqual([expect.objectContaining({ outcome: 'deleted' })]);
  });

  it('answers an unknown route with the error shape', async () => {
    expect(await call('GET', '/v1/no-such-thing')).toMatchObject({ status: 404, body: { error: 'not_found', message: expect.stringContaining('/v1/no-such-thing') } });
  });

  it('keeps drafts to their seller', async () => {
    const seller = await signUp();
    const draft = await call('POST', '/v1/listings', { token: seller.token, body: { ...tv, status: 'draft' } });
    expect(draft.body.status).toBe('draft');
    expect((await call('GET', `/v1/listings/${draft.body.id}`)).status).toBe(404);
    expect((await call('GET', `/v1/listings/${draft.body.id}`, { token: seller.token })).status).toBe(200);
    const buyer = await signUp();
    expect((await call('POST', `/v1/listings/${draft.body.id}/orders`, { token: buyer.token })).status).toBe(404);
  });

  it('refuses bad listings with the field and the reason', async () => {
    const seller = await signUp();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...tv, price_amount: '25000' }, 'price_amount'],
      [{ ...tv, price_amount: 12.5 }, 'price_amount'],
      [{ ...tv, price_amount: -1 }, 'price_amount'],
      [{ ...tv, price_currency: 'USD' }, 'price_currency'],
      [{ ...tv, country: 'usa' }, 'country'],
      [{ ...tv, name: '' }, 'name'],
      [{ ...tv, status: 'sold' }, 'status'],
      [{ ...tv, seller_id: 1 }, 'seller_id'],
      [(({ category: _c, ...rest }) => rest)(tv), 'category'],
    ];
    for (const [body, field] of cases) {
      const response = await call('POST', '/v1/listings', { token: seller.token, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body).toMatchObject({ error: 'invalid_request', field });
    }
    expect((await call('PATCH', '/v1/listings/1', { token: seller.token, body: {} })).status).toBe(400);
    expect(await call('GET', '/v1/listings/abc')).toMatchObject({ status: 400, body: { field: 'id' } });
  });

  it('pages through active listings and my listings with cursors', async () => {
    const seller = await signUp();
    const ids: number[] = [];
    // Categories are the served ones: this seller's bikes are told apart by the seller filter.
    for (let i = 0; i < 5; i++) ids.push((await call('POST', '/v1/listings', { token: seller.token, body: { ...tv, name: `Bike ${i}`, category: 'bikes' } })).body.id);
    await call('POST', '/v1/listings', { token: seller.token, body: { ...tv, category: 'bikes', status: 'draft' } });
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { body: { data: { id: number }[]; next_cursor: string | null } } = await call('GET', `/v1/listings?category=bikes&seller_id=${seller.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.data.map((l) => l.id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect(pages).toBe(3);
    const mine = await call('GET', '/v1/me/listings?limit=100', { token: seller.token });
    expect(mine.body.data).toHaveLength(6);
    expect((await call('GET', '/v1/me/listings?status=draft', { token: seller.token })).body.data).toHaveLength(1);
    expect(await call('GET', '/v1/listings?cursor=bm90LWEtY3Vyc29y')).toMatchObject({ status: 400, body: { field: 'cursor' } });
  });
});

describe('orders', () => {
  it('sells a listing once: of two buyers at the same moment exactly one wins, the other gets 409', async () => {
    const seller = await signUp();
    const [a, b] = await Promise.all([signUp(), signUp()]);
    const listing = (await call('POST', '/v1/listings', { token: seller.token, body: tv })).body;
    const results = await Promise.all([a, b].map((buyer) => call('POST', `/v1/listings/${listing.id}/orders`, { token: buyer!.token })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const won = results.find((r) => r.status === 201)!.body;
    expect(won).toMatchObject({ listing_id: listing.id, seller_id: seller.id, amount: 25000, currency: 'usd', status: 'placed' });
    expect(results.find((r) => r.status === 409)!.body).toMatchObject({ error: 'conflict', message: expect.stringContaining('sold') });
    expect(await outbox(won.id, 'order.placed')).toEqual([expect.objectContaining({ listing_id: listing.id, amount: 25000 })]);
    expect((await call('GET', `/v1/listings/${listing.id}`)).body.status).toBe('sold');
    const [orders] = await db.pool.query<RowDataPacket[]>('SELECT id FROM orders WHERE listing_id = ?', [listing.id]);
    expect(orders).toHaveLength(1);

    const buyer = won.buyer_id === a!.id ? a! : b!;
    expect((await call('GET', '/v1/orders?role=buyer', { token: buyer.token })).body.data).toEqual([won]);
    expect((await call('GET', '/v1/orders?role=seller', { token: seller.token })).body.data).toEqual([won]);
    expect((await call('GET', `/v1/orders/${won.id}`, { token: seller.token })).body).toEqual(won);
    const stranger = await signUp();
    expect((await call('GET', `/v1/orders/${won.id}`, { token: stranger.token })).status).toBe(404);
    expect((await call('PATCH', `/v1/listings/${listing.id}`, { token: seller.token, body: { price_amount: 1 } })).status).toBe(409);

    // A sold listing is kept when its seller removes it: the order still points at it.
    expect((await call('DELETE', `/v1/listings/${listing.id}`, { token: seller.token })).status).toBe(204);
    expect((await call('GET', `/v1/listings/${listing.id}`, { token: seller.token })).body.status).toBe('removed');
    expect((await call('GET', `/v1/listings/${listing.id}`)).status).toBe(404);
    expect((await outbox(listing.id, 'listing.removed'))[0]).toMatchObject({ outcome: 'removed', removed_by: 'seller' });
  });

  it('does not let sellers buy their own listing', async () => {
    const seller = await signUp();
    const listing = (await call('POST', '/v1/listings', { token: seller.token, body: tv })).body;
    expect((await call('POST', `/v1/listings/${listing.id}/orders`, { token: seller.token })).status).toBe(409);
    expect((await call('POST', '/v1/listings/999999999/orders', { token: seller.token })).status).toBe(404);
  });
});

describe('messages and complaints', () => {
  it('sends a message to a listing\'s seller with message.received, and lists it for both', async () => {
    const [seller, buyer] = [await signUp(), await signUp()];
    const listing = (await call('POST', '/v1/listings', { token: seller.token, body: tv })).body;
    const sent = await call('POST', '/v1/messages', { token: buyer.token, body: { listing_id: listing.id, body: 'Is it still available?' } });
    expect(sent).toMatchObject({ status: 201, body: { listing_id: listing.id, sender_id: buyer.id, recipient_id: seller.id, read_at: null } });
    expect(await outbox(sent.body.id, 'message.received')).toHaveLength(1);
    expect((await call('GET', '/v1/messages', { token: seller.token })).body.data).toEqual([sent.body]);
    expect((await call('GET', '/v1/messages', { token: buyer.token })).body.data).toEqual([sent.body]);
    const reply = await call('POST', '/v1/messages', { token: seller.token, body: { recipient_id: buyer.id, listing_id: listing.id, body: 'Yes!' } });
    expect(reply.body.recipient_id).toBe(buyer.id);
    expect(await call('POST', '/v1/messages', { token: buyer.token, body: { body: 'to whom?' } })).toMatchObject({ status: 400, body: { field: 'recipient_id' } });
    expect((await call('POST', '/v1/messages', { token: buyer.token, body: { recipient_id: buyer.id, body: 'me' } })).status).toBe(400);
    expect((await call('POST', '/v1/messages', { token: buyer.token, body: { recipient_id: 999999999, body: 'ghost' } })).status).toBe(404);
  });

  it('files a complaint about a listing against its seller, with complaint.filed', async () => {
    const [seller, reporter] = [await signUp(), await signUp()];
    const listing = (await call('POST', '/v1/listings', { token: seller.token, body: tv })).body;
    const filed = await call('POST', '/v1/complaints', { token: reporter.token, body: { listing_id: listing.id, reason: 'fraud', details: 'asks for payment by gift card' } });
    expect(filed).toMatchObject({ status: 201, body: { reporter_id: reporter.id, listing_id: listing.id, reported_user_id: seller.id, reason: 'fraud', status: 'open' } });
    expect(await outbox(filed.body.id, 'complaint.filed')).toHaveLength(1);
    expect((await call('POST', '/v1/complaints', { token: reporter.token, body: { reason: 'spam' } })).body.field).toBe('listing_id');
    expect((await call('POST', '/v1/complaints', { token: reporter.token, body: { user_id: seller.id, reason: 'rude' } })).body.field).toBe('reason');
  });
});

describe('the HTTP surface', () => {
  it('serves an OpenAPI 3 document naming every route', async () => {
    const doc = await call('GET', '/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.0.3');
    for (const path of ['/v1/users', '/v1/sessions', '/v1/api-keys', '/v1/listings', '/v1/listings/{id}', '/v1/listings/{id}/orders', '/v1/orders', '/v1/messages', '/v1/complaints', '/v1/me/listings']) {
      expect(Object.keys(doc.body.paths), path).toContain(path);
    }
    expect(doc.body.paths['/v1/listings'].post.requestBody.content['application/json'].schema.required).toContain('price_amount');
  });

  it('answers bad JSON, wrong content types and huge bodies with 4xx, never 500', async () => {
    const user = await signUp();
    expect((await call('POST', '/v1/listings', { token: user.token, raw: { text: '{"name": ', contentType: 'application/json' } })).status).toBe(400);
    expect((await call('POST', '/v1/listings', { token: user.token, raw: { text: 'name=x', contentType: 'application/x-www-form-urlencoded' } })).status).toBe(415);
    expect((await call('POST', '/v1/listings', { token: user.token, body: { ...tv, description: 'x'.repeat(2 * 1024 * 1024) } })).status).toBe(413);
  });

  it('rate-limits per credential and per IP, with Retry-After', async () => {
    const limited = await buildPublicServer({ pool: db.pool, log: logged.log, rateLimit: { perMinute: 3, authPerMinute: 2 } });
    try {
      const limitedCall = httpClient(await limited.listen({ host: '127.0.0.1', port: 0 }));
      const user = await signUp();
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await limitedCall('GET', '/v1/me', { token: user.token })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await limitedCall('GET', '/v1/me', { token: user.token });
      expect(refused.body).toMatchObject({ error: 'rate_limited' });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another credential has its own allowance.
      const other = await signUp();
      expect((await limitedCall('GET', '/v1/me', { token: other.token })).status).toBe(200);
      const logins = [];
      for (let i = 0; i < 3; i++) logins.push((await limitedCall('POST', '/v1/sessions', { body: { email: user.email, password: 'wrong password' } })).status);
      expect(logins).toEqual([401, 401, 429]);
    } finally {
      await limited.close();
    }
  });

  it('counts anonymous requests per the client a trusted proxy names, and ignores the header from any other peer', async () => {
    const anonymous = (client: ReturnType<typeof httpClient>, forwardedFor: string) => client('GET', '/v1/listings', { headers: { 'x-forwarded-for': forwardedFor } });
    const behindProxy = await buildPublicServer({ pool: db.pool, log: logged.log, rateLimit: { perMinute: 2, authPerMinute: 2 }, trustedProxies: ['127.0.0.1'] });
    const direct = await buildPublicServer({ pool: db.pool, log: logged.log, rateLimit: { perMinute: 2, authPerMinute: 2 } });
    try {
      // The test's requests come from 127.0.0.1, the trusted balancer here.
      const viaProxy = httpClient(await behindProxy.listen({ host: '127.0.0.1', port: 0 }));
      const first = [];
      for (let i = 0; i < 3; i++) first.push((await anonymous(viaProxy, '203.0.113.5')).status);
      expect(first).toEqual([200, 200, 429]);
      expect((await anonymous(viaProxy, '203.0.113.6')).status).toBe(200);

      // Not a trusted peer: a client naming a new address each time still has one allowance.
      const unproxied = httpClient(await direct.listen({ host: '127.0.0.1', port: 0 }));
      const spoofed = [];
      for (let i = 0; i < 3; i++) spoofed.push((await anonymous(unproxied, `198.51.100.${i}`)).status);
      expect(spoofed).toEqual([200, 200, 429]);
    } finally {
      await behindProxy.close();
      await direct.close();
    }
  });
});

describe('the log of this whole run', () => {
  it('holds no password, session token or API key', () => {
    const text = logged.text();
    expect(text).toContain('incoming request');
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/sl[sk]_[A-Za-z0-9_-]{43}/);
  });
});
