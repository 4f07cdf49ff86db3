// The in-memory percolator keeps what each listing's text satisfied, so an update of its price or
// status is matched without reading the text again: these cases change what the text would
// satisfy in between (saved words added and removed, a word the listings start to use) and check
// the listing is matched against what holds now, not what held when its text was first read.
import { describe, expect, it } from 'vitest';
import { listingDocument } from '../../../test/fixtures/search-adapters.js';
import { EmbeddedPercolator } from './embedded-percolator.js';
import type { SavedSearch } from './saved-search.js';

const search = (id: number, fields: Partial<SavedSearch>): SavedSearch => ({
  id, userId: 1, q: null, country: null, city: null, category: null, minPrice: null, maxPrice: null, near: null, ...fields,
});
const kayak = (price: number) => listingDocument({ id: 10, name: 'Sit-on-top kayak', description: 'With a paddle.', category: 'sports', price_amount: price });

describe('the in-memory percolator, a listing matched again after only its price changed', () => {
  it('matches against the saved searches of now: one added since, one removed since', async () => {
    const percolator = new EmbeddedPercolator();
    await percolator.upsert([search(1, { q: 'kayak' })]);
    expect((await percolator.match([kayak(10_000)])).get(10)).toEqual([1]);

    await percolator.upsert([search(2, { q: 'paddle', maxPrice: 500 })]);
    expect((await percolator.match([kayak(10_000)])).get(10)).toEqual([1]);
    expect((await percolator.match([kayak(400)])).get(10)).toEqual([1, 2]);

    await percolator.remove([1]);
    expect((await percolator.match([kayak(300)])).get(10)).toEqual([2]);
  });

  it('stops forgiving a typo once another listing uses the word as written', async () => {
    const percolator = new EmbeddedPercolator();
    // "kayac" is one letter from "kayak": a typo search forgives while no listing uses "kayac".
    await percolator.upsert([search(3, { q: 'kayac' })]);
    expect((await percolator.match([kayak(10_000)])).get(10)).toEqual([3]);

    await percolator.match([listingDocument({ id: 11, name: 'Kayac brand dry bag', category: 'sports' })]);
    // Now a word the listings use: meant, not a typo of "kayak" (as search would then read it).
    expect((await percolator.match([kayak(9_000)])).get(10)).toBeUndefined();
  });

  it('reads the text again when it changed', async () => {
    const percolator = new EmbeddedPercolator();
    await percolator.upsert([search(4, { q: 'canoe' })]);
    expect((await percolator.match([kayak(10_000)])).get(10)).toBeUndefined();
    expect((await percolator.match([{ ...kayak(10_000), name: 'Open canoe' }])).get(10)).toEqual([4]);
  });
});
