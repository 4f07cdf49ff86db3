// GET /v1/search?near=…: a city from the gazetteer as the point, within_km and sort=distance, on
// every search engine; and GET /v1/places, the suggestions a "near" box offers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { worldCities } from '../../marketplace/places/geonames-gazetteer.js';
import type { SearchService } from '../../pipelines/sinks/search/port.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { closeAll, listingDocument, searchAdapters } from '../../test/fixtures/search-adapters.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { buildPublicServer } from './server.js';

const dir = tempDir();
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('near');
  await worldCities().load();
}, 120_000);
afterAll(async () => {
  await db?.close();
  dir.remove();
});

// Points as the gazetteer gives them for these cities.
const DOCS = [
  listingDocument({ id: 1, name: 'Kayak in Boston', city: 'Boston', latitude: 42.35843, longitude: -71.05977 }),
  listingDocument({ id: 2, name: 'Kayak in Cambridge', city: 'Cambridge', latitude: 42.3751, longitude: -71.10561 }),
  listingDocument({ id: 3, name: 'Kayak in Providence', city: 'Providence', latitude: 41.82399, longitude: -71.41283 }),
  listingDocument({ id: 4, name: 'Kayak in New York', city: 'New York', latitude: 40.71427, longitude: -74.00597 }),
  listingDocument({ id: 5, name: 'Kayak somewhere', city: 'Nowhereville Springs', latitude: null, longitude: null }),
];

describe.each(searchAdapters(dir.path))('GET /v1/search near a city: $name', (adapter) => {
  const opened: SearchService[] = [];
  let base: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const search = await adapter.open();
    opened.push(search);
    await search.ensureIndex();
    await (await search.serving()).upsert(DOCS.map((doc) => ({ doc, version: 1n })));
    const app = await buildPublicServer({ pool: db.pool, log: silentLogger(), search });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    close = () => app.close();
  });
  afterAll(async () => {
    await close?.();
    await closeAll(opened);
  });

  async function get(query: string) {
    const response = await fetch(`${base}/v1/search?${query}`);
    return { status: response.status, body: await response.json() as Record<string, any> };
  }

  it('finds the listings within the radius of a city, nearest first, each with its distance', async () => {
    const { status, body } = await get('q=kayak&near=Boston,US&within_km=100&sort=distance');
    expect(status).toBe(200);
    expect(body.hits.map((hit: { id: number }) => hit.id)).toEqual([1, 2, 3]);
    expect(body.hits.map((hit: { distance_km: number }) => Math.round(hit.distance_km))).toEqual([0, 4, 66]);
    expect(body.near).toMatchObject({ name: 'Boston', country: 'US', near: 'Boston,US' });
  });

  it('takes the city under any spelling, or by its gazetteer id, and leaves out listings without coordinates', async () => {
    const byName = await get('q=kayak&near=boston,%20us&sort=distance');
    expect(byName.body.hits.map((hit: { id: number }) => hit.id)).toEqual([1, 2, 3, 4]);
    const byId = await get(`q=kayak&near=${byName.body.near.id}&sort=distance`);
    expect(byId.body.hits.map((hit: { id: number }) => hit.id)).toEqual([1, 2, 3, 4]);
  });

  it('documents near, within_km, sort=distance and /v1/places in the OpenAPI document', async () => {
    const doc = await (await fetch(`${base}/v1/openapi.json`)).json() as { paths: Record<string, { get: { parameters: { name: string; schema: { enum?: string[] } }[] } }> };
    expect(Object.keys(doc.paths)).toContain('/v1/places');
    const parameters = new Map(doc.paths['/v1/search']!.get.parameters.map((p) => [p.name, p]));
    expect([...parameters.keys()]).toEqual(expect.arrayContaining(['near', 'within_km', 'sort']));
    expect(parameters.get('sort')!.schema.enum).toContain('distance');
  });

  it('refuses a near, within_km or sort it cannot use, naming the field and why', async () => {
    for (const [query, field, reason] of [
      ['near=Nowhereville%20Springs,US', 'near', /no city called "Nowhereville Springs" is known in US/],
      ['near=Boston', 'near', /give a city and its country code, as "Boston,US"/],
      ['near=Boston,USA', 'near', /country code/],
      ['near=999999999', 'near', /no place has id 999999999/],
      ['near=Boston,US&within_km=0', 'within_km', /1/],
      ['near=Boston,US&within_km=20001', 'within_km', /20000/],
      ['within_km=50', 'within_km', /needs near/],
      ['sort=distance', 'sort', /distance needs near/],
    ] as const) {
      const { status, body } = await get(query);
      expect(status, query).toBe(400);
      expect(body, query).toMatchObject({ error: 'invalid_request', field, message: expect.stringMatching(new RegExp(`^${field}: `)) });
      expect(body.message, query).toMatch(reason);
    }
  });
});

describe('GET /v1/places', () => {
  let base: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const app = await buildPublicServer({ pool: db.pool, log: silentLogger() });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    close = () => app.close();
  });
  afterAll(async () => close?.());

  it('suggests cities by the start of a name, with the value near takes', async () => {
    const response = await fetch(`${base}/v1/places?prefix=m%C3%BCnch&limit=3`);
    expect(response.status).toBe(200);
    const { places } = await response.json() as { places: { name: string; country: string; near: string; latitude: number }[] };
    expect(places).toHaveLength(3);
    expect(places[0]).toMatchObject({ name: 'Munich', country: 'DE', near: 'Munich,DE' });
    expect(places[0]!.latitude).toBeCloseTo(48.14, 1);
    const inCanada = await (await fetch(`${base}/v1/places?prefix=mon&country=ca`)).json() as { places: { country: string }[] };
    expect(inCanada.places.length).toBeGreaterThan(0);
    expect(inCanada.places.every((place) => place.country === 'CA')).toBe(true);
  });

  it('refuses a prefix shorter than two characters', async () => {
    const response = await fetch(`${base}/v1/places?prefix=m`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ field: 'prefix' });
  });
});
