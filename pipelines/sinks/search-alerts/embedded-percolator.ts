// The percolator on one machine, in memory (the worker loads the saved searches at start and
// follows their changes). Each saved search is filed under one key: its longest word, joined with
// its city when it names one (alerts are mostly for a place, so a common word in one city keeps
// the candidate list short), or, with no words, its most selective filter. A listing's words find
// the saved words they satisfy as search would (same stem, a synonym, a typo search forgives, the
// last word as a prefix); those words' searches are the candidates, and a candidate matches when
// all its words and filters do.
import { stemmer } from 'stemmer';
import { MAX_QUERY_WORDS } from '../search/embedded/query-engine.js';
import { coordinatesOf, distanceKm } from '../search/geo-distance.js';
import type { ListingDocument } from '../search/port.js';
import { words } from '../search/query-terms.js';
import { DEFAULT_SYNONYMS, synonymsByStem, type SynonymGroups } from '../search/synonyms.js';
import type { Percolator } from './percolator.js';
import type { SavedSearch } from './saved-search.js';
import { appendKnownWords, readKnownWords } from './known-words-file.js';
import { TypoTrie } from './typo-trie.js';

export interface EmbeddedPercolatorOptions {
  /** The groups search expands queries with (SEARCH_SYNONYMS); default DEFAULT_SYNONYMS, as search. */
  synonyms?: SynonymGroups;
  /** Where the stems learned from listings are kept between runs (see known-words-file.ts); nowhere when unset. */
  wordsFile?: string;
}

interface Analysed {
  listingWords: Set<string>;
  listingStems: Set<string>;
}

/** What a listing's words come from: a change of anything else leaves what they satisfy as it was. */
const listingText = (doc: ListingDocument) => `${doc.name}\u0000${doc.description}\u0000${doc.category}\u0000${doc.city}`;

interface Entry {
  search: SavedSearch;
  /** Every word but the last: each must be in the listing (as search finds a word). */
  words: string[];
  /** The last word, which search also finds as the start of a longer word (type-ahead). */
  last: string | undefined;
  key: string;
}

/** A saved search with no words and no place or category: every listing is a candidate. */
const EVERY_LISTING = 'any';
const CACHE_SIZE = 100_000;

/** The words a saved search must find in a listing, in order, as search splits them. */
export function searchTerms(q: string | null): string[] {
  return q ? words(q).slice(0, MAX_QUERY_WORDS) : [];
}

/** The key a search is filed under: its longest word (with its city), else its most selective filter. */
export function percolatorKey(search: Pick<SavedSearch, 'q' | 'city' | 'category' | 'country'>): string {
  const terms = searchTerms(search.q);
  if (terms.length > 0) {
    const longest = [...terms].sort((a, b) => b.length - a.length || (a < b ? -1 : 1))[0]!;
    return wordKey(longest, search.city);
  }
  if (search.city) return `city:${search.city.toLowerCase()}`;
  if (search.category) return `category:${search.category.toLowerCase()}`;
  if (search.country) return `country:${search.country.toLowerCase()}`;
  return EVERY_LISTING;
}

function wordKey(word: string, city: string | null): string {
  return city ? `term:${word}|city:${city.toLowerCase()}` : `term:${word}`;
}

export class EmbeddedPercolator implements Percolator {
  readonly kind = 'embedded' as const;
  private readonly entries = new Map<number, Entry>();
  private readonly byKey = new Map<string, Set<number>>();
  /** Per stem, the other stems of its synonym group (search's expansion, by stem). */
  private readonly synonyms: Map<string, string[]>;
  /** Per stem, the words of its synonym groups as written ("bike" -> bike, bicycle). */
  private readonly groupWords = new Map<string, string[]>();
  /** Every word some saved search holds, with how many hold it; and the same by stem. */
  private readonly termRefs = new Map<string, number>();
  private readonly termsByStem = new Map<string, Set<string>>();
  /** Last words of saved searches, with how many searches end with each (for the prefix lookup). */
  private readonly lastWords = new Map<string, number>();
  private longestLastWord = 0;
  private readonly typos = new TypoTrie();
  /** A listing word -> the saved words within a typo of it; cleared when a saved word is added. */
  private readonly typoCache = new Map<string, string[]>();
  private readonly stemCache = new Map<string, string>();
  /** Per listing, what its text satisfied (see wordsMatched), as of `generation`. */
  private readonly textMatches = new Map<number, { text: string; generation: number; satisfied: Set<string>; prefixed: Set<string> }>();
  /** Bumped by any change of the saved words or of the known stems. */
  private generation = 0;
  /**
   * Stems seen in listings. As search does, a saved word whose stem (or a synonym's) the listings
   * use is taken as meant, not as a typo: "cat" then does not find "car".
   */
  private readonly knownStems = new Set<string>();
  /** Known stems not yet written to the words file. */
  private newStems: string[] = [];

  constructor(private readonly options: EmbeddedPercolatorOptions = {}) {
    const groups = options.synonyms ?? DEFAULT_SYNONYMS;
    this.synonyms = synonymsByStem(groups);
    for (const group of groups) {
      const written = [...new Set(group.flatMap((word) => words(word)))];
      for (const word of written) {
        const stem = stemmer(word);
        this.groupWords.set(stem, [...new Set([...(this.groupWords.get(stem) ?? []), ...written])]);
      }
    }
  }

  async upsert(searches: readonly SavedSearch[]): Promise<void> {
    this.generation++;
    for (const search of searches) {
      this.delete(search.id);
      const terms = searchTerms(search.q);
      const last = terms.at(-1);
      const entry: Entry = { search, words: [...new Set(terms.slice(0, -1))], last, key: percolatorKey(search) };
      this.entries.set(search.id, entry);
      let ids = this.byKey.get(entry.key);
      if (!ids) this.byKey.set(entry.key, (ids = new Set()));
      ids.add(search.id);
      for (const term of new Set(terms)) this.addTerm(term);
      if (last !== undefined) {
        this.lastWords.set(last, (this.lastWords.get(last) ?? 0) + 1);
        if (last.length > this.longestLastWord) this.longestLastWord = last.length;
      }
    }
  }

  async remove(ids: readonly number[]): Promise<void> {
    this.generation++;
    for (const id of ids) this.delete(id);
  }

  async count(): Promise<number> {
    return this.entries.size;
  }

  async restoreWords(): Promise<number | undefined> {
    const kept = this.options.wordsFile ? readKnownWords(this.options.wordsFile) : undefined;
    if (!kept) return undefined;
    for (const stem of kept) this.knownStems.add(stem);
    this.generation++;
    return this.knownStems.size;
  }

  /** Stems learned since the last call go to the file, before whoever asked is answered. */
  private keepNewStems(): void {
    if (this.newStems.length === 0) return;
    const stems = this.newStems;
    this.newStems = [];
    if (this.options.wordsFile) appendKnownWords(this.options.wordsFile, stems);
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.byKey.clear();
    this.textMatches.clear();
  }

  learn(listings: readonly Pick<ListingDocument, 'name' | 'description' | 'category' | 'city'>[]): void {
    for (const doc of listings) this.analyse(doc);
    this.keepNewStems();
  }

  /** The listing's words and stems; its stems become known. */
  private analyse(doc: Pick<ListingDocument, 'name' | 'description' | 'category' | 'city'>): Analysed {
    const listingWords = new Set(words(`${doc.name} ${doc.description} ${doc.category} ${doc.city}`));
    const listingStems = new Set<string>();
    for (const word of listingWords) listingStems.add(this.stem(word));
    for (const stem of listingStems) {
      if (this.knownStems.has(stem)) continue;
      this.knownStems.add(stem);
      this.newStems.push(stem);
      // A word newly known is no typo any more: what texts were found to satisfy may change.
      this.generation++;
    }
    return { listingWords, listingStems };
  }

  async match(listings: readonly ListingDocument[]): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>();
    const texts = listings.map(listingText);
    // Every listing of the batch is in the index before any is matched, as with search. A text
    // matched before is known already: analysing it again would teach nothing.
    const analysed = listings.map((doc, i) => (this.textMatches.get(doc.id)?.text === texts[i] ? undefined : this.analyse(doc)));
    this.keepNewStems();
    // With no saved search nothing can match: the listings' words were all there was to learn.
    if (this.entries.size === 0) return out;
    listings.forEach((doc, i) => {
      const { satisfied, prefixed } = this.wordsMatched(doc, texts[i]!, analysed[i]);
      const city = doc.city.toLowerCase();
      const keys = new Set<string>([`city:${city}`, `category:${doc.category.toLowerCase()}`, `country:${doc.country.toLowerCase()}`, EVERY_LISTING]);
      for (const term of [...satisfied, ...prefixed]) {
        keys.add(wordKey(term, null));
        keys.add(wordKey(term, city));
      }
      const matched: number[] = [];
      for (const key of keys) {
        for (const id of this.byKey.get(key) ?? []) {
          const { search, words: required, last } = this.entries.get(id)!;
          if (!required.every((term) => satisfied.has(term))) continue;
          if (last !== undefined && !satisfied.has(last) && !(last.length >= 2 && prefixed.has(last))) continue;
          if (passesFilters(search, doc)) matched.push(id);
        }
      }
      if (matched.length > 0) out.set(doc.id, matched.sort((a, b) => a - b));
    });
    return out;
  }

  /**
   * The saved words a listing's text satisfies, and the saved last words it starts: what its text
   * alone decides. Kept per listing while the saved words and the known stems stay as they were,
   * so a change of price or status (most updates) is matched without reading its text again.
   */
  private wordsMatched(doc: ListingDocument, text: string, analysed: Analysed | undefined): { satisfied: Set<string>; prefixed: Set<string> } {
    const kept = this.textMatches.get(doc.id);
    if (kept && kept.text === text && kept.generation === this.generation) return kept;
    const { listingWords, listingStems } = analysed ?? this.analyse(doc);
    const satisfied = new Set<string>();
    for (const stem of listingStems) {
      for (const term of this.termsByStem.get(stem) ?? []) satisfied.add(term);
      for (const synonym of this.synonyms.get(stem) ?? []) for (const term of this.termsByStem.get(synonym) ?? []) satisfied.add(term);
    }
    for (const word of listingWords) {
      for (const term of this.typosOf(word)) if (this.termRefs.has(term) && !this.isKnown(term)) satisfied.add(term);
    }
    // Search corrects a typo to a word the listings use, then adds that word's synonyms:
    // "bicycel" is read as "bicycle" and so finds "bike" too.
    for (const stem of listingStems) {
      for (const written of this.groupWords.get(stem) ?? []) {
        if (!this.knownStems.has(this.stem(written))) continue;
        for (const term of this.typosOf(written)) if (this.termRefs.has(term) && !this.isKnown(term)) satisfied.add(term);
      }
    }
    const matched = { text, generation: this.generation, satisfied, prefixed: this.prefixesIn(listingWords) };
    if (this.textMatches.size >= CACHE_SIZE) this.textMatches.clear();
    this.textMatches.set(doc.id, matched);
    return matched;
  }

  private stem(word: string): string {
    let stem = this.stemCache.get(word);
    if (stem === undefined) {
      if (this.stemCache.size >= CACHE_SIZE) this.stemCache.clear();
      this.stemCache.set(word, (stem = stemmer(word)));
    }
    return stem;
  }

  /** Whether the listings use the saved word's stem or a synonym of it (then it is no typo). */
  private isKnown(term: string): boolean {
    const stem = this.stem(term);
    return this.knownStems.has(stem) || (this.synonyms.get(stem) ?? []).some((synonym) => this.knownStems.has(synonym));
  }

  /** Saved last words that start a word of the listing (search's type-ahead on the last word). */
  private prefixesIn(listingWords: Set<string>): Set<string> {
    const found = new Set<string>();
    if (this.lastWords.size === 0) return found;
    for (const word of listingWords) {
      const longest = Math.min(word.length, this.longestLastWord);
      for (let length = 2; length <= longest; length++) {
        const prefix = word.slice(0, length);
        if (this.lastWords.has(prefix)) found.add(prefix);
      }
    }
    return found;
  }

  private typosOf(word: string): string[] {
    let found = this.typoCache.get(word);
    if (found) return found;
    found = this.typos.typosOf(word);
    if (this.typoCache.size >= CACHE_SIZE) this.typoCache.clear();
    this.typoCache.set(word, found);
    return found;
  }

  private addTerm(term: string): void {
    const refs = this.termRefs.get(term) ?? 0;
    this.termRefs.set(term, refs + 1);
    if (refs > 0) return;
    const stem = this.stem(term);
    let byStem = this.termsByStem.get(stem);
    if (!byStem) this.termsByStem.set(stem, (byStem = new Set()));
    byStem.add(term);
    this.typos.add(term);
    this.typoCache.clear();
  }

  /** A dropped word stays in cached typo answers; matching skips words no search holds. */
  private dropTerm(term: string): void {
    const refs = (this.termRefs.get(term) ?? 0) - 1;
    if (refs > 0) {
      this.termRefs.set(term, refs);
      return;
    }
    this.termRefs.delete(term);
    this.termsByStem.get(this.stem(term))?.delete(term);
    this.typos.delete(term);
  }

  private delete(id: number): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.byKey.get(entry.key)?.delete(id);
    const terms = new Set(entry.words);
    if (entry.last !== undefined) {
      terms.add(entry.last);
      const refs = (this.lastWords.get(entry.last) ?? 0) - 1;
      if (refs > 0) this.lastWords.set(entry.last, refs);
      else this.lastWords.delete(entry.last);
    }
    for (const term of terms) this.dropTerm(term);
  }
}

/** The filters search applies: place and category without regard to case, price inclusive, distance as search measures it. */
export function passesFilters(search: SavedSearch, doc: ListingDocument): boolean {
  if (search.country && search.country.toLowerCase() !== doc.country.toLowerCase()) return false;
  if (search.city && search.city.toLowerCase() !== doc.city.toLowerCase()) return false;
  if (search.category && search.category.toLowerCase() !== doc.category.toLowerCase()) return false;
  if (search.minPrice !== null && doc.price_amount < search.minPrice) return false;
  if (search.maxPrice !== null && doc.price_amount > search.maxPrice) return false;
  if (search.near) {
    const at = coordinatesOf(doc);
    if (!at) return false;
    if (search.near.withinKm !== undefined && distanceKm(search.near, at) > search.near.withinKm) return false;
  }
  return true;
}
