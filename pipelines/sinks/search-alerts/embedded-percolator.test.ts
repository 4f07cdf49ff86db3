// The in-memory percolator keeps what each listing's text satisfied, so an update of its price or
// status is matched without reading the text again: these cases change what the text would
// satisfy in between (saved words added and removed, a word the listings start to use) and check
// the listing is matched against what holds now, not what held when its text was first read.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listingDocument } from '../../../test/fixtures/search-adapters.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
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

describe('the words the in-memory percolator learned, kept for the next start', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('takes back every word an earlier run learned, so a restart reads a typo as the earlier run did', async () => {
    const wordsFile = join(dir.path, 'alerts', 'known-words.txt');
    const first = new EmbeddedPercolator({ wordsFile });
    expect(await first.restoreWords()).toBeUndefined();
    first.learn([{ name: 'Touring bicycle', description: 'Steel frame', category: 'bikes', city: 'Lyon' }]);
    // Learned while matching: in the file before the match is answered (and its batch committed).
    await first.match([listingDocument({ id: 11, name: 'Kayac brand dry bag', category: 'sports' })]);
    const kept = readFileSync(wordsFile, 'utf8').trim().split('\n');
    expect(kept).toEqual(expect.arrayContaining(['kayac', 'bag', 'steel']));
    expect(new Set(kept).size).toBe(kept.length);
    // Known words are written once: matching them again adds nothing.
    await first.match([listingDocument({ id: 12, name: 'Kayac dry bag', category: 'sports' })]);
    expect(readFileSync(wordsFile, 'utf8').trim().split('\n')).toEqual(kept);

    // A kill -9 in a write the power then cut short: the torn last line is left out.
    appendFileSync(wordsFile, 'kaya');
    const restarted = new EmbeddedPercolator({ wordsFile });
    expect(await restarted.restoreWords()).toBe(kept.length);
    await restarted.upsert([search(3, { q: 'kayac' })]);
    // "kayac" is a word the listings use (learned before the restart): meant, not a typo of "kayak".
    expect((await restarted.match([kayak(10_000)])).get(10)).toBeUndefined();
    // Without the kept words the same saved search forgives the typo, as after a start with no file.
    const forgetful = new EmbeddedPercolator();
    await forgetful.upsert([search(3, { q: 'kayac' })]);
    expect((await forgetful.match([kayak(10_000)])).get(10)).toEqual([3]);
  });
});
