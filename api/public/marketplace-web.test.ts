// What the web app's pages need from the public API, over real HTTP against a real MariaDB:
// conversations with unread counts, orders that name the other party, the form's choices, a
// member's public profile, and 400 messages a person can act on.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { httpClient } from '../../test/fixtures/http-client.js';
import { buildPublicServer } from './server.js';

let db: TestDatabase;
let app: FastifyInstance;
let call: ReturnType<typeof httpClient>;

beforeAll(async () => {
  db = await createTestDatabase('web');
  app = await buildPublicServer({ pool: db.pool, log: silentLogger(), rateLimit: { perMinute: 100_000, authPerMinute: 100_000 } });
  call = httpClient(await app.listen({ host: '127.0.0.1', port: 0 }));
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

let accounts = 0;
async function signUp(name: string): Promise<{ id: number; token: string }> {
  const response = await call('POST', '/v1/users', { body: { email: `web${++accounts}-${Date.now()}@example.com`, password: 'correct horse battery', name } });
  expect(response.status).toBe(201);
  return { id: response.body.user.id, token: response.body.session.token };
}

const bike = { name: 'Road bike', description: 'Steel, 56 cm.', category: 'bikes', country: 'DE', city: 'Berlin', price_amount: 30_000, price_currency: 'eur' };

async function listed(token: string, overrides: Record<string, unknown> = {}): Promise<number> {
  const response = await call('POST', '/v1/listings', { token, body: { ...bike, ...overrides } });
  expect(response.status).toBe(201);
  return response.body.id;
}

describe('conversations', () => {
  it('groups messages by listing and counterpart, counts what is unread, and marks a thread read', async () => {
    const seller = await signUp('Sam Seller');
    const buyer = await signUp('Bea Buyer');
    const other = await signUp('Cy Curious');
    const listing = await listed(seller.token);

    expect((await call('POST', '/v1/messages', { token: buyer.token, body: { listing_id: listing, body: 'Is it still available?' } })).status).toBe(201);
    expect((await call('POST', '/v1/messages', { token: buyer.token, body: { listing_id: listing, body: 'I can pick it up today.' } })).status).toBe(201);
    expect((await call('POST', '/v1/messages', { token: other.token, body: { listing_id: listing, body: 'Would you take 250?' } })).status).toBe(201);

    expect((await call('GET', '/v1/messages/unread-count', { token: seller.token })).body).toEqual({ unread: 3 });
    const threads = await call('GET', '/v1/message-threads', { token: seller.token });
    expect(threads.status).toBe(200);
    expect(threads.body.data).toMatchObject([
      { listing_id: listing, listing_name: 'Road bike', counterpart_id: other.id, counterpart_name: 'Cy Curious', last_body: 'Would you take 250?', unread: 1 },
      { listing_id: listing, listing_name: 'Road bike', counterpart_id: buyer.id, counterpart_name: 'Bea Buyer', last_body: 'I can pick it up today.', unread: 2 },
    ]);

    // The seller answers the buyer about the same listing: the same thread on both sides.
    expect((await call('POST', '/v1/messages', { token: seller.token, body: { listing_id: listing, recipient_id: buyer.id, body: 'Yes, come by at six.' } })).status).toBe(201);
    const thread = await call('GET', `/v1/message-threads/messages?with=${seller.id}&listing_id=${listing}`, { token: buyer.token });
    expect(thread.body.data.map((m: { body: string }) => m.body)).toEqual(['Is it still available?', 'I can pick it up today.', 'Yes, come by at six.']);
    expect((await call('GET', '/v1/message-threads', { token: buyer.token })).body.data).toMatchObject([
      { counterpart_name: 'Sam Seller', last_body: 'Yes, come by at six.', last_sender_id: seller.id, unread: 1 },
    ]);

    expect((await call('POST', `/v1/message-threads/read?with=${buyer.id}&listing_id=${listing}`, { token: seller.token })).body).toEqual({ marked: 2 });
    expect((await call('GET', '/v1/messages/unread-count', { token: seller.token })).body).toEqual({ unread: 1 });
    // A thread about no listing is another thread.
    expect((await call('GET', `/v1/message-threads/messages?with=${buyer.id}`, { token: seller.token })).body.data).toEqual([]);
  });

  it('pages through threads', async () => {
    const me = await signUp('Pat Popular');
    for (let i = 0; i < 3; i++) {
      const writer = await signUp(`Writer ${i}`);
      await call('POST', '/v1/messages', { token: writer.token, body: { recipient_id: me.id, body: `hello ${i}` } });
    }
    const first = await call('GET', '/v1/message-threads?limit=2', { token: me.token });
    expect(first.body.data.map((t: { last_body: string }) => t.last_body)).toEqual(['hello 2', 'hello 1']);
    const second = await call('GET', `/v1/message-threads?limit=2&cursor=${first.body.next_cursor}`, { token: me.token });
    expect(second.body).toMatchObject({ data: [{ last_body: 'hello 0', listing_id: null }], next_cursor: null });
  });
});

describe('orders', () => {
  it('name the listing, the buyer and the seller, with the price paid', async () => {
    const seller = await signUp('Sol Seller');
    const buyer = await signUp('Bo Buyer');
    const listing = await listed(seller.token, { name: 'Oak table', category: 'furniture', price_amount: 12_345 });
    const placed = await call('POST', `/v1/listings/${listing}/orders`, { token: buyer.token });
    expect(placed.status).toBe(201);
    // The price changes after the sale cannot: the order keeps what was paid.
    const expected = { listing_id: listing, listing_name: 'Oak table', buyer_name: 'Bo Buyer', seller_name: 'Sol Seller', amount: 12_345, currency: 'eur', status: 'placed' };
    expect(placed.body).toMatchObject(expected);
    expect((await call('GET', '/v1/orders?role=seller', { token: seller.token })).body.data).toMatchObject([expected]);
    expect((await call('GET', '/v1/orders?role=buyer', { token: buyer.token })).body.data).toMatchObject([expected]);
  });
});

describe('forms', () => {
  it('serves the categories, currencies and countries to offer', async () => {
    const response = await call('GET', '/v1/form-options');
    expect(response.status).toBe(200);
    expect(response.body.categories).toContainEqual({ value: 'electronics', label: 'Electronics' });
    expect(response.body.currencies).toContainEqual({ value: 'gbp', label: 'Pound sterling (GBP)' });
    expect(response.body.countries).toContainEqual({ value: 'CA', label: 'Canada', currency: 'cad' });
  });

  it.each([
    [{ category: 'Home & Garden' }, 'category', 'category: choose a category, e.g. electronics or furniture'],
    [{ category: 'gadgets' }, 'category', 'category: choose a category: electronics, furniture, home-garden, clothing, bikes, vehicles, sports, housing, books, music, toys or other'],
    [{ category: '' }, 'category', 'category: choose a category'],
    [{ category: undefined }, 'category', 'category: choose a category'],
    [{ price_currency: 'dollars' }, 'price_currency', 'price_currency: choose a currency: a three-letter code such as usd, eur or gbp'],
    [{ country: 'Germany' }, 'country', 'country: choose a country: two letters such as US, GB or DE'],
    [{ price_amount: 'twelve' }, 'price_amount', 'price_amount: must be a whole number'],
    [{ price_amount: -1 }, 'price_amount', 'price_amount: enter a price of 0 or more'],
    [{ name: '   ' }, 'name', 'name: must not be blank'],
    [{ name: 'x'.repeat(201) }, 'name', 'name: must be at most 200 characters'],
    [{ status: 'sold' }, 'status', 'status: choose one of active, draft'],
  ])('answers %j with a 400 naming the field and what to do', async (change, field, message) => {
    const seller = await signUp('Val Validated');
    const response = await call('POST', '/v1/listings', { token: seller.token, body: { ...bike, ...change } });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe(field);
    expect(response.body.message).toContain(message);
    expect(response.body.message).not.toMatch(/pattern|must be >=|\^/);
  });
});

describe('categories', () => {
  it('refuses a change to a category the forms do not offer, and takes a served one', async () => {
    const seller = await signUp('Cat Changer');
    const id = await listed(seller.token);
    const refused = await call('PATCH', `/v1/listings/${id}`, { token: seller.token, body: { category: 'gadgets' } });
    expect(refused).toMatchObject({ status: 400, body: { field: 'category' } });
    expect(refused.body.message).toMatch(/^category: choose a category: electronics, .+ or other/);
    const changed = await call('PATCH', `/v1/listings/${id}`, { token: seller.token, body: { category: 'sports' } });
    expect(changed).toMatchObject({ status: 200, body: { category: 'sports' } });
  });
});

describe('profiles', () => {
  it('show another member their name and place, never the email, and only to members', async () => {
    const seller = await signUp('Pia Profile');
    const viewer = await signUp('Vic Viewer');
    const response = await call('GET', `/v1/users/${seller.id}`, { token: viewer.token });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: seller.id, name: 'Pia Profile' });
    expect(response.body).not.toHaveProperty('email');
    expect((await call('GET', `/v1/users/${seller.id}`)).status).toBe(401);
    expect((await call('GET', '/v1/users/999999999', { token: viewer.token })).status).toBe(404);
  });
});
