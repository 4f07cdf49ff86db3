// The client against a real HTTP server whose answers each test scripts: retries, backoff,
// error mapping, credentials and pagination as the server sees them.
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AuthenticationError, ConflictError, ConnectionError, NotFoundError, PermissionError, RateLimitError,
  ServiceUnavailableError, Steveslist, SteveslistError, ValidationError, paginate, type Listing,
} from './index.js';
import { until } from './testing/until.js';
import type { CreateListingParams } from './types.js';
import { hang, json, noContent, reset, startScriptedServer, text, type ScriptedServer } from './testing/scripted-server.js';

const API_KEY = 'slk_test_0123456789abcdef';
const TOKEN = 'sls_test_fedcba9876543210';

let server: ScriptedServer;
beforeAll(async () => {
  server = await startScriptedServer();
});
afterAll(() => server.close());
beforeEach(() => server.script());

function client(options: ConstructorParameters<typeof Steveslist>[0] = {}): Steveslist {
  return new Steveslist({ baseUrl: server.url, retryBaseMs: 1, ...options });
}

const listing: Listing = {
  id: 1, seller_id: 7, name: 'Lamp', description: 'Brass.', category: 'home', country: 'US', city: 'Boston', latitude: 42.35843, longitude: -71.05977,
  price_amount: 1500, price_currency: 'usd', status: 'active', created_at: '2025-01-01T00:00:00.000Z', updated_at: '2025-01-01T00:00:00.000Z',
};
const lamp: CreateListingParams = { name: 'Lamp', description: 'Brass.', category: 'home', country: 'US', city: 'Boston', price_amount: 1500, price_currency: 'usd' };
const unavailable = { error: 'unavailable', message: 'a service this request needs is unavailable; try again shortly' };
const limited = { error: 'rate_limited', message: 'too many requests; retry in 0 s' };

describe('retries', () => {
  it('retries a 503 until the API answers', async () => {
    server.script(json(503, unavailable), json(503, unavailable), json(200, listing));
    await expect(client().listings.get(1)).resolves.toEqual(listing);
    expect(server.received.map((r) => `${r.method} ${r.url}`)).toEqual(Array(3).fill('GET /v1/listings/1'));
  });

  it('retries a 429 after the Retry-After the server sent, POST included', async () => {
    server.script(json(429, limited, { 'retry-after': '0' }), json(201, listing));
    await expect(client().listings.create(lamp)).resolves.toEqual(listing);
    expect(server.received).toHaveLength(2);
    expect(JSON.parse(server.received[1]!.body)).toMatchObject({ name: 'Lamp', price_amount: 1500 });
  });

  it('gives up after maxRetries and throws the last error, with the Retry-After it carried', async () => {
    server.script(...Array(5).fill(json(429, limited, { 'retry-after': '0' })));
    const error = await client({ maxRetries: 2 }).listings.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', message: limited.message, retryAfterSeconds: 0, retriable: true });
    expect(server.received).toHaveLength(3);
  });

  it('makes one attempt when maxRetries is 0', async () => {
    server.script(json(503, unavailable), json(200, listing));
    await expect(client({ maxRetries: 0 }).listings.get(1)).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(server.received).toHaveLength(1);
  });

  it('does not repeat a POST whose connection was reset: the order may have been placed', async () => {
    server.script(reset(), json(201, { id: 1 }));
    const error = await client().orders.place(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ status: undefined, timedOut: false, request: 'POST /v1/listings/1/orders' });
    expect(server.received).toHaveLength(1);
  });

  it('repeats a GET and a DELETE whose connection was reset', async () => {
    server.script(reset(), json(200, listing));
    await expect(client().listings.get(1)).resolves.toEqual(listing);
    server.script(reset(), noContent());
    await expect(client({ token: TOKEN }).apiKeys.revoke(3)).resolves.toBeUndefined();
    expect(server.received.map((r) => r.method)).toEqual(['DELETE', 'DELETE']);
  });

  it('ends an attempt that gets no answer within timeoutMs, and retries it when it is a GET', async () => {
    server.script(hang(), json(200, listing));
    await expect(client({ timeoutMs: 100 }).listings.get(1)).resolves.toEqual(listing);
    server.script(hang());
    const error = await client({ timeoutMs: 100 }).listings.create(lamp).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ timedOut: true, code: 'timeout' });
    expect(server.received).toHaveLength(1);
  });

  it('stops at once when the caller aborts, without retrying', async () => {
    server.script(hang(), json(200, listing));
    const controller = new AbortController();
    const pending = client().listings.get(1, { signal: controller.signal });
    await until(() => server.received.length, (count) => count > 0);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.received).toHaveLength(1);
  });
});

describe('errors', () => {
  it('maps a 400 to ValidationError with the API\'s code, message and field, and does not retry it', async () => {
    server.script(json(400, { error: 'invalid_request', message: 'price_amount: must be >= 0', field: 'price_amount' }));
    const error = await client({ apiKey: API_KEY }).listings.create({ ...lamp, price_amount: -1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toBeInstanceOf(SteveslistError);
    expect(error).toMatchObject({
      name: 'ValidationError', status: 400, code: 'invalid_request', message: 'price_amount: must be >= 0', field: 'price_amount',
      retriable: false, request: 'POST /v1/listings',
    });
    expect(server.received).toHaveLength(1);
  });

  it.each([
    [401, 'unauthorized', AuthenticationError],
    [403, 'forbidden', PermissionError],
    [404, 'not_found', NotFoundError],
    [409, 'conflict', ConflictError],
    [413, 'invalid_request', ValidationError],
  ] as const)('maps %i to its own class, once', async (status, code, type) => {
    server.script(json(status, { error: code, message: `the API says ${status}` }), json(200, listing));
    const error = await client().listings.get(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ status, code, message: `the API says ${status}`, field: undefined });
    expect(server.received).toHaveLength(1);
  });

  it('says so when an answer is not the API\'s error shape, such as a proxy\'s HTML page', async () => {
    server.script(text(502, '<html>Bad Gateway</html>'), json(200, listing));
    const error = await client().listings.get(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SteveslistError);
    expect(error).toMatchObject({ status: 502, code: 'http_error', message: 'GET /v1/listings/1: the server answered 502 Bad Gateway without an API error body' });
    expect(server.received).toHaveLength(1);
  });

  it('names the origin and the socket error when nothing listens', async () => {
    const gone = await startScriptedServer();
    await gone.close();
    const error = await new Steveslist({ baseUrl: gone.url, maxRetries: 1, retryBaseMs: 1 }).listings.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(new RegExp(`^GET /v1/listings: could not reach ${gone.url}: .*ECONNREFUSED`));
  });
});

describe('credentials', () => {
  it('sends an API key as X-Steveslist-API-Key and a session token as Authorization: Bearer', async () => {
    server.script(json(200, listing), json(200, listing), json(200, listing));
    const keyed = client({ apiKey: API_KEY });
    await keyed.listings.get(1);
    await keyed.withToken(TOKEN).listings.get(1);
    await client().listings.get(1);
    const [withKey, withToken, anonymous] = server.received;
    expect(withKey!.headers).toMatchObject({ 'x-steveslist-api-key': API_KEY });
    expect(withKey!.headers.authorization).toBeUndefined();
    expect(withToken!.headers).toMatchObject({ authorization: `Bearer ${TOKEN}` });
    expect(withToken!.headers['x-steveslist-api-key']).toBeUndefined();
    expect(anonymous!.headers.authorization).toBeUndefined();
    expect(anonymous!.headers['x-steveslist-api-key']).toBeUndefined();
  });

  it('keeps credentials out of errors and of the client\'s printed form', async () => {
    server.script(json(401, { error: 'unauthorized', message: 'the API key is wrong or revoked' }), reset());
    const sl = client({ apiKey: API_KEY, maxRetries: 0 });
    const errors = [await sl.accounts.me().catch((e: unknown) => e), await sl.orders.place(1).catch((e: unknown) => e)];
    for (const shown of [...errors.flatMap((e) => [String(e), inspect(e, { depth: 5 }), JSON.stringify(e)]), inspect(sl, { depth: 5 }), JSON.stringify(sl)]) {
      expect(shown).not.toContain(API_KEY);
    }
  });

  it('refuses both credentials at once, and a base URL that carries a password', () => {
    expect(() => new Steveslist({ apiKey: API_KEY, token: TOKEN })).toThrow(/apiKey and token: give one/);
    const error = (() => { try { new Steveslist({ baseUrl: 'http://me:hunter22@localhost:3000' }); } catch (e) { return e as Error; } })();
    expect(error?.message).toMatch(/^baseUrl: must not contain user:password/);
    expect(error?.message).not.toContain('hunter22');
  });
});

describe('requests', () => {
  it('sends filters as a query string, leaving out those not given', async () => {
    server.script(json(200, { data: [], next_cursor: null }), json(200, { total: 0, page: 2, per_page: 5, hits: [], facets: { category: [], city: [] } }));
    await client().listings.list({ category: 'home', city: 'New York', limit: 5 });
    await client().search({ q: 'lamp & shade', min_price: 0, page: 2, per_page: 5 });
    expect(server.received.map((r) => r.url)).toEqual([
      '/v1/listings?category=home&city=New+York&limit=5',
      '/v1/search?q=lamp+%26+shade&min_price=0&page=2&per_page=5',
    ]);
  });

  it('searches near a city and asks for city suggestions', async () => {
    const boston = { id: 4930956, name: 'Boston', country: 'US', region: 'MA', latitude: 42.35843, longitude: -71.05977, near: 'Boston,US' };
    server.script(
      json(200, { total: 1, total_relation: 'eq', page: 1, per_page: 20, hits: [{ ...listing, score: 1, distance_km: 0, highlight: {} }], facets: { category: [], city: [], country: [] }, near: boston }),
      json(200, { places: [boston] }),
    );
    const found = await client().search({ q: 'lamp', near: 'Boston,US', within_km: 25, sort: 'distance' });
    expect(found.hits[0]!.distance_km).toBe(0);
    expect(found.near).toEqual(boston);
    expect(await client().suggestPlaces({ prefix: 'bos', country: 'US', limit: 5 })).toEqual([boston]);
    expect(server.received.map((r) => r.url)).toEqual([
      '/v1/search?q=lamp&near=Boston%2CUS&within_km=25&sort=distance',
      '/v1/places?prefix=bos&country=US&limit=5',
    ]);
  });

  it('keeps an id inside its path segment', async () => {
    server.script(json(404, { error: 'not_found', message: 'no such listing' }));
    await client().listings.get('1/../2' as unknown as number).catch(() => undefined);
    expect(server.received[0]!.url).toBe('/v1/listings/1%2F..%2F2');
  });

  it('iterates every item across pages by following next_cursor, and asks for no page it does not need', async () => {
    const item = (id: number) => ({ ...listing, id });
    server.script(
      json(200, { data: [item(5), item(4)], next_cursor: 'c2' }),
      json(200, { data: [item(3), item(2)], next_cursor: 'c3' }),
      json(200, { data: [item(1)], next_cursor: null }),
    );
    const ids: number[] = [];
    for await (const found of client({ token: TOKEN }).listings.iterateMine({ status: 'active', limit: 2 })) ids.push(found.id);
    expect(ids).toEqual([5, 4, 3, 2, 1]);
    expect(server.received.map((r) => r.url)).toEqual([
      '/v1/me/listings?status=active&limit=2',
      '/v1/me/listings?status=active&limit=2&cursor=c2',
      '/v1/me/listings?status=active&limit=2&cursor=c3',
    ]);

    server.script(json(200, { data: [item(5), item(4)], next_cursor: 'c2' }));
    for await (const found of client().listings.iterate({ limit: 2 })) if (found.id === 5) break;
    expect(server.received).toHaveLength(1);
  });

  it('paginate() refuses a server that answers the cursor it was given', async () => {
    const walk = paginate(async (cursor) => ({ data: [cursor ?? 'first'], next_cursor: 'same' }));
    await expect((async () => { for await (const _ of walk) { /* drain */ } })()).rejects.toThrow(/next_cursor same again/);
  });
});
