// Answers a query from the in-memory index: the posting lists of each query word's terms are
// walked term at a time into per-ordinal scratch arrays (score, which words matched), the filters
// are read from the typed columns, and one pass over the matches counts the total and the facets
// and keeps the requested page's best documents in a bounded heap. Nothing here allocates per
// document, and nothing is sorted but the page.
import { TOTAL_HITS_EXACT_UP_TO, type SearchSort, type TotalRelation } from '../port.js';
import { distanceKm } from './geo.js';
import { ACTIVE, type MemoryIndex } from './memory-index.js';
import { TopK } from './top-k.js';

/** A query word matched by any of these stems; at most 31 words (one bit each, one bit spare). */
export type TermGroup = readonly string[];
export const MAX_QUERY_WORDS = 31;
const REJECTED = 0x80000000;

export interface Filters {
  category?: string;
  city?: string;
  country?: string;
  minPrice?: number;
  maxPrice?: number;
  near?: { latitude: number; longitude: number; withinKm?: number };
}

export interface Evaluation {
  total: number;
  totalRelation: TotalRelation;
  /** The best `k` ordinals, best first. */
  ordinals: number[];
  /** Counts per code of each keyword field, over every match. */
  facets: { category: Int32Array; city: Int32Array; country: Int32Array };
  score(ordinal: number): number;
  /** Kilometres from the query's point (NaN without one). */
  distance(ordinal: number): number;
}

export class QueryEngine {
  private stamp = new Uint32Array(0);
  private scores = new Float32Array(0);
  private masks = new Uint32Array(0);
  private distances = new Float64Array(0);
  private candidates = new Int32Array(0);
  private epoch = 0;

  constructor(private readonly index: MemoryIndex) {}

  /**
   * `groups` undefined: no text, every document that passes the filters matches. `every`: a
   * document must match each group; otherwise any one.
   */
  run(groups: readonly TermGroup[] | undefined, every: boolean, filters: Filters, sort: SearchSort, k: number): Evaluation {
    const index = this.index;
    this.prepare();
    const epoch = this.epoch;
    const { stamp, scores, masks, distances } = this;
    const accept = this.acceptor(filters);
    const facets = {
      category: new Int32Array(index.categories.values.length),
      city: new Int32Array(index.cities.values.length),
      country: new Int32Array(index.countries.values.length),
    };
    const top = new TopK(k);
    let count = 0;
    const textSort = groups !== undefined && sort === 'relevance';
    const keyOf = this.keyFunction(textSort ? 'relevance' : sort === 'relevance' ? 'newest' : sort);
    const take = (d: number) => {
      count++;
      facets.category[index.category[d]!]!++;
      facets.city[index.city[d]!]!++;
      facets.country[index.country[d]!]!++;
      const key = keyOf(d);
      const tie = sort === 'price_asc' || sort === 'distance' ? -index.ids[d]! : index.ids[d]!;
      if (top.admits(key, tie)) top.offer(key, tie, d);
    };

    if (groups === undefined) {
      for (let d = 0; d < index.ordinals; d++) if (accept(d)) take(d);
    } else {
      const n = this.collect(groups, every, accept);
      const full = every ? (2 ** groups.length - 1) >>> 0 : 0;
      const candidates = this.candidates;
      for (let i = 0; i < n; i++) {
        const d = candidates[i]!;
        const mask = masks[d]!;
        if (mask & REJECTED) continue;
        if (every ? mask === full : mask !== 0) take(d);
      }
    }
    return {
      total: Math.min(count, TOTAL_HITS_EXACT_UP_TO),
      totalRelation: count > TOTAL_HITS_EXACT_UP_TO ? 'gte' : 'eq',
      ordinals: top.drain(),
      facets,
      score: (d) => (groups !== undefined && stamp[d] === epoch ? scores[d]! : 0),
      distance: (d) => (filters.near ? distances[d]! : NaN),
    };
  }

  /** Walks the postings into the scratch arrays; returns how many candidates it listed. */
  private collect(groups: readonly TermGroup[], every: boolean, accept: (d: number) => boolean): number {
    const index = this.index;
    const { stamp, scores, masks, candidates, epoch } = this;
    const documents = Math.max(1, index.size);
    // Every word must match: start from the rarest word, whose postings bound the candidates;
    // later words only add to documents already listed.
    const order = groups.map((stems, bit) => ({ bit, stems, size: stems.reduce((sum, s) => sum + (index.postings(s)?.length ?? 0), 0) }));
    if (every) order.sort((a, b) => a.size - b.size);
    let n = 0;
    order.forEach(({ bit, stems }, position) => {
      const flag = 1 << bit;
      const opens = !every || position === 0;
      for (const stem of stems) {
        const postings = index.postings(stem);
        if (!postings) continue;
        const df = postings.length;
        const idf = Math.log(1 + Math.max(0, documents - df + 0.5) / (df + 0.5));
        const { docs, impacts } = postings;
        for (let i = 0; i < df; i++) {
          const d = docs[i]!;
          if (stamp[d] !== epoch) {
            if (!opens) continue;
            stamp[d] = epoch;
            candidates[n++] = d;
            if (!accept(d)) {
              masks[d] = REJECTED;
              continue;
            }
            scores[d] = 0;
            masks[d] = 0;
          }
          if (masks[d]! & REJECTED) continue;
          scores[d]! += idf * impacts[i]!;
          masks[d]! |= flag;
        }
      }
    });
    return n;
  }

  private acceptor(filters: Filters): (d: number) => boolean {
    const index = this.index;
    const { state, price } = index;
    const category = filters.category !== undefined ? index.categories.find(filters.category) : -2;
    const city = filters.city !== undefined ? index.cities.find(filters.city) : -2;
    const country = filters.country !== undefined ? index.countries.find(filters.country) : -2;
    // A value the index has never seen matches nothing.
    if (category === -1 || city === -1 || country === -1) return () => false;
    const min = filters.minPrice ?? -Infinity;
    const max = filters.maxPrice ?? Infinity;
    const near = filters.near;
    const within = near?.withinKm ?? Infinity;
    const distances = this.distances;
    return (d) => {
      if (state[d] !== ACTIVE) return false;
      if (category >= 0 && index.category[d] !== category) return false;
      if (city >= 0 && index.city[d] !== city) return false;
      if (country >= 0 && index.country[d] !== country) return false;
      const p = price[d]!;
      if (p < min || p > max) return false;
      if (near) {
        const latitude = index.latitude[d]!;
        if (Number.isNaN(latitude)) return false;
        const km = distanceKm(near, { latitude, longitude: index.longitude[d]! });
        if (km > within) return false;
        distances[d] = km;
      }
      return true;
    };
  }

  /** A number per document where larger is better. */
  private keyFunction(sort: SearchSort): (d: number) => number {
    const index = this.index;
    const scores = this.scores;
    const distances = this.distances;
    switch (sort) {
      case 'relevance': return (d) => scores[d]!;
      case 'newest': return (d) => index.created[d]!;
      case 'price_asc': return (d) => -index.price[d]!;
      case 'price_desc': return (d) => index.price[d]!;
      case 'distance': return (d) => -distances[d]!;
    }
  }

  private prepare(): void {
    const size = this.index.ordinals;
    if (this.stamp.length < size) {
      const capacity = Math.max(1024, size * 1.5) | 0;
      this.stamp = new Uint32Array(capacity);
      this.scores = new Float32Array(capacity);
      this.masks = new Uint32Array(capacity);
      this.distances = new Float64Array(capacity);
      this.candidates = new Int32Array(capacity);
      this.epoch = 0;
    }
    this.epoch++;
    if (this.epoch === 0xffffffff) {
      this.stamp.fill(0);
      this.epoch = 1;
    }
  }
}
