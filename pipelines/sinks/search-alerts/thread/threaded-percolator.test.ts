// The in-memory percolator on its own thread, beyond the percolator contract (which runs it as
// one more adapter): its saved searches live in the thread, so a thread that dies must not leave
// listings matched against an empty or partial set.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { isRetriable } from '../../../../core/errors.js';
import { listingDocument } from '../../../../test/fixtures/search-adapters.js';
import { tempDir } from '../../../../test/fixtures/temp-dir.js';
import type { SavedSearch } from '../saved-search.js';
import { ThreadedEmbeddedPercolator } from './threaded-percolator.js';

const threadOf = (percolator: ThreadedEmbeddedPercolator) => (percolator as unknown as { calls: { worker: Worker | undefined } }).calls.worker;

const search = (id: number, q: string): SavedSearch => ({ id, userId: id, q, country: null, city: null, category: null, minPrice: null, maxPrice: null, near: null });
const SAVED = [search(1, 'kayak'), search(2, 'road bike'), search(3, 'oak table')];

describe('the saved-search percolator on its own thread', () => {
  it('refuses to match while a new thread is filled again after the last one died, then matches against every saved search', async () => {
    const percolator = new ThreadedEmbeddedPercolator();
    try {
      await percolator.upsert(SAVED);
      const listings = [listingDocument({ id: 10, name: 'Sit-on-top kayak' }), listingDocument({ id: 11, name: 'Road bike, 56cm' })];
      expect(await percolator.match(listings)).toEqual(new Map([[10, [1]], [11, [2]]]));

      // Filled again as the alerts worker fills it; held until the test lets it finish.
      let release!: () => void;
      const held = new Promise<void>((resolve) => { release = resolve; });
      let fills = 0;
      percolator.refillWith(async (target) => {
        fills++;
        await held;
        await target.upsert(SAVED);
        target.learn?.([{ name: 'Kayak', description: 'A kayak', category: 'sports', city: 'Leeds' }]);
      });
      await threadOf(percolator)!.terminate();
      await expect.poll(() => fills).toBe(1);

      // The new thread is empty until filled: matching now would miss alerts, so it is refused.
      const refused = await percolator.match(listings).then(() => undefined, (error: unknown) => error as Error);
      expect(refused?.message).toMatch(/being filled again after its thread stopped/);
      expect(isRetriable(refused)).toBe(true);

      release();
      await expect.poll(() => percolator.count().catch(() => -1), { timeout: 10_000 }).toBe(3);
      expect(await percolator.match(listings)).toEqual(new Map([[10, [1]], [11, [2]]]));
    } finally {
      await percolator.close();
    }
  }, 30_000);

  it('keeps the words its thread learns in its file, and a new thread takes them back', async () => {
    const dir = tempDir();
    const wordsFile = join(dir.path, 'known-words.txt');
    const first = new ThreadedEmbeddedPercolator({ wordsFile });
    try {
      expect(await first.restoreWords()).toBeUndefined();
      await first.upsert([search(4, 'kayac')]);
      // A typo of "kayak" while no listing uses "kayac" (matched); then a listing teaches it.
      expect((await first.match([listingDocument({ id: 10, name: 'Sit-on-top kayak' })])).get(10)).toEqual([4]);
      await first.match([listingDocument({ id: 11, name: 'Kayac brand dry bag' })]);
      expect(readFileSync(wordsFile, 'utf8').split('\n')).toContain('kayac');
    } finally {
      await first.close();
    }
    const next = new ThreadedEmbeddedPercolator({ wordsFile });
    try {
      expect(await next.restoreWords()).toBeGreaterThan(3);
      await next.upsert([search(4, 'kayac')]);
      expect((await next.match([listingDocument({ id: 10, name: 'Sit-on-top kayak' })])).get(10)).toBeUndefined();
    } finally {
      await next.close();
      dir.remove();
    }
  }, 30_000);
});
