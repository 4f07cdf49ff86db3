// Saved searches over the public API against a real MariaDB: saving what a results page shows,
// owner-only reads and writes, bad filters refused naming the field, and the signed one-click
// unsubscribe link.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unsubscribeLinkKey, unsubscribeUrl } from '../../marketplace/domain/saved-searches.js';
import type { RowDataPacket } from '../../marketplace/mysql/connection.js';
import { capturedLog } from '../../test/fixtures/captured-log.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { httpClient } from '../../test/fixtures/http-client.js';
import { buildPublicServer } from './server.js';

let db: TestDatabase;
let app: FastifyInstance;
let baseUrl: string;
let call: ReturnType<typeof httpClient>;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildPublicServer({ pool: db.pool, log: capturedLog('info').log, rateLimit: { perMinute: 100_000, authPerMinute: 100_000 } });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  call = httpClient(baseUrl);
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

let accounts = 0;
async function signUp() {
  const response = await call('POST', '/v1/users', { body: { email: `saver${++accounts}-${Date.now()}@example.com`, password: 'correct horse battery', name: `Saver ${accounts}` } });
  expect(response.status).toBe(201);
  return { id: response.body.user.id as number, token: response.body.session.token as string };
}

describe('saved searches', () => {
  it('saves a results page\'s query and filters, lists, pauses and deletes it', async () => {
    const user = await signUp();
    const created = await call('POST', '/v1/saved-searches', { token: user.token, body: { q: 'tv', city: 'San Francisco', country: 'us', max_price: 50_000 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ q: 'tv', city: 'San Francisco', country: 'US', category: null, min_price: null, max_price: 50_000, alerts_enabled: true, matches: 0 });
    expect(created.body.description).toBe('"tv" near San Francisco, US up to 500');
    expect(created.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const [[row]] = await db.pool.query<RowDataPacket[]>('SELECT site_url FROM saved_searches WHERE id = ?', [created.body.id]);
    expect(row!.site_url).toBe(baseUrl);

    const list = await call('GET', '/v1/saved-searches', { token: user.token });
    expect(list.body.data.map((s: { id: number }) => s.id)).toEqual([created.body.id]);
    const paused = await call('PATCH', `/v1/saved-searches/${created.body.id}`, { token: user.token, body: { alerts_enabled: false } });
    expect(paused).toMatchObject({ status: 200, body: { alerts_enabled: false } });
    expect((await call('DELETE', `/v1/saved-searches/${created.body.id}`, { token: user.token })).status).toBe(204);
    expect((await call('GET', `/v1/saved-searches/${created.body.id}`, { token: user.token })).status).toBe(404);
  });

  it('takes a served category in any case, as its code', async () => {
    const user = await signUp();
    const created = await call('POST', '/v1/saved-searches', { token: user.token, body: { q: 'lamp', category: ' Furniture ' } });
    expect(created).toMatchObject({ status: 201, body: { category: 'furniture' } });
  });

  it('saves a search near a city with its radius, as search reads near, and shows it to its owner only', async () => {
    const owner = await signUp();
    const other = await signUp();
    const created = await call('POST', '/v1/saved-searches', { token: owner.token, body: { q: 'kayak', near: ' boston , us ', within_km: 25 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ q: 'kayak', near: 'Boston,US', within_km: 25, city: null, country: null });
    expect(created.body.latitude).toBeCloseTo(42.36, 1);
    expect(created.body.longitude).toBeCloseTo(-71.06, 1);
    expect(created.body.description).toBe('"kayak" within 25 km of Boston, US');
    const anywhere = await call('POST', '/v1/saved-searches', { token: owner.token, body: { near: 'Boston,US' } });
    expect(anywhere.body).toMatchObject({ q: null, near: 'Boston,US', within_km: null, description: 'around Boston, US' });

    expect((await call('GET', `/v1/saved-searches/${created.body.id}`, { token: other.token })).status).toBe(404);
    expect((await call('GET', '/v1/saved-searches', { token: other.token })).body.data).toEqual([]);
    const mine = (await call('GET', '/v1/saved-searches', { token: owner.token })).body.data;
    expect(mine.map((s: { near: string; within_km: number | null }) => [s.near, s.within_km])).toEqual([['Boston,US', null], ['Boston,US', 25]]);
    const [[row]] = await db.pool.query<RowDataPacket[]>('SELECT near_label, latitude, longitude, within_km FROM saved_searches WHERE id = ?', [created.body.id]);
    expect({ ...row, latitude: Math.round(row!.latitude) }).toMatchObject({ near_label: 'Boston,US', latitude: 42, within_km: 25 });
  });

  it('shows and changes a saved search to its owner only', async () => {
    const owner = await signUp();
    const other = await signUp();
    const { body: saved } = await call('POST', '/v1/saved-searches', { token: owner.token, body: { category: 'bikes' } });
    expect((await call('GET', '/v1/saved-searches')).status).toBe(401);
    expect((await call('GET', `/v1/saved-searches/${saved.id}`, { token: other.token })).status).toBe(404);
    expect((await call('PATCH', `/v1/saved-searches/${saved.id}`, { token: other.token, body: { alerts_enabled: false } })).status).toBe(404);
    expect((await call('DELETE', `/v1/saved-searches/${saved.id}`, { token: other.token })).status).toBe(404);
    expect((await call('GET', '/v1/saved-searches', { token: other.token })).body.data).toEqual([]);
    expect((await call('GET', `/v1/saved-searches/${saved.id}`, { token: owner.token })).body).toMatchObject({ id: saved.id, alerts_enabled: true });
  });

  it('refuses bad filters with 400 naming the field', async () => {
    const user = await signUp();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{}, 'q', /words to search for, or a category, city, country or near/],
      [{ min_price: 100 }, 'q', /at least one of them/],
      [{ q: '!!! ...' }, 'q', /no words/],
      [{ q: 'tv', country: 'USA' }, 'country', /two letters/],
      [{ q: 'tv', min_price: -1 }, 'min_price', /.+/],
      [{ q: 'tv', min_price: 500, max_price: 100 }, 'min_price', /not be above max_price/],
      [{ q: 'tv', max_price: 'cheap' }, 'max_price', /whole number/],
      [{ q: 'tv', city: '   ' }, 'city', /.+/],
      [{ q: 'tv', colour: 'red' }, 'colour', /unknown field/],
      [{ q: 'x'.repeat(201) }, 'q', /.+/],
      [{ q: 'tv', category: 'gadgets' }, 'category', /^category: choose a category: electronics, furniture, .+ or other \("gadgets" is not one of them\)$/],
      [{ category: 'home & garden' }, 'category', /choose a category: .*home-garden/],
      [{ q: 'tv', within_km: 10 }, 'within_km', /needs near/],
      [{ q: 'tv', near: 'Boston' }, 'near', /city and its country code, as "Boston,US"/],
      [{ q: 'tv', near: 'Qxqzzy,US' }, 'near', /no city called "Qxqzzy" is known in US/],
      [{ q: 'tv', near: '999999999' }, 'near', /no place has id 999999999/],
      [{ q: 'tv', near: 'Boston,US', within_km: 0 }, 'within_km', /.+/],
      [{ q: 'tv', near: 'Boston,US', within_km: 20_001 }, 'within_km', /.+/],
    ];
    for (const [body, field, reason] of cases) {
      const response = await call('POST', '/v1/saved-searches', { token: user.token, body });
      expect({ body, status: response.status, field: response.body.field }).toEqual({ body, status: 400, field });
      expect(response.body.message).toMatch(reason);
    }
    expect((await call('PATCH', '/v1/saved-searches/1', { token: user.token, body: { alerts_enabled: 'no' } })).body.field).toBe('alerts_enabled');
  });
});

describe('the unsubscribe link', () => {
  it('asks on GET, unsubscribes on the one-click POST, and refuses a changed signature', async () => {
    const user = await signUp();
    const { body: saved } = await call('POST', '/v1/saved-searches', { token: user.token, body: { q: 'oak table' } });
    const link = unsubscribeUrl(baseUrl, await unsubscribeLinkKey(db.pool), saved.id);
    const path = link.slice(baseUrl.length);

    const asked = await call('GET', path);
    expect(asked.status).toBe(200);
    expect(asked.body).toContain('Stop these alerts?');
    expect(asked.body).toContain('&quot;oak table&quot;');
    expect((await call('GET', `/v1/saved-searches/${saved.id}`, { token: user.token })).body.alerts_enabled).toBe(true);

    const tampered = await call('POST', path.replace(`s=${saved.id}`, `s=${saved.id + 1}`), { raw: { text: 'List-Unsubscribe=One-Click', contentType: 'application/x-www-form-urlencoded' } });
    expect(tampered.status).toBe(400);
    expect((await call('GET', `${path.slice(0, -3)}abc`)).status).toBe(400);

    const done = await call('POST', path, { raw: { text: 'List-Unsubscribe=One-Click', contentType: 'application/x-www-form-urlencoded' } });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Unsubscribed');
    expect((await call('GET', `/v1/saved-searches/${saved.id}`, { token: user.token })).body.alerts_enabled).toBe(false);
  });
});
