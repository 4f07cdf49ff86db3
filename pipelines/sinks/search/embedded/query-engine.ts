// Answers a query from the in-memory index: the posting lists of each query word's terms are
// walked term at a time into per-ordinal scratch arrays (score, which words matched), the filters
// are read from the typed columns, and one pass over the matches counts the total and the facets
// and keeps the requested page's best documents in a bounded heap. Nothing here allocates per
// document, and nothing is sorted but the page.
import { kmBetween } from '../geo-distance.js';
import { TOTAL_HITS_EXACT_UP_TO, type SearchSort, type TotalRelation } from '../port.js';
import { ACTIVE, type MemoryIndex } from './memory-index.js';
import { SortedOrder } from './sorted-order.js';
import { TopK } from './top-k.js';

/** A query word matched by any of these stems; at most 31 words (one bit each, one bit spare). */
export type TermGroup = readonly string[];
export const MAX_QUERY_WORDS = 31;
const REJECTED = 0x80000000;
const SORT_MODES: Record<SearchSort, number> = { relevance: 0, newest: 1, price_asc: 2, price_desc: 3, distance: 4 };

export interface Filters {
  category?: string;
  city?: string;
  country?: string;
  minPrice?: number;
  maxPrice?: number;
  near?: { latitude: number; longitude: number; withinKm?: number };
}

/** Reads the engine's scratch arrays: valid until the engine's next run. */
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

/** The filters as codes and bounds over the typed columns, tested per document in the hot loops. */
class CompiledFilter {
  private readonly category: number;
  private readonly city: number;
  private readonly country: number;
  private readonly min: number;
  private readonly max: number;
  private readonly near: boolean;
  private readonly latitude: number;
  private readonly longitude: number;
  private readonly withinKm: number;
  /** A box around the circle of withinKm: most documents outside it are rejected without trigonometry. */
  private readonly latitudeSpan: number;
  private readonly longitudeSpan: number;
  /** A value the index has never seen matches nothing. */
  readonly impossible: boolean;

  constructor(private readonly index: MemoryIndex, filters: Filters, private readonly distances: Float64Array) {
    this.category = filters.category !== undefined ? index.categories.find(filters.category) : -2;
    this.city = filters.city !== undefined ? index.cities.find(filters.city) : -2;
    this.country = filters.country !== undefined ? index.countries.find(filters.country) : -2;
    this.impossible = this.category === -1 || this.city === -1 || this.country === -1;
    this.min = filters.minPrice ?? -Infinity;
    this.max = filters.maxPrice ?? Infinity;
    this.near = filters.near !== undefined;
    this.latitude = filters.near?.latitude ?? 0;
    this.longitude = filters.near?.longitude ?? 0;
    this.withinKm = filters.near?.withinKm ?? Infinity;
    // 111.2 km per degree of latitude; a degree of longitude shrinks with the cosine of the
    // latitude, taken at the box's edge nearer a pole. Near the poles the box is the whole circle.
    this.latitudeSpan = this.withinKm / 111;
    const edge = Math.min(89.9, Math.abs(this.latitude) + this.latitudeSpan);
    this.longitudeSpan = Math.abs(this.latitude) + this.latitudeSpan >= 89.9 ? 360 : this.withinKm / (111 * Math.cos((edge * Math.PI) / 180));
  }

  get hasNear(): boolean {
    return this.near;
  }

  /** Whether the filters say nothing, so every active document matches. */
  get open(): boolean {
    return this.category < 0 && this.city < 0 && this.country < 0 && this.min === -Infinity && this.max === Infinity && !this.near;
  }

  passes(d: number): boolean {
    const index = this.index;
    if (index.state[d] !== ACTIVE) return false;
    if (this.category >= 0 && index.category[d] !== this.category) return false;
    if (this.city >= 0 && index.city[d] !== this.city) return false;
    if (this.country >= 0 && index.country[d] !== this.country) return false;
    const price = index.price[d]!;
    if (price < this.min || price > this.max) return false;
    if (this.near) {
      const latitude = index.latitude[d]!;
      if (Number.isNaN(latitude)) return false;
      const longitude = index.longitude[d]!;
      if (this.withinKm !== Infinity) {
        if (Math.abs(latitude - this.latitude) > this.latitudeSpan) return false;
        const dLon = Math.abs(longitude - this.longitude);
        if (Math.min(dLon, 360 - dLon) > this.longitudeSpan) return false;
      }
      const km = kmBetween(this.latitude, this.longitude, latitude, longitude);
      if (km > this.withinKm) return false;
      this.distances[d] = km;
    }
    return true;
  }
}

export class QueryEngine {
  private stamp = new Uint32Array(0);
  private scores = new Float32Array(0);
  private masks = new Uint32Array(0);
  private distances = new Float64Array(0);
  private candidates = new Int32Array(0);
  private matches = new Int32Array(0);
  private epoch = 0;
  private byNewest: SortedOrder | undefined;
  private byPrice: SortedOrder | undefined;

  constructor(private readonly index: MemoryIndex) {}

  /**
   * `groups` undefined: no text, every document that passes the filters matches. `every`: a
   * document must match each group; otherwise any one.
   */
  run(groups: readonly TermGroup[] | undefined, every: boolean, filters: Filters, sort: SearchSort, k: number): Evaluation {
    const index = this.index;
    this.prepare();
    const epoch = this.epoch;
    const { stamp, scores, distances, matches } = this;
    const filter = new CompiledFilter(index, filters, distances);
    if (groups === undefined && sort !== 'distance' && !filter.impossible) return this.browse(filter, sort, k);
    const n = filter.impossible ? 0 : groups === undefined ? this.collectAll(filter) : this.collectText(groups, every, filter);

    const facets = {
      category: new Int32Array(index.categories.values.length),
      city: new Int32Array(index.cities.values.length),
      country: new Int32Array(index.countries.values.length),
    };
    const order = groups !== undefined && sort === 'relevance' ? 'relevance' : sort === 'relevance' ? 'newest' : sort;
    const mode = SORT_MODES[order];
    // Ties: the newer id first, except where the sort is ascending.
    const tieSign = order === 'price_asc' || order === 'distance' ? -1 : 1;
    const { category, city, country, ids, created, price } = index;
    const byCategory = facets.category;
    const byCity = facets.city;
    const byCountry = facets.country;
    const top = new TopK(k);
    // One pass: facets, the sort key (larger is better) and the page's heap.
    for (let i = 0; i < n; i++) {
      const d = matches[i]!;
      byCategory[category[d]!]!++;
      byCity[city[d]!]!++;
      byCountry[country[d]!]!++;
      const key = mode === 0 ? scores[d]! : mode === 1 ? created[d]! : mode === 2 ? -price[d]! : mode === 3 ? price[d]! : -distances[d]!;
      const tie = tieSign * ids[d]!;
      if (top.admits(key, tie)) top.offer(key, tie, d);
    }
    return {
      total: Math.min(n, TOTAL_HITS_EXACT_UP_TO),
      totalRelation: n > TOTAL_HITS_EXACT_UP_TO ? 'gte' : 'eq',
      ordinals: top.drain(),
      facets,
      score: (d) => (groups !== undefined && stamp[d] === epoch ? scores[d]! : 0),
      distance: (d) => (filters.near ? distances[d]! : NaN),
    };
  }

  /**
   * A search without words, in a stored order: reads matches in that order until it has the page
   * and has counted past TOTAL_HITS_EXACT_UP_TO. Facets are exact without filters (kept per
   * value as documents come and go); with filters they are counted over the matches counted.
   */
  private browse(filter: CompiledFilter, sort: SearchSort, k: number): Evaluation {
    const index = this.index;
    const byPrice = sort === 'price_asc' || sort === 'price_desc';
    const sorted = byPrice ? (this.byPrice ??= new SortedOrder(index, 'price')) : (this.byNewest ??= new SortedOrder(index, 'newest'));
    const reverse = sort === 'price_desc';
    const { order, tailFrom } = sorted.current();
    const compare = reverse ? (a: number, b: number) => sorted.compare(b, a) : sorted.compare;
    const tail: number[] = [];
    for (let d = tailFrom; d < index.ordinals; d++) if (filter.passes(d)) tail.push(d);
    tail.sort(compare);

    const open = filter.open;
    const facets = {
      category: open ? Int32Array.from(index.categories.active) : new Int32Array(index.categories.values.length),
      city: open ? Int32Array.from(index.cities.active) : new Int32Array(index.cities.values.length),
      country: open ? Int32Array.from(index.countries.active) : new Int32Array(index.countries.values.length),
    };
    const page: number[] = [];
    let i = reverse ? order.length - 1 : 0;
    const step = reverse ? -1 : 1;
    const nextInOrder = (): number => {
      for (; i >= 0 && i < order.length; i += step) {
        const d = order[i]!;
        // The order may hold documents that died since it was built: passes() rejects them.
        if (filter.passes(d)) {
          i += step;
          return d;
        }
      }
      return -1;
    };
    let t = 0;
    let counted = 0;
    let m = nextInOrder();
    while (m >= 0 || t < tail.length) {
      let d: number;
      if (m >= 0 && (t >= tail.length || compare(m, tail[t]!) <= 0)) {
        d = m;
        m = nextInOrder();
      } else {
        d = tail[t++]!;
      }
      counted++;
      if (!open && counted <= TOTAL_HITS_EXACT_UP_TO) {
        facets.category[index.category[d]!]!++;
        facets.city[index.city[d]!]!++;
        facets.country[index.country[d]!]!++;
      }
      if (page.length < k) page.push(d);
      if (counted > TOTAL_HITS_EXACT_UP_TO && page.length >= k) break;
    }
    const total = open ? index.activeCount : counted;
    const distances = this.distances;
    const near = filter.hasNear;
    return {
      total: Math.min(total, TOTAL_HITS_EXACT_UP_TO),
      totalRelation: total > TOTAL_HITS_EXACT_UP_TO ? 'gte' : 'eq',
      ordinals: page,
      facets,
      score: () => 0,
      distance: (d) => (near ? distances[d]! : NaN),
    };
  }

  private collectAll(filter: CompiledFilter): number {
    const { state, ordinals } = this.index;
    const matches = this.matches;
    let n = 0;
    if (filter.open) {
      for (let d = 0; d < ordinals; d++) if (state[d] === ACTIVE) matches[n++] = d;
    } else {
      for (let d = 0; d < ordinals; d++) if (filter.passes(d)) matches[n++] = d;
    }
    return n;
  }

  /** Walks the postings into the scratch arrays and lists the matches; returns how many. */
  private collectText(groups: readonly TermGroup[], every: boolean, filter: CompiledFilter): number {
    const index = this.index;
    const { stamp, scores, masks, candidates, matches, epoch } = this;
    const documents = Math.max(1, index.size);
    const idf = (df: number) => Math.log(1 + Math.max(0, documents - df + 0.5) / (df + 0.5));
    // One word of one term: its postings are the matches, in order, no bookkeeping needed.
    if (groups.length === 1 && groups[0]!.length === 1) {
      const postings = index.postings(groups[0]![0]!);
      if (!postings) return 0;
      const weight = idf(postings.length);
      const { docs, impacts } = postings;
      let n = 0;
      const state = index.state;
      const open = filter.open;
      for (let i = 0; i < postings.length; i++) {
        const d = docs[i]!;
        if (open ? state[d] !== ACTIVE : !filter.passes(d)) continue;
        stamp[d] = epoch;
        scores[d] = weight * impacts[i]!;
        matches[n++] = d;
      }
      return n;
    }
    // Every word must match: start from the rarest word, whose postings bound the candidates;
    // later words only add to documents already listed.
    const order = groups.map((stems, bit) => ({ bit, stems, size: stems.reduce((sum, s) => sum + (index.postings(s)?.length ?? 0), 0) }));
    if (every) order.sort((a, b) => a.size - b.size);
    let c = 0;
    let required = 0;
    for (let position = 0; position < order.length; position++) {
      const { bit, stems } = order[position]!;
      const flag = 1 << bit;
      const opens = !every || position === 0;
      if (!opens) {
        // Keep only candidates that matched every word so far: later words can only test them.
        let kept = 0;
        for (let i = 0; i < c; i++) {
          const d = candidates[i]!;
          if ((masks[d]! & (REJECTED | required)) === required) candidates[kept++] = d;
        }
        c = kept;
      }
      for (const stem of stems) {
        const postings = index.postings(stem);
        if (!postings) continue;
        const weight = idf(postings.length);
        const { docs, impacts } = postings;
        const length = postings.length;
        if (!opens && c * 16 < length) {
          // Few candidates, a long list (a word in most listings): look each candidate up in
          // it (the ordinals are sorted) instead of reading it all.
          for (let i = 0; i < c; i++) {
            const d = candidates[i]!;
            let low = 0;
            let high = length;
            while (low < high) {
              const mid = (low + high) >>> 1;
              if (docs[mid]! < d) low = mid + 1;
              else high = mid;
            }
            if (low < length && docs[low] === d) {
              scores[d] = scores[d]! + weight * impacts[low]!;
              masks[d] = masks[d]! | flag;
            }
          }
          continue;
        }
        for (let i = 0; i < length; i++) {
          const d = docs[i]!;
          if (stamp[d] !== epoch) {
            if (!opens) continue;
            stamp[d] = epoch;
            candidates[c++] = d;
            if (!filter.passes(d)) {
              masks[d] = REJECTED;
              continue;
            }
            scores[d] = 0;
            masks[d] = 0;
          }
          const mask = masks[d]!;
          if (mask & REJECTED) continue;
          scores[d] = scores[d]! + weight * impacts[i]!;
          masks[d] = mask | flag;
        }
      }
      required |= flag;
    }
    const full = every ? (2 ** groups.length - 1) >>> 0 : 0;
    let n = 0;
    for (let i = 0; i < c; i++) {
      const d = candidates[i]!;
      const mask = masks[d]!;
      if (mask & REJECTED) continue;
      if (every ? mask === full : mask !== 0) matches[n++] = d;
    }
    return n;
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
      this.matches = new Int32Array(capacity);
      this.epoch = 0;
    }
    this.epoch++;
    if (this.epoch === 0xffffffff) {
      this.stamp.fill(0);
      this.epoch = 1;
    }
  }
}
