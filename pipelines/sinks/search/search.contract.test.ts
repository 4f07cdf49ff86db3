// Relevance and behaviour of the search port, the same cases for every adapter: the embedded
// index always (in this thread, and on its own as the platform runs it), Elasticsearch when
// ELASTICSEARCH_URL is set.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { ElasticsearchSearch } from './elasticsearch.js';
import { EmbeddedSearch } from './embedded/index.js';
import { ThreadedEmbeddedSearch } from './embedded/thread/threaded-search.js';
import type { ListingDocument, SearchService, SearchStore } from './port.js';

const dir = tempDir();
afterAll(() => dir.remove());

interface Adapter {
  name: string;
  open(): Promise<SearchService>;
}

const adapters: Adapter[] = [
  { name: 'embedded', open: async () => new EmbeddedSearch(join(dir.path, randomBytes(4).toString('hex'))) },
  // As the platform opens it: the same index on a thread of its own, every call crossing to it.
  { name: 'embedded on its own thread', open: async () => new ThreadedEmbeddedSearch({ dir: join(dir.path, randomBytes(4).toString('hex')), alias: 'listings' }) },
];
if (process.env.ELASTICSEARCH_URL) {
  adapters.push({
    name: 'elasticsearch',
    open: () => ElasticsearchSearch.connect({ url: process.env.ELASTICSEARCH_URL!, alias: `contract-${randomBytes(4).toString('hex')}`, refresh: true }),
  });
}

const ids = (result: { hits: { id: number }[] }) => result.hits.map((h) => h.id);

let nextId = 1;
function listing(fields: Partial<ListingDocument>): ListingDocument {
  const id = fields.id ?? nextId++;
  return {
    id, seller_id: 1, seller_name: 'Zoë', name: 'Thing', description: 'A thing for sale.', category: 'electronics', country: 'US', city: 'Boston', latitude: null, longitude: null,
    price_amount: 10_000, price_currency: 'usd', status: 'active', created_at: `2026-01-${String((id % 28) + 1).padStart(2, '0')}T10:00:00.000000Z`,
    updated_at: '2026-01-01T10:00:00.000000Z', ...fields,
  };
}

const CATALOG: Partial<ListingDocument>[] = [
  { id: 1, name: 'Samsung 55" 4K TV - second-hand', description: 'Works perfectly, remote included.', category: 'electronics', city: 'Boston', price_amount: 25_000, created_at: '2026-03-01T10:00:00.000000Z' },
  { id: 2, name: 'LG OLED TV 65"', description: 'Barely used television, like new.', category: 'electronics', city: 'Chicago', price_amount: 90_000, created_at: '2026-03-05T10:00:00.000000Z' },
  { id: 3, name: 'Oak dining table', description: 'Seats six. A small TV stand comes with it.', category: 'furniture', city: 'Boston', price_amount: 30_000, created_at: '2026-03-03T10:00:00.000000Z' },
  { id: 4, name: 'Canon EOS R6 camera', description: 'Two batteries and the charger.', category: 'electronics', city: 'Seattle', price_amount: 150_000, created_at: '2026-02-01T10:00:00.000000Z' },
  { id: 5, name: 'Road bike, 56cm frame', description: 'Second-hand, recently serviced.', category: 'bikes', city: 'Boston', price_amount: 40_000, created_at: '2026-03-07T10:00:00.000000Z' },
  { id: 6, name: 'Leather armchair', description: 'Vintage <b>classic</b> & comfy.', category: 'furniture', country: 'DE', city: 'München', price_amount: 12_000, price_currency: 'eur', created_at: '2026-01-15T10:00:00.000000Z' },
  { id: 7, name: 'Sony TV 43"', description: 'Sold already.', category: 'electronics', city: 'Boston', status: 'sold', price_amount: 20_000 },
];

describe.each(adapters)('search contract: $name', (adapter) => {
  const opened: SearchService[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map(async (s) => {
      if (s instanceof ElasticsearchSearch) await s.destroy();
      await s.close();
    }));
  });

  async function withCatalog(): Promise<{ service: SearchService; store: SearchStore }> {
    const service = await adapter.open();
    opened.push(service);
    await service.ensureIndex();
    const store = await service.serving();
    await store.upsert(CATALOG.map((fields) => ({ doc: listing(fields), version: 10n })));
    return { service, store };
  }

  it('finds listings despite typos, ranking name matches first', async () => {
    const { store } = await withCatalog();
    expect(ids(await store.search({ q: 'sceond-hnad tv' }))[0]).toBe(1);
    const tv = ids(await store.search({ q: 'tv' }));
    expect(tv.slice(0, 2).sort()).toEqual([1, 2]);
    expect(tv).toContain(3);
    expect(tv.indexOf(3)).toBeGreaterThan(1);
  });

  it('matches word forms (stemming) and prefixes as the user types', async () => {
    const { store } = await withCatalog();
    expect(ids(await store.search({ q: 'cameras' }))).toEqual([4]);
    expect(ids(await store.search({ q: 'battery' }))).toEqual([4]);
    expect(ids(await store.search({ q: 'armch' }))).toEqual([6]);
    expect(ids(await store.search({ q: 'munchen' }))).toEqual([6]);
  });

  it('filters by place, category and price, and never shows listings that are not active', async () => {
    const { store } = await withCatalog();
    expect(ids(await store.search({ q: 'tv', city: 'boston' })).sort()).toEqual([1, 3]);
    expect(ids(await store.search({ category: 'furniture', country: 'US' }))).toEqual([3]);
    expect(ids(await store.search({ minPrice: 30_000, maxPrice: 90_000, sort: 'price_asc' }))).toEqual([3, 5, 2]);
    expect(ids(await store.search({ q: 'sony' }))).toEqual([]);
  });

  it('sorts by newest and by price', async () => {
    const { store } = await withCatalog();
    expect(ids(await store.search({ sort: 'newest' }))).toEqual([5, 2, 3, 1, 4, 6]);
    expect(ids(await store.search({ sort: 'price_desc', perPage: 2 }))).toEqual([4, 2]);
  });

  it('counts facets over the matching listings', async () => {
    const { store } = await withCatalog();
    const result = await store.search({ q: 'tv' });
    expect(result.total).toBe(3);
    expect(result.facets.category).toEqual([{ value: 'electronics', count: 2 }, { value: 'furniture', count: 1 }]);
    expect(result.facets.city).toEqual([{ value: 'Boston', count: 2 }, { value: 'Chicago', count: 1 }]);
    expect(result.facets.country).toEqual([{ value: 'US', count: 3 }]);
  });

  it('highlights what matched, with the rest of the text escaped', async () => {
    const { store } = await withCatalog();
    const [hit] = (await store.search({ q: 'classic' })).hits;
    expect(hit!.highlight.description).toBe('Vintage &lt;b&gt;<mark>classic</mark>&lt;/b&gt; &amp; comfy.');
    const [tv] = (await store.search({ q: 'oled' })).hits;
    expect(tv!.highlight.name).toBe('LG <mark>OLED</mark> TV 65&quot;');
  });

  it('pages through results without overlap', async () => {
    const { store } = await withCatalog();
    const first = await store.search({ sort: 'price_asc', perPage: 2, page: 1 });
    const second = await store.search({ sort: 'price_asc', perPage: 2, page: 2 });
    expect(first.total).toBe(6);
    expect(second.total).toBe(6);
    expect(ids(first)).toEqual([6, 1]);
    expect(ids(second)).toEqual([3, 5]);
  });

  it('ignores writes older than the stored version: no resurrection, no rollback', async () => {
    const { store } = await withCatalog();
    expect(await store.upsert([{ doc: listing({ id: 1, name: 'Samsung TV (edited)' }), version: 20n }])).toMatchObject({ applied: 1, stale: 0 });
    expect(await store.upsert([{ doc: listing({ id: 1, name: 'Samsung TV (old)' }), version: 15n }])).toMatchObject({ applied: 0, stale: 1 });
    expect((await store.search({ q: 'samsung' })).hits[0]!.name).toBe('Samsung TV (edited)');
    await store.remove([{ id: 2, version: 30n }]);
    expect(await store.upsert([{ doc: listing({ id: 2, name: 'LG OLED TV 65"' }), version: 25n }])).toMatchObject({ stale: 1 });
    expect(ids(await store.search({ q: 'oled' }))).toEqual([]);
    expect(await store.count()).toBe(6);
  });

  it('empties the index for a truncate, keeping newer documents', async () => {
    const { store } = await withCatalog();
    await store.upsert([{ doc: listing({ id: 50, name: 'Newer kayak' }), version: 100n }]);
    await store.truncate(50n);
    expect(ids(await store.search({}))).toEqual([50]);
  });

  it('keeps refusing rows older than a truncate that arrive after it (from another partition)', async () => {
    const { store } = await withCatalog();
    await store.truncate(50n);
    // Older than the truncate: a row that existed before it, its event late on another partition.
    expect(await store.upsert([{ doc: listing({ id: 60, name: 'Late canoe' }), version: 40n }, { doc: listing({ id: 61, name: 'Fresh canoe' }), version: 60n }]))
      .toMatchObject({ applied: 1, stale: 1 });
    expect(ids(await store.search({ q: 'canoe' }))).toEqual([61]);
    // An earlier truncate arriving late does not lower the mark.
    await store.truncate(20n);
    expect(await store.upsert([{ doc: listing({ id: 62, name: 'Old canoe' }), version: 30n }])).toMatchObject({ applied: 0, stale: 1 });
    expect(await store.count()).toBe(1);
  });

  it('swaps the alias to a rebuilt index that received live writes meanwhile', async () => {
    const { service } = await withCatalog();
    const rebuilt = await service.beginRebuild();
    expect((await service.writeTargets()).map((s) => s.name)).toContain(rebuilt.name);
    await rebuilt.upsert([{ doc: listing({ id: 1, name: 'Rebuilt Samsung TV' }), version: 11n }]);
    await service.finishRebuild(rebuilt);
    const serving = await service.serving();
    expect(serving.name).toBe(rebuilt.name);
    expect(ids(await serving.search({}))).toEqual([1]);
    expect((await service.writeTargets()).map((s) => s.name)).toEqual([rebuilt.name]);
  });
});

describe('the embedded index on disk', () => {
  it('keeps its documents and typo vocabulary across a restart', async () => {
    const folder = join(dir.path, 'restart');
    const first = new EmbeddedSearch(folder);
    await first.ensureIndex();
    await (await first.serving()).upsert([{ doc: listing({ id: 1, name: 'Kayak with paddle' }), version: 1n }]);
    await first.close();
    const second = new EmbeddedSearch(folder);
    expect(ids(await (await second.serving()).search({ q: 'kayka' }))).toEqual([1]);
    await second.close();
  });
});

// Services that start together on a fresh cluster (the API and the search workers of a compose
// stack) each find no index and create one: they must end with a single index behind the alias.
describe.skipIf(!process.env.ELASTICSEARCH_URL)('elasticsearch opened by several services at once', () => {
  it('ends with one index behind the alias, the one every service writes to', async () => {
    const alias = `together-${randomBytes(4).toString('hex')}`;
    const services = await Promise.all([1, 2, 3].map(() => ElasticsearchSearch.connect({ url: process.env.ELASTICSEARCH_URL!, alias, refresh: true })));
    try {
      const targets = await Promise.all(services.map(async (service) => (await service.writeTargets()).map((store) => store.name)));
      expect(targets).toEqual([[`${alias}-initial`], [`${alias}-initial`], [`${alias}-initial`]]);
    } finally {
      await services[0]!.destroy();
      await Promise.all(services.map((service) => service.close()));
    }
  });
});
