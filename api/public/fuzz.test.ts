// 1,000 malformed requests against the real server and database: wrong types, bad JSON, huge
// bodies, odd unicode, injection strings, broken credentials and paths. Every answer must be a
// 4xx in the API's error shape; a 500 means a bad input reached code that did not expect it.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowDataPacket } from '../../marketplace/mysql/connection.js';
import { Random } from '../../marketplace/sample-data/random.js';
import { capturedLog } from '../../test/fixtures/captured-log.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { httpClient, type CallOptions } from '../../test/fixtures/http-client.js';
import { buildPublicServer } from './server.js';

const REQUESTS = 1000;
let db: TestDatabase;
let app: FastifyInstance;
let call: ReturnType<typeof httpClient>;
const logged = capturedLog('info');

beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildPublicServer({ pool: db.pool, log: logged.log, rateLimit: { perMinute: 1_000_000, authPerMinute: 1_000_000 } });
  call = httpClient(await app.listen({ host: '127.0.0.1', port: 0 }));
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

const NASTY_STRINGS = [
  "' OR 1=1 --", '"; DROP TABLE listings; --', '<script>alert(1)</script>', '${jndi:ldap://x/a}', '../../etc/passwd',
  '\u0000', 'a\u0000b', '\ud800', '\udfff\ud800', '🚲'.repeat(300), '\u202eevil', 'ﷺ', 'x'.repeat(70_000), '', ' ', '%00', '\\',
  '{{7*7}}', 'null', 'undefined', 'NaN', '-1', '1e309', '0x10', 'Ω≈ç√∫', 'ｆｕｌｌｗｉｄｔｈ', '\r\n\r\n', '\t',
];
const NASTY_VALUES: unknown[] = [
  ...NASTY_STRINGS, null, true, false, 0, -1, 1.5, -0.0001, 1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 64, [], [1, 2], {}, { $gt: '' }, { nested: { deeper: [null] } },
];
const BAD_JSON = ['{', '{"name": ', '{"a":1,}', "{'a': 1}", 'NaN', '[1, 2', '"unterminated', '{"a": 01}', '\u0000', '{"a": "\\ud800"}',
  `${'['.repeat(20_000)}${']'.repeat(20_000)}`, `{"a": ${'{"b": '.repeat(5000)}1${'}'.repeat(5000)}}`, '{"__proto__": {"polluted": true}}',
  '{"constructor": {"prototype": {"x": 1}}}'];

const LISTING = { name: 'Bike', description: 'Blue', category: 'bikes', country: 'US', city: 'Boston', price_amount: 100, price_currency: 'usd' };
const SIGN_UP = { email: 'fuzz@example.com', password: 'long enough pw', name: 'Fuzz' };
const BODIES: [string, string, Record<string, unknown>][] = [
  ['POST', '/v1/listings', LISTING],
  ['PATCH', '/v1/listings/{id}', LISTING],
  ['POST', '/v1/users', SIGN_UP],
  ['POST', '/v1/sessions', { email: SIGN_UP.email, password: SIGN_UP.password }],
  ['POST', '/v1/messages', { body: 'hi', listing_id: 1 }],
  ['POST', '/v1/complaints', { reason: 'spam', listing_id: 1 }],
  ['POST', '/v1/api-keys', { name: 'k' }],
];
const PATHS = ['/v1/listings/{x}', '/v1/listings/{x}/orders', '/v1/orders/{x}', '/v1/api-keys/{x}', '/v1/listings?limit={x}', '/v1/listings?cursor={x}',
  '/v1/listings?country={x}', '/v1/me/listings?status={x}', '/v1/orders?role={x}', '/v1/search?q={x}', '/v1/search?page={x}', '/v1/search?min_price={x}',
  '/v1/search?near={x}', '/v1/search?near=Boston,US&within_km={x}', '/v1/places?prefix={x}', '/v1/places?prefix=bo&country={x}'];
const PATH_VALUES = ['-1', '0', '1.5', 'abc', '1e309', '99999999999999999999', '%00', '%ff', '%F0%9F%9A%B2', "'%20OR%201=1", '..%2F..%2Fetc', '', '%20', 'null', '[]'];

interface FuzzCase {
  method: string;
  path: string;
  options: CallOptions;
}

function fuzzCase(rng: Random, token: string, listingId: number): FuzzCase {
  const auth = (): CallOptions => rng.pick<CallOptions>([
    { token }, { token }, { token: `${token}x` }, { apiKey: rng.pick(NASTY_STRINGS.filter((s) => !/[\u0000-\u001f\u007f-\uffff]/.test(s)).concat('slk_x')) },
    { headers: { authorization: rng.pick(['Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', `Bearer ${'a'.repeat(10_000)}`, 'bearer sls_x y']) } }, {},
  ]);
  const [method, template, valid] = rng.pick(BODIES);
  const path = template.replace('{id}', String(listingId));
  switch (rng.int(0, 5)) {
    case 0: { // one field of the wrong type or value
      const field = rng.chance(0.9) ? rng.pick(Object.keys(valid)) : rng.pick(['extra', 'seller_id', 'id', '__proto__']);
      return { method, path, options: { ...auth(), body: { ...valid, [field]: rng.pick(NASTY_VALUES) } } };
    }
    case 1: // bad JSON
      return { method, path, options: { ...auth(), raw: { text: rng.pick(BAD_JSON), contentType: 'application/json' } } };
    case 2: // a body of the wrong shape or content type
      return {
        method, path, options: {
          ...auth(), ...rng.pick<CallOptions>([
            { body: rng.pick(NASTY_VALUES) }, { body: [valid] }, { raw: { text: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' } },
            { raw: { text: JSON.stringify(valid), contentType: 'text/plain' } }, { raw: { text: JSON.stringify(valid), contentType: 'application/json; charset=utf-16' } },
            { raw: { text: '', contentType: 'application/json' } },
          ]),
        },
      };
    case 3: // a huge body
      return { method, path, options: { ...auth(), body: { ...valid, name: 'x'.repeat(rng.pick([100_000, 1_100_000])) } } };
    case 4: { // odd path or query values
      const target = rng.pick(PATHS).replace('{x}', rng.pick(PATH_VALUES));
      return { method: target.includes('/orders') && !target.includes('?') ? rng.pick(['GET', 'POST']) : rng.pick(['GET', 'DELETE', 'PUT']), path: target, options: auth() };
    }
    default: // every string field replaced by a nasty string
      return { method, path, options: { ...auth(), body: Object.fromEntries(Object.entries(valid).map(([k, v]) => [k, typeof v === 'string' ? rng.pick(NASTY_STRINGS) : v])) } };
  }
}

describe(`${REQUESTS} malformed requests`, () => {
  it('get no 500: each is refused or handled, in the API\'s error shape', async () => {
    const signedUp = await call('POST', '/v1/users', { body: { email: 'owner@example.com', password: 'long enough pw', name: 'Owner' } });
    const token = signedUp.body.session.token as string;
    const listing = await call('POST', '/v1/listings', { token, body: LISTING });
    const [[before]] = await db.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM listings');

    const rng = new Random(20261124);
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const c = fuzzCase(rng, token, listing.body.id);
      const response = await call(c.method, c.path, c.options);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500) failures.push(`${c.method} ${c.path} ${JSON.stringify(c.options).slice(0, 300)} -> ${response.status} ${JSON.stringify(response.body)}`);
      else if (response.status >= 400 && (typeof response.body !== 'object' || typeof response.body?.message !== 'string')) {
        failures.push(`${c.method} ${c.path} -> ${response.status} without the error shape: ${String(response.body).slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
    expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
    // Mostly refusals, as it should be for this input.
    expect([...statuses.entries()].filter(([s]) => s >= 400).reduce((n, [, count]) => n + count, 0)).toBeGreaterThan(REQUESTS * 0.7);

    // The server is still fine, the owner's listing is intact, and nothing polluted prototypes.
    expect((await call('GET', '/health')).status).toBe(200);
    const [[after]] = await db.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM listings');
    expect(Number(after!.n)).toBeGreaterThanOrEqual(Number(before!.n));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(logged.text()).not.toMatch(/"level":50/);
  });
});
