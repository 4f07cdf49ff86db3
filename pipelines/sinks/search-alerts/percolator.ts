// The percolator port: saved searches are indexed, and a listing is matched against all of them
// at once (search turned around). Adapters: embedded-percolator.ts (in memory, keyed by the
// searches' analysed terms) and elasticsearch-percolator.ts (a percolator index and the
// percolate query). Both apply search's analysis: stems, and typos as search tolerates them.
import type { ListingDocument } from '../search/port.js';
import type { SavedSearch } from './saved-search.js';

export interface Percolator {
  readonly kind: 'embedded' | 'elasticsearch';
  /** Adds or replaces saved searches (by id). */
  upsert(searches: readonly SavedSearch[]): Promise<void>;
  remove(ids: readonly number[]): Promise<void>;
  /** Per listing id, the ids of the saved searches it matches (listings matching none are absent). */
  match(listings: readonly ListingDocument[]): Promise<Map<number, number[]>>;
  /**
   * Takes note of the words listings already use, where the adapter decides typos by them (the
   * in-memory one: a saved word the listings use is meant, not a typo of another).
   */
  learn?(listings: readonly Pick<ListingDocument, 'name' | 'description' | 'category' | 'city'>[]): void;
  /**
   * Takes back the words earlier runs learned, where the adapter keeps them (the in-memory one,
   * given a file); resolves with how many it knows then, or undefined when none were kept: then
   * they are learned from the listings again.
   */
  restoreWords?(): Promise<number | undefined>;
  /** Saved searches held. */
  count(): Promise<number>;
  /**
   * How to fill it again, where an adapter can lose what it holds (the in-memory one on its own
   * thread, should the thread die): the same as filled it first, the saved searches and words.
   */
  refillWith?(fill: (percolator: Percolator) => Promise<void>): void;
  close(): Promise<void>;
}
