// The percolator port, the same cases for every adapter (the embedded one always, Elasticsearch
// when ELASTICSEARCH_URL is set): a listing finds the saved searches search would have shown it
// to, with word forms, typos and filters as search treats them.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListingDocument } from '../search/port.js';
import { ElasticsearchPercolator } from './elasticsearch-percolator.js';
import { EmbeddedPercolator } from './embedded-percolator.js';
import { ThreadedEmbeddedPercolator } from './thread/threaded-percolator.js';
import type { Percolator } from './percolator.js';
import type { SavedSearch } from './saved-search.js';

interface Adapter {
  name: string;
  open(): Promise<Percolator>;
}

/** The percolate query needs Elasticsearch's percolator module; a trimmed distribution lacks it. */
async function hasPercolatorModule(url: string): Promise<boolean> {
  const response = await fetch(new URL('/_nodes/plugins?filter_path=nodes.*.modules.name', url));
  const body = (await response.json()) as { nodes?: Record<string, { modules: { name: string }[] }> };
  return Object.values(body.nodes ?? {}).some((node) => node.modules.some((module) => module.name === 'percolator'));
}

const adapters: Adapter[] = [
  { name: 'embedded', open: async () => new EmbeddedPercolator() },
  // As the platform opens it: the same percolator on a thread of its own, every call crossing to it.
  { name: 'embedded on its own thread', open: async () => new ThreadedEmbeddedPercolator() },
];
if (process.env.ELASTICSEARCH_URL && await hasPercolatorModule(process.env.ELASTICSEARCH_URL)) {
  adapters.push({
    name: 'elasticsearch',
    open: () => ElasticsearchPercolator.connect({ url: process.env.ELASTICSEARCH_URL!, index: `percolator-contract-${randomBytes(4).toString('hex')}` }),
  });
}

function search(id: number, fields: Partial<SavedSearch>): SavedSearch {
  return { id, userId: 1, q: null, country: null, city: null, category: null, minPrice: null, maxPrice: null, near: null, ...fields };
}

let nextId = 1;
function listing(fields: Partial<ListingDocument>): ListingDocument {
  return {
    id: nextId++, seller_id: 2, seller_name: 'Zoë', name: 'Thing', description: 'A thing for sale.', category: 'electronics', country: 'US',
    city: 'San Francisco', latitude: null, longitude: null, price_amount: 10_000, price_currency: 'usd', status: 'active', created_at: '2026-03-01T10:00:00.000000Z',
    updated_at: '2026-03-01T10:00:00.000000Z', ...fields,
  };
}

const BOSTON = { latitude: 42.3601, longitude: -71.0589 };
/** Cambridge is some 4.5 km from Boston, Worcester some 60 km, Brooklyn some 10 km from Manhattan. */
const CAMBRIDGE = { latitude: 42.3736, longitude: -71.1097 };
const WORCESTER = { latitude: 42.2626, longitude: -71.8023 };
const BROOKLYN = { latitude: 40.6782, longitude: -73.9442 };

const SEARCHES: SavedSearch[] = [
  search(1, { q: 'tv', city: 'San Francisco' }),
  search(2, { q: 'televisions' }),
  search(3, { q: 'bicycel' }),
  search(4, { q: 'oak table', maxPrice: 50_000 }),
  search(5, { category: 'furniture', country: 'DE' }),
  search(6, { q: 'camera', minPrice: 100_000 }),
  search(7, { q: 'leather sofa' }),
  search(8, { q: 'tv', city: 'Boston' }),
  search(9, { q: 'sofa' }),
  search(10, { q: 'kayak', near: { ...BOSTON, withinKm: 10 } }),
  search(11, { q: 'kayak', near: BOSTON }),
  search(12, { near: { latitude: 40.7128, longitude: -74.006, withinKm: 50 } }),
];

describe.each(adapters)('percolator contract: $name', (adapter) => {
  let percolator: Percolator;
  beforeAll(async () => {
    percolator = await adapter.open();
    await percolator.upsert(SEARCHES);
  });
  afterAll(async () => {
    if (percolator instanceof ElasticsearchPercolator) await percolator.drop();
    await percolator?.close();
  });

  const matches = async (doc: ListingDocument) => (await percolator.match([doc])).get(doc.id) ?? [];

  it('finds the searches for a stolen TV in San Francisco by word and city, not those of another city', async () => {
    // Search 2 ("televisions", anywhere) finds a TV too: tv and television are synonyms.
    expect(await matches(listing({ name: 'Samsung TV 55"', description: 'Remote included.' }))).toEqual([1, 2]);
    expect(await matches(listing({ name: 'Samsung TV 55"', city: 'Boston' }))).toEqual([2, 8]);
  });

  it('matches word forms by their stems, and synonyms as search expands them', async () => {
    expect(await matches(listing({ name: 'Philips television', description: 'Works.', city: 'Chicago' }))).toEqual([2]);
    expect(await matches(listing({ name: 'Philips television', description: 'Works.' }))).toEqual([1, 2]);
    expect(await matches(listing({ name: 'Brown couch', category: 'furniture' }))).toEqual([9]);
  });

  it('forgives a typo in the saved words as search does', async () => {
    expect(await matches(listing({ name: 'Road bicycle', category: 'bikes' }))).toEqual([3]);
  });

  it('needs every word of a search, and checks the filters', async () => {
    expect(await matches(listing({ name: 'Oak dining table', category: 'furniture', price_amount: 30_000 }))).toEqual([4]);
    expect(await matches(listing({ name: 'Oak dining table', category: 'furniture', price_amount: 60_000 }))).toEqual([]);
    expect(await matches(listing({ name: 'Leather armchair', category: 'furniture' }))).toEqual([]);
    expect(await matches(listing({ name: 'Canon camera', price_amount: 150_000 }))).toEqual([6]);
    expect(await matches(listing({ name: 'Canon camera', price_amount: 50_000 }))).toEqual([]);
  });

  it('matches a filters-only search on its filters, case aside', async () => {
    expect(await matches(listing({ name: 'Leather armchair', category: 'furniture', country: 'de', city: 'München' }))).toEqual([5]);
    expect(await matches(listing({ name: 'Leather armchair', category: 'furniture', country: 'US' }))).toEqual([]);
  });

  it('matches a search near a city only within its radius, and never a listing without coordinates', async () => {
    expect(await matches(listing({ name: 'Sea kayak', city: 'Cambridge', ...CAMBRIDGE }))).toEqual([10, 11]);
    expect(await matches(listing({ name: 'Sea kayak', city: 'Worcester', ...WORCESTER }))).toEqual([11]);
    expect(await matches(listing({ name: 'Sea kayak', city: 'Boston' }))).toEqual([]);
    expect(await matches(listing({ name: 'Garden hose', city: 'Brooklyn', ...BROOKLYN }))).toEqual([12]);
    expect(await matches(listing({ name: 'Sea kayak', city: 'Brooklyn', ...BROOKLYN }))).toEqual([11, 12]);
  });

  it('matches a batch of listings at once, and forgets a removed or changed search', async () => {
    const tv = listing({ name: 'Old TV' });
    const bike = listing({ name: 'Kids bicycle' });
    const none = listing({ name: 'Garden hose' });
    const found = await percolator.match([tv, bike, none]);
    expect(Object.fromEntries(found)).toEqual({ [tv.id]: [1, 2], [bike.id]: [3] });
    await percolator.remove([1]);
    await percolator.upsert([search(3, { q: 'bicycle', city: 'Oakland' })]);
    expect(Object.fromEntries(await percolator.match([tv, bike]))).toEqual({ [tv.id]: [2] });
    expect(await percolator.count()).toBe(SEARCHES.length - 1);
  });
});

describe.runIf(process.env.ELASTICSEARCH_URL)('percolator on an Elasticsearch without the percolator module', () => {
  it('says so, naming the setting, so the worker can match in memory instead', async () => {
    if (await hasPercolatorModule(process.env.ELASTICSEARCH_URL!)) return;
    await expect(ElasticsearchPercolator.connect({ url: process.env.ELASTICSEARCH_URL!, index: `percolator-contract-${randomBytes(4).toString('hex')}` }))
      .rejects.toThrow(/ELASTICSEARCH_URL: this Elasticsearch has no percolator module/);
  });
});
