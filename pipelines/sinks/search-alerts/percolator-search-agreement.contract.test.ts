// The in-memory percolator against search itself, on every search adapter (the embedded engine
// always, Elasticsearch when ELASTICSEARCH_URL is set): for each saved search, the listings the
// percolator matches are exactly those a search with the same words and filters finds — word
// forms, synonyms, typos of one and two edits, the last word as a prefix, category, place and
// price. Each case also names what it finds, so the two sides cannot agree on nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { percolatedPerSearch } from '../../../test/fixtures/percolated.js';
import { closeAll, listingDocument, searchAdapters } from '../../../test/fixtures/search-adapters.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import type { ListingDocument, SearchService, SearchStore } from '../search/port.js';
import { searchQueryOf, type SavedSearch } from './saved-search.js';

const dir = tempDir();
afterAll(() => dir.remove());

// Cambridge is some 4.5 km from Boston, Worcester some 60 km; Portland some 230 km from Seattle.
// Listing 15 is in Boston without coordinates, as a listing whose city the gazetteer does not know.
const BOSTON = { latitude: 42.3601, longitude: -71.0589 };
const CAMBRIDGE = { latitude: 42.3736, longitude: -71.1097 };
const WORCESTER = { latitude: 42.2626, longitude: -71.8023 };
const PORTLAND = { latitude: 45.5152, longitude: -122.6784 };
const SEATTLE = { latitude: 47.6062, longitude: -122.3321 };

const CATALOG: ListingDocument[] = [
  listingDocument({ id: 1, ...BOSTON, name: 'Three-seat sofa', description: 'Grey fabric, seats three.', category: 'furniture', city: 'Boston', price_amount: 30_000 }),
  listingDocument({ id: 2, name: 'LG OLED TV 65"', description: 'Barely used, like new.', city: 'San Francisco', price_amount: 90_000 }),
  listingDocument({ id: 3, ...PORTLAND, name: 'Road bicycle, 56cm frame', description: 'Recently serviced.', category: 'bikes', city: 'Portland', price_amount: 45_000 }),
  listingDocument({ id: 4, ...SEATTLE, name: 'Sit-on-top kayak', description: 'With paddle.', category: 'sports', city: 'Seattle', price_amount: 60_000 }),
  listingDocument({ id: 5, ...BOSTON, name: 'Oak dining table', description: 'Seats six.', category: 'furniture', city: 'Boston', price_amount: 50_000 }),
  listingDocument({ id: 6, name: 'Oak dining table with chairs', description: 'Solid wood.', category: 'furniture', country: 'GB', city: 'London', price_amount: 80_000, price_currency: 'gbp' }),
  listingDocument({ id: 7, ...SEATTLE, name: 'Fender electric guitar', description: 'Comes with a case.', category: 'music', city: 'Seattle', price_amount: 70_000 }),
  listingDocument({ id: 8, ...CAMBRIDGE, name: 'Dell monitor 27 inch', description: 'Bright screen.', city: 'Boston', price_amount: 20_000 }),
  listingDocument({ id: 9, ...PORTLAND, name: 'Floor lamp', description: 'Warm light.', category: 'furniture', city: 'Portland', price_amount: 5_000 }),
  listingDocument({ id: 10, ...WORCESTER, name: 'Lampshade, linen', description: 'Fits most bases.', category: 'furniture', city: 'Boston', price_amount: 1_500 }),
  listingDocument({ id: 11, name: 'Mountain bike', description: 'Front suspension.', category: 'bikes', city: 'Denver', price_amount: 65_000 }),
  listingDocument({ id: 12, ...BOSTON, name: 'Philips television 42"', description: 'Wall mount included.', city: 'Boston', price_amount: 25_000 }),
  listingDocument({ id: 13, name: 'Leather armchair', description: 'Cognac brown.', category: 'furniture', country: 'DE', city: 'Berlin', price_amount: 40_000, price_currency: 'eur' }),
  listingDocument({ id: 14, name: 'Canon camera body', description: 'Low shutter count.', city: 'San Francisco', price_amount: 120_000 }),
  listingDocument({ id: 15, name: 'Garden hose', description: '25 metres.', category: 'garden', city: 'Boston', price_amount: 2_000 }),
];

interface Case {
  what: string;
  search: Partial<SavedSearch>;
  finds: number[];
}

// Searches of several words all find something: when nothing has every word, search ranks what
// has some of them, which an alert never does (see the README).
const CASES: Case[] = [
  { what: 'a word', search: { q: 'sofa' }, finds: [1] },
  { what: 'a synonym (couch: sofa)', search: { q: 'couch' }, finds: [1] },
  { what: 'the third word of a group (settee: sofa)', search: { q: 'settee' }, finds: [1] },
  { what: 'a synonym both ways (tv: television)', search: { q: 'tv' }, finds: [2, 12] },
  { what: 'a plural, its synonym, and a city in another case', search: { q: 'televisions', city: 'san francisco' }, finds: [2] },
  { what: 'a typo of one edit, a swap (guiatr)', search: { q: 'guiatr' }, finds: [7] },
  { what: 'a typo of two deleted letters (guitarra)', search: { q: 'guitarra' }, finds: [7] },
  { what: 'a typo of two changed letters (monetur)', search: { q: 'monetur' }, finds: [8] },
  { what: 'every word of two', search: { q: 'oak table' }, finds: [5, 6] },
  { what: 'every word, one only in the longer name', search: { q: 'oak chairs' }, finds: [6] },
  { what: 'two words and a price cap', search: { q: 'oak table', maxPrice: 60_000 }, finds: [5] },
  { what: 'two words and a country in lower case', search: { q: 'oak table', country: 'gb' }, finds: [6] },
  { what: 'the last word as the start of a longer one (lamp: lampshade)', search: { q: 'lamp' }, finds: [9, 10] },
  { what: 'two words of one name', search: { q: 'leather armchair' }, finds: [13] },
  { what: 'filters only: category and city, any case', search: { category: 'FURNITURE', city: 'boston' }, finds: [1, 5, 10] },
  { what: 'filters only: a country', search: { country: 'de' }, finds: [13] },
  { what: 'a minimum price, inclusive', search: { q: 'camera', minPrice: 120_000 }, finds: [14] },
  { what: 'a maximum price below every match', search: { q: 'camera', maxPrice: 119_999 }, finds: [] },
  { what: 'a word in another city', search: { q: 'kayak', city: 'Portland' }, finds: [] },
  { what: 'the city as a word', search: { q: 'portland' }, finds: [3, 9] },
  { what: 'a category and a price range', search: { category: 'bikes', minPrice: 45_000, maxPrice: 60_000 }, finds: [3] },
  { what: 'near a city within a radius (no coordinates: no match)', search: { near: { ...BOSTON, withinKm: 10 } }, finds: [1, 5, 8, 12] },
  { what: 'a word near a city within a radius', search: { q: 'lamp', near: { ...BOSTON, withinKm: 100 } }, finds: [10] },
  { what: 'near a city at any distance: listings with coordinates', search: { q: 'oak table', near: BOSTON }, finds: [5] },
  { what: 'a category near another city', search: { category: 'furniture', near: { ...SEATTLE, withinKm: 300 } }, finds: [9] },
];

const savedSearch = (id: number, fields: Partial<SavedSearch>): SavedSearch => ({
  id, userId: 99, q: null, country: null, city: null, category: null, minPrice: null, maxPrice: null, near: null, ...fields,
});

describe.each(searchAdapters(dir.path))('percolator agrees with search: $name', (adapter) => {
  const opened: SearchService[] = [];
  let store: SearchStore;
  /** Per case, the listings the percolator matched. */
  let percolated = new Map<number, number[]>();

  beforeAll(async () => {
    const service = await adapter.open();
    opened.push(service);
    await service.ensureIndex();
    store = await service.serving();
    await store.upsert(CATALOG.map((doc) => ({ doc, version: 1n })));
    percolated = await percolatedPerSearch(CASES.map((c, i) => savedSearch(i + 1, c.search)), CATALOG);
  });
  afterAll(() => closeAll(opened));

  it.each(CASES.map((c, i) => ({ ...c, id: i + 1 })))('$what', async ({ id, search, finds }) => {
    const result = await store.search({ ...searchQueryOf(savedSearch(id, search)), perPage: 100 });
    const found = result.hits.map((hit) => hit.id).sort((a, b) => a - b);
    expect({ search: found, percolator: percolated.get(id) ?? [] }).toEqual({ search: finds, percolator: finds });
  });
});

// Where the engines part, the percolator follows the embedded engine: a typo read as a word the
// listings use reaches that word's synonyms there, while Elasticsearch applies synonyms to the
// words as typed only.
const EMBEDDED_ONLY: Case[] = [
  { what: 'a typo of a word with synonyms (bicycel: bicycle, and so bike)', search: { q: 'bicycel' }, finds: [3, 11] },
  { what: 'a typo of a group word no listing uses finds nothing (coutch: couch, though sofa is listed)', search: { q: 'coutch' }, finds: [] },
];

describe('percolator agrees with search where the engines differ: embedded', () => {
  const opened: SearchService[] = [];
  let store: SearchStore;
  let percolated = new Map<number, number[]>();

  beforeAll(async () => {
    const service = await searchAdapters(dir.path)[0]!.open();
    opened.push(service);
    await service.ensureIndex();
    store = await service.serving();
    await store.upsert(CATALOG.map((doc) => ({ doc, version: 1n })));
    percolated = await percolatedPerSearch(EMBEDDED_ONLY.map((c, i) => savedSearch(i + 1, c.search)), CATALOG);
  });
  afterAll(() => closeAll(opened));

  it.each(EMBEDDED_ONLY.map((c, i) => ({ ...c, id: i + 1 })))('$what', async ({ id, search, finds }) => {
    const found = (await store.search({ q: search.q ?? undefined, perPage: 100 })).hits.map((hit) => hit.id).sort((a, b) => a - b);
    expect({ search: found, percolator: percolated.get(id) ?? [] }).toEqual({ search: finds, percolator: finds });
  });
});
