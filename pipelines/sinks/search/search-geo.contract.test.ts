// Searching near a point on every search adapter: a radius filter, nearest first, and each hit's
// distance; listings without coordinates stay out of such searches.
import { randomBytes } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeAll, listingDocument, searchAdapters, upsertAll } from '../../../test/fixtures/search-adapters.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { ElasticsearchSearch } from './elasticsearch.js';
import type { SearchService, SearchStore } from './port.js';

const dir = tempDir();
afterAll(() => dir.remove());

const BOSTON = { latitude: 42.3601, longitude: -71.0589 };

// Distances from Boston City Hall by the great circle: Cambridge 4.4 km, Providence 66.4 km,
// New York 306.1 km.
const CATALOG = [
  listingDocument({ id: 1, name: 'Desk lamp', city: 'New York', latitude: 40.7128, longitude: -74.006 }),
  listingDocument({ id: 2, name: 'Floor lamp', city: 'Providence', latitude: 41.824, longitude: -71.4128 }),
  listingDocument({ id: 3, name: 'Reading lamp', city: 'Cambridge', latitude: 42.3736, longitude: -71.1097 }),
  listingDocument({ id: 4, name: 'Lamp shade', city: 'Boston', ...BOSTON }),
  listingDocument({ id: 5, name: 'Table lamp', city: 'Boston' }),
  listingDocument({ id: 6, name: 'Kayak', city: 'Cambridge', latitude: 42.3736, longitude: -71.1097 }),
];

const ids = (result: { hits: { id: number }[] }) => result.hits.map((h) => h.id);

describe.each(searchAdapters(dir.path))('search near a point: $name', (adapter) => {
  const opened: SearchService[] = [];
  afterEach(() => closeAll(opened));

  async function withCatalog(): Promise<SearchStore> {
    const service = await adapter.open();
    opened.push(service);
    await service.ensureIndex();
    await upsertAll(service, CATALOG);
    return service.serving();
  }

  it('keeps listings within the radius, nearest first, each with its distance', async () => {
    const store = await withCatalog();
    const result = await store.search({ q: 'lamp', near: { ...BOSTON, withinKm: 100 }, sort: 'distance' });
    expect(ids(result)).toEqual([4, 3, 2]);
    expect(result).toMatchObject({ total: 3, totalRelation: 'eq' });
    const km = result.hits.map((h) => h.distance_km!);
    expect(km[0]).toBeLessThan(0.01);
    expect(km[1]).toBeCloseTo(4.4, 1);
    expect(km[2]).toBeCloseTo(66.4, 1);
  });

  it('sorts every listing with coordinates by distance when no radius is given, leaving out those without', async () => {
    const store = await withCatalog();
    const result = await store.search({ near: BOSTON, sort: 'distance' });
    expect(ids(result)).toEqual([4, 3, 6, 2, 1]);
    expect(result.hits.at(-1)!.distance_km).toBeCloseTo(306.1, 1);
  });

  it('filters by radius under another sort, still saying how far each hit is', async () => {
    const store = await withCatalog();
    const result = await store.search({ q: 'lamp', near: { ...BOSTON, withinKm: 10 }, sort: 'newest' });
    expect(ids(result).sort()).toEqual([3, 4]);
    expect(result.hits.every((h) => typeof h.distance_km === 'number')).toBe(true);
  });

  it('gives no distance when the search has no point', async () => {
    const store = await withCatalog();
    const result = await store.search({ q: 'lamp' });
    expect(result.total).toBe(5);
    expect(result.hits.every((h) => h.distance_km === undefined)).toBe(true);
  });
});

// An index made before listings had coordinates has a strict mapping without them: every write
// carrying coordinates would be refused until a reindex, so opening it adds the fields.
describe.skipIf(!process.env.ELASTICSEARCH_URL)('an Elasticsearch index made before coordinates', () => {
  it('gets the coordinate fields when the platform opens it, so writes are not refused for carrying them', async () => {
    const client = new Client({ node: process.env.ELASTICSEARCH_URL! });
    const alias = `pre-geo-${randomBytes(4).toString('hex')}`;
    await client.indices.create({
      index: `${alias}-initial`, aliases: { [alias]: {} },
      mappings: { dynamic: 'strict', properties: { id: { type: 'long' }, name: { type: 'text' } } },
    });
    const service = await ElasticsearchSearch.connect({ url: process.env.ELASTICSEARCH_URL!, alias, refresh: true });
    try {
      const properties = Object.values(await client.indices.getMapping({ index: `${alias}-initial` }))[0]!.mappings.properties!;
      expect(properties.location).toEqual({ type: 'geo_point' });
      const store = await service.serving();
      // The old index lacks the other fields of today's documents too; only the geo ones are checked.
      const outcome = await store.upsert([{ doc: listingDocument({ id: 1, name: 'Lamp shade', ...BOSTON }), version: 1n }]);
      expect(outcome.failed.map((f) => f.error).join()).not.toMatch(/location|latitude|longitude/);
    } finally {
      await service.destroy();
      await service.close();
      await client.close();
    }
  });
});
