// The query the Elasticsearch percolator stores for a saved search, run as an ordinary search over
// listings as the percolator reads them (same fields): it must find exactly the listings search
// finds for the same words and filters, and those the in-memory percolator matches. This runs on
// any Elasticsearch (ELASTICSEARCH_URL), also one without the percolator module, where the
// percolator contract cannot reach the stored queries.
import { randomBytes } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { percolatedPerSearch } from '../../../test/fixtures/percolated.js';
import { listingDocument } from '../../../test/fixtures/search-adapters.js';
import { ElasticsearchSearch } from '../search/elasticsearch.js';
import { queriedFields } from '../search/elasticsearch-query.js';
import type { SearchStore } from '../search/port.js';
import { MAPPING, percolatorQuery } from './elasticsearch-percolator.js';
import { searchQueryOf, type SavedSearch } from './saved-search.js';

const BOSTON = { latitude: 42.3601, longitude: -71.0589 };
// Cambridge is some 4.5 km from Boston, Worcester some 60 km, Providence some 70 km.
const LISTINGS = [
  listingDocument({ id: 1, name: 'Sea kayak', city: 'Boston', ...BOSTON }),
  listingDocument({ id: 2, name: 'River kayak', city: 'Cambridge', latitude: 42.3736, longitude: -71.1097 }),
  listingDocument({ id: 3, name: 'Kayak paddle', city: 'Worcester', latitude: 42.2626, longitude: -71.8023 }),
  listingDocument({ id: 4, name: 'Touring kayak', city: 'Providence', latitude: 41.824, longitude: -71.4128 }),
  listingDocument({ id: 5, name: 'Kayak trailer', city: 'Boston' }),
  listingDocument({ id: 6, name: 'Bicyclist jersey', description: 'Size M.', city: 'Boston' }),
  listingDocument({ id: 7, name: 'Bicycle, three gears', description: 'Blue.', city: 'Boston' }),
];

const search = (id: number, fields: Partial<SavedSearch>): SavedSearch => ({
  id, userId: 1, q: null, country: null, city: null, category: null, minPrice: null, maxPrice: null, near: null, ...fields,
});

const CASES: { what: string; search: SavedSearch; finds: number[] }[] = [
  { what: 'words within 10 km', search: search(1, { q: 'kayak', near: { ...BOSTON, withinKm: 10 } }), finds: [1, 2] },
  { what: 'words within 65 km (Worcester in, Providence out)', search: search(2, { q: 'kayak', near: { ...BOSTON, withinKm: 65 } }), finds: [1, 2, 3] },
  { what: 'no radius: every listing with coordinates', search: search(3, { q: 'kayak', near: BOSTON }), finds: [1, 2, 3, 4] },
  { what: 'no words, a radius', search: search(4, { near: { ...BOSTON, withinKm: 5 } }), finds: [1, 2] },
  // The synonym is a known word, put in whole: as typed, "bike" would find "bikers" as a prefix,
  // but its synonym "bicycle" does not find "bicyclist".
  { what: 'a synonym as a whole word (bike: bicycle, not bicyclist)', search: search(5, { q: 'bike' }), finds: [7] },
];

describe.runIf(process.env.ELASTICSEARCH_URL)('the stored percolator query of a saved search', () => {
  const index = `percolator-query-${randomBytes(4).toString('hex')}`;
  let client: Client;
  let service: ElasticsearchSearch;
  let store: SearchStore;
  let percolated = new Map<number, number[]>();

  beforeAll(async () => {
    client = new Client({ node: process.env.ELASTICSEARCH_URL! });
    const { query: _percolator, ...fields } = MAPPING.properties;
    await client.indices.create({ index, mappings: { dynamic: 'strict', properties: fields }, settings: { number_of_shards: 1, number_of_replicas: 0 } });
    await client.bulk({ refresh: true, operations: LISTINGS.flatMap((doc) => [{ index: { _index: index, _id: String(doc.id) } }, queriedFields(doc)]) });
    service = await ElasticsearchSearch.connect({ url: process.env.ELASTICSEARCH_URL!, alias: `percolator-query-search-${randomBytes(4).toString('hex')}`, refresh: true });
    store = await service.serving();
    await store.upsert(LISTINGS.map((doc) => ({ doc, version: 1n })));
    percolated = await percolatedPerSearch(CASES.map((c) => c.search), LISTINGS);
  });
  afterAll(async () => {
    await client?.indices.delete({ index }).catch(() => undefined);
    await client?.close();
    await service?.destroy();
    await service?.close();
  });

  it.each(CASES)('$what', async ({ search: saved, finds }) => {
    const response = await client.search({ index, size: 100, query: percolatorQuery(saved) });
    const stored = response.hits.hits.map((hit) => Number(hit._id)).sort((a, b) => a - b);
    const result = await store.search({ ...searchQueryOf(saved), perPage: 100 });
    const searched = result.hits.map((hit) => hit.id).sort((a, b) => a - b);
    expect({ stored, search: searched, embedded: percolated.get(saved.id) ?? [] }).toEqual({ stored: finds, search: finds, embedded: finds });
  });
});
