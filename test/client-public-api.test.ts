// The client against the real public API on a fresh database: what a seller's script and a
// buyer's browser do, end to end.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/log.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import { buildPublicServer } from '../api/public/server.js';
import {
  AuthenticationError, ConflictError, Listing, NotFoundError, PermissionError, RateLimitError, Steveslist, ValidationError,
  type CreateListingParams, type User,
} from '../client/index.js';

let db: TestDatabase;
let app: FastifyInstance;
let baseUrl: string;
let anonymous: Steveslist;

const PASSWORD = 'correct horse battery';

function tv(n: number, overrides: Partial<CreateListingParams> = {}): CreateListingParams {
  return {
    name: `Samsung 55" TV #${n}`, description: 'Works, remote included.', category: 'electronics', country: 'US', city: 'Boston',
    price_amount: 25_000 + n, price_currency: 'usd', ...overrides,
  };
}

async function signedUp(name: string): Promise<{ client: Steveslist; user: User }> {
  const { user, session } = await anonymous.accounts.signUp({ email: `${name}@example.com`, password: PASSWORD, name });
  return { client: anonymous.withToken(session.token), user };
}

beforeAll(async () => {
  db = await createTestDatabase('client');
  app = await buildPublicServer({ pool: db.pool, log: silentLogger(), webhooksAllowPrivate: true });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  anonymous = new Steveslist({ baseUrl, retryBaseMs: 1 });
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('the client against the public API', () => {
  let seller: Steveslist;
  let sellerUser: User;
  let apiKey: string;
  const created: Listing[] = [];

  it('signs up, refuses a taken email, logs in and knows who is calling', async () => {
    const signUp = await anonymous.accounts.signUp({ email: 'Seller@Example.com', password: PASSWORD, name: 'Sam Seller', country: 'US', city: 'Boston' });
    expect(signUp.user).toMatchObject({ email: 'seller@example.com', name: 'Sam Seller', country: 'US', city: 'Boston', status: 'active' });
    expect(signUp.session).toEqual({ token: expect.stringMatching(/^sls_/), expires_in_s: 2_592_000 });

    const taken = await anonymous.accounts.signUp({ email: 'seller@example.com', password: PASSWORD, name: 'Sam Again' }).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(ConflictError);
    expect(taken).toMatchObject({ status: 409, code: 'conflict', field: 'email' });

    await expect(anonymous.accounts.logIn({ email: 'seller@example.com', password: 'not the password' })).rejects.toBeInstanceOf(AuthenticationError);
    const session = await anonymous.accounts.logIn({ email: 'seller@example.com', password: PASSWORD });
    expect(session).toMatchObject({ token: expect.stringMatching(/^sls_/), expires_in_s: 2_592_000, user: { id: signUp.user.id } });

    seller = anonymous.withToken(session.token);
    sellerUser = await seller.accounts.me();
    expect(sellerUser).toEqual(signUp.user);
    await expect(anonymous.accounts.me()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('creates an API key from the session, and a key cannot create keys', async () => {
    const key = await seller.apiKeys.create({ name: 'listing script' });
    expect(key).toMatchObject({ name: 'listing script', key: expect.stringMatching(/^slk_/), prefix: key.key.slice(0, 12) });
    apiKey = key.key;
    await expect(new Steveslist({ baseUrl, apiKey }).apiKeys.create({ name: 'another' })).rejects.toBeInstanceOf(PermissionError);
  });

  it('creates listings with the key in one call, and names the field at fault', async () => {
    const first = await Listing.create(tv(1), { apiKey, baseUrl });
    expect(first).toMatchObject({ ...tv(1), seller_id: sellerUser.id, status: 'active' });
    created.push(first);
    const keyed = new Steveslist({ baseUrl, apiKey });
    for (const n of [2, 3, 4]) created.push(await keyed.listings.create(tv(n)));
    created.push(await keyed.listings.create(tv(5, { status: 'draft' })));

    const invalid = await keyed.listings.create(tv(6, { price_currency: 'USD' })).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid).toMatchObject({ status: 400, code: 'invalid_request', field: 'price_currency' });
  });

  it('pages through my listings two at a time, newest first, drafts included', async () => {
    const first = await seller.listings.mine({ limit: 2 });
    expect(first.data.map((l) => l.id)).toEqual([created[4]!.id, created[3]!.id]);
    expect(first.next_cursor).toEqual(expect.any(String));

    const mine: number[] = [];
    for await (const listing of seller.listings.iterateMine({ limit: 2 })) mine.push(listing.id);
    expect(mine).toEqual(created.map((l) => l.id).reverse());

    const drafts: string[] = [];
    for await (const listing of seller.listings.iterateMine({ status: 'draft', limit: 2 })) drafts.push(listing.status);
    expect(drafts).toEqual(['draft']);
  });

  it('lists only active listings to anyone, and hides a draft from others', async () => {
    const active: number[] = [];
    for await (const listing of anonymous.listings.iterate({ seller_id: sellerUser.id, limit: 2 })) active.push(listing.id);
    expect(active).toEqual(created.slice(0, 4).map((l) => l.id).reverse());
    expect((await Listing.list({ category: 'electronics', limit: 1 }, { baseUrl })).data).toHaveLength(1);

    const draft = created[4]!;
    await expect(Listing.get(draft.id, { baseUrl })).rejects.toBeInstanceOf(NotFoundError);
    await expect(Listing.get(draft.id, { baseUrl, apiKey })).resolves.toMatchObject({ id: draft.id, status: 'draft' });
  });

  it('lets the seller alone update a listing', async () => {
    const listing = created[0]!;
    const updated = await seller.listings.update(listing.id, { price_amount: 19_900, description: 'Works; remote and wall mount included.' });
    expect(updated).toMatchObject({ id: listing.id, price_amount: 19_900, description: 'Works; remote and wall mount included.', name: listing.name });

    const { client: stranger } = await signedUp('stranger');
    const error = await stranger.listings.update(listing.id, { price_amount: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermissionError);
    expect(error).toMatchObject({ status: 403, code: 'forbidden' });
    await expect(stranger.listings.remove(listing.id)).rejects.toBeInstanceOf(PermissionError);
  });

  it('sells a listing once: the second buyer and the seller get a ConflictError, and only the parties see the order', async () => {
    const listing = created[0]!;
    const { client: buyer, user: buyerUser } = await signedUp('buyer');
    const order = await buyer.orders.place(listing.id);
    expect(order).toMatchObject({ listing_id: listing.id, buyer_id: buyerUser.id, seller_id: sellerUser.id, amount: 19_900, currency: 'usd', status: 'placed' });

    const { client: late } = await signedUp('late');
    const second = await late.orders.place(listing.id).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(ConflictError);
    expect(second).toMatchObject({ status: 409, code: 'conflict' });
    await expect(seller.orders.place(created[1]!.id)).rejects.toBeInstanceOf(ConflictError);

    await expect(buyer.orders.get(order.id)).resolves.toEqual(order);
    await expect(seller.orders.get(order.id)).resolves.toEqual(order);
    await expect(late.orders.get(order.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(buyer.orders.get(999_999_999)).rejects.toBeInstanceOf(NotFoundError);

    const sold: number[] = [];
    for await (const o of seller.orders.iterate({ role: 'seller', limit: 1 })) sold.push(o.id);
    expect(sold).toEqual([order.id]);
    expect((await buyer.orders.list({ role: 'seller' })).data).toEqual([]);

    await expect(anonymous.listings.get(listing.id)).resolves.toMatchObject({ status: 'sold' });
    await expect(seller.listings.update(listing.id, { price_amount: 1 })).rejects.toBeInstanceOf(ConflictError);
    await expect(late.orders.place(created[4]!.id)).rejects.toBeInstanceOf(NotFoundError);

    const message = await buyer.messages.send({ listing_id: listing.id, body: 'When can I pick it up?' });
    expect(message).toMatchObject({ listing_id: listing.id, sender_id: buyerUser.id, recipient_id: sellerUser.id, read_at: null });
    const inbox = [];
    for await (const m of seller.messages.iterate({ limit: 10 })) inbox.push(m);
    expect(inbox).toEqual([message]);

    const complaint = await late.complaints.file({ reason: 'spam', listing_id: created[1]!.id, details: 'Posted five times.' });
    // A complaint about a listing is also about its seller, so moderators see it under the user too.
    expect(complaint).toMatchObject({ listing_id: created[1]!.id, reported_user_id: sellerUser.id, reason: 'spam', details: 'Posted five times.', status: 'open' });
  });

  it('removes listings: gone for others; one with an order stays visible to its seller as removed', async () => {
    const [sold, unsold] = [created[0]!, created[2]!];
    await seller.listings.remove(unsold.id);
    await expect(anonymous.listings.get(unsold.id)).rejects.toBeInstanceOf(NotFoundError);
    await seller.listings.remove(sold.id);
    await expect(anonymous.listings.get(sold.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(seller.listings.get(sold.id)).resolves.toMatchObject({ status: 'removed' });
  });

  it('revokes the key and ends the session at once', async () => {
    const keys = await seller.apiKeys.list();
    expect(keys.data).toHaveLength(1);
    expect(keys.data[0]).toMatchObject({ name: 'listing script', prefix: apiKey.slice(0, 12), revoked_at: null, last_used_at: expect.any(String) });
    expect(keys.data[0]).not.toHaveProperty('key');

    await seller.apiKeys.revoke(keys.data[0]!.id);
    await expect(new Steveslist({ baseUrl, apiKey }).accounts.me()).rejects.toBeInstanceOf(AuthenticationError);
    expect((await seller.apiKeys.list()).data[0]!.revoked_at).toEqual(expect.any(String));

    await seller.accounts.logOut();
    await expect(seller.accounts.me()).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe('the client against the public API\'s limits', () => {
  let limited: FastifyInstance;
  let limitedUrl: string;

  beforeAll(async () => {
    limited = await buildPublicServer({ pool: db.pool, log: silentLogger(), rateLimit: { perMinute: 2, authPerMinute: 30 } });
    limitedUrl = await limited.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => limited?.close());

  it('gives a RateLimitError with the server\'s Retry-After once retries are spent', async () => {
    const client = new Steveslist({ baseUrl: limitedUrl, maxRetries: 0 });
    await client.listings.list();
    await client.listings.list();
    const error = await client.listings.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: expect.any(Number) });
    expect((error as RateLimitError).retryAfterSeconds).toBeGreaterThan(0);
  });

  it('gives a ValidationError for a body over 1 MiB', async () => {
    const error = await anonymous.listings.create(tv(7, { description: 'x'.repeat(1024 * 1024 + 1) })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ status: 413, code: 'invalid_request' });
  });
});

describe('webhook endpoints through the client', () => {
  it('creates, edits, tests, lists deliveries, rotates and removes an endpoint', async () => {
    const { client } = await signedUp('hooked');
    const endpoint = await client.webhookEndpoints.create({ url: 'http://127.0.0.1:9/steveslist', event_types: ['order.placed'] });
    expect(endpoint).toMatchObject({ url: 'http://127.0.0.1:9/steveslist', event_types: ['order.placed'], enabled: true });
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect((await client.webhookEndpoints.list()).data.map((e) => e.id)).toEqual([endpoint.id]);
    expect(await client.webhookEndpoints.get(endpoint.id)).not.toHaveProperty('secret');
    expect(await client.webhookEndpoints.update(endpoint.id, { description: 'orders' })).toMatchObject({ description: 'orders' });
    await expect(client.webhookEndpoints.create({ url: 'gopher://example.com' })).rejects.toMatchObject({ status: 400, field: 'url' });

    const test = await client.webhookEndpoints.sendTest(endpoint.id);
    expect(test).toMatchObject({ endpoint_id: endpoint.id, event_type: 'webhook.test', status: 'pending' });
    const seen = [];
    for await (const delivery of client.webhookEndpoints.iterateDeliveries(endpoint.id, { limit: 1 })) seen.push(delivery.id);
    expect(seen).toEqual([test.id]);
    expect(await client.webhookEndpoints.delivery(test.id)).toMatchObject({ id: test.id, attempt_log: [] });
    // No sender runs here: the delivery is still pending, so there is nothing to replay yet.
    await expect(client.webhookEndpoints.replay(test.id)).rejects.toBeInstanceOf(ConflictError);
    expect(await client.webhookEndpoints.replayFailedSince(endpoint.id, new Date(0))).toEqual({ replayed: 0 });

    const rotated = await client.webhookEndpoints.rotateSecret(endpoint.id, { overlap_hours: 1 });
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(rotated.previous_secret_expires_at).not.toBeNull();
    await client.webhookEndpoints.remove(endpoint.id);
    await expect(client.webhookEndpoints.get(endpoint.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});
