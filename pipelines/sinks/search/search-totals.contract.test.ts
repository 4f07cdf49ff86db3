// Totals on every search adapter: exact up to TOTAL_HITS_EXACT_UP_TO matches, then "at least"
// (Elasticsearch's track_total_hits), so a huge match set is never counted silently wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, listingDocument, searchAdapters, upsertAll } from '../../../test/fixtures/search-adapters.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { TOTAL_HITS_EXACT_UP_TO, type SearchService, type SearchStore } from './port.js';

const dir = tempDir();
afterAll(() => dir.remove());

// Exactly the limit in Boston, a few more elsewhere: the whole set is past it, Boston alone is not.
const IN_BOSTON = TOTAL_HITS_EXACT_UP_TO;
const IN_CHICAGO = 50;
const KAYAKS = 30;

describe.each(searchAdapters(dir.path))('search totals: $name', (adapter) => {
  const opened: SearchService[] = [];
  let store: SearchStore;

  beforeAll(async () => {
    const service = await adapter.open();
    opened.push(service);
    await service.ensureIndex();
    const docs = [
      ...Array.from({ length: IN_BOSTON }, (_, i) => listingDocument({ id: i + 1, name: `Desk lamp no. ${i}`, city: 'Boston' })),
      ...Array.from({ length: IN_CHICAGO }, (_, i) => listingDocument({ id: IN_BOSTON + i + 1, name: `Floor lamp no. ${i}`, city: 'Chicago' })),
      ...Array.from({ length: KAYAKS }, (_, i) => listingDocument({ id: 20_000 + i, name: `Sea kayak no. ${i}`, category: 'sports', city: 'Seattle' })),
    ];
    await upsertAll(service, docs);
    store = await service.serving();
  }, 120_000);
  afterAll(() => closeAll(opened));

  it('counts exactly while the matches stay within the limit', async () => {
    expect(await store.search({ q: 'kayak' })).toMatchObject({ total: KAYAKS, totalRelation: 'eq' });
    expect(await store.search({ q: 'lamp', city: 'Chicago' })).toMatchObject({ total: IN_CHICAGO, totalRelation: 'eq' });
  });

  it('counts exactly a match set of exactly the limit', async () => {
    expect(await store.search({ q: 'lamp', city: 'Boston' })).toMatchObject({ total: TOTAL_HITS_EXACT_UP_TO, totalRelation: 'eq' });
  });

  it('says "at least" past the limit, with the limit as the total, for words and for browsing', async () => {
    expect(await store.search({ q: 'lamp' })).toMatchObject({ total: TOTAL_HITS_EXACT_UP_TO, totalRelation: 'gte' });
    expect(await store.search({})).toMatchObject({ total: TOTAL_HITS_EXACT_UP_TO, totalRelation: 'gte' });
  });

  it('still pages and counts facets over at least the counted matches past the limit', async () => {
    const second = await store.search({ q: 'lamp', sort: 'price_asc', perPage: 20, page: 2 });
    expect(second.hits).toHaveLength(20);
    const first = await store.search({ q: 'lamp', sort: 'price_asc', perPage: 20, page: 1 });
    expect(new Set([...first.hits, ...second.hits].map((h) => h.id)).size).toBe(40);
    // Facets are counted over all matches (Elasticsearch) or over the counted ones (the port
    // allows either once totalRelation is 'gte'): never fewer than the total says.
    const counted = first.facets.city.reduce((sum, f) => sum + f.count, 0);
    expect(counted).toBeGreaterThanOrEqual(TOTAL_HITS_EXACT_UP_TO);
    expect(counted).toBeLessThanOrEqual(IN_BOSTON + IN_CHICAGO);
  });
});
