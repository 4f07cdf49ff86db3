// The percolator on one machine, in memory (the worker loads the saved searches at start and
// follows their changes): each saved search is filed under one key, its longest word (a rare word
// keeps the candidate list short), or, with no words, its most selective filter. A listing's words
// find the search words they satisfy (same stem, or a typo search would forgive), those words'
// searches are the candidates, and a candidate matches when all its words and filters do.
import { stemmer } from 'stemmer';
import type { ListingDocument } from '../search/port.js';
import { allowedEdits, editDistance, words } from '../search/query-terms.js';
import type { Percolator } from './percolator.js';
import type { SavedSearch } from './saved-search.js';

interface Entry {
  search: SavedSearch;
  terms: string[];
  key: string;
}

/** The words a saved search must find in a listing, as search splits them. */
export function searchTerms(q: string | null): string[] {
  return q ? [...new Set(words(q))] : [];
}

/** The key a search is filed under: its longest word, else its most selective filter; undefined when it has neither. */
export function percolatorKey(search: Pick<SavedSearch, 'q' | 'city' | 'category' | 'country'>): string | undefined {
  const terms = searchTerms(search.q);
  if (terms.length > 0) return `term:${[...terms].sort((a, b) => b.length - a.length || (a < b ? -1 : 1))[0]}`;
  if (search.city) return `city:${search.city.toLowerCase()}`;
  if (search.category) return `category:${search.category.toLowerCase()}`;
  if (search.country) return `country:${search.country.toLowerCase()}`;
  return undefined;
}

const TYPO_CACHE_SIZE = 100_000;

export class EmbeddedPercolator implements Percolator {
  readonly kind = 'embedded' as const;
  private readonly entries = new Map<number, Entry>();
  private readonly byKey = new Map<string, Set<number>>();
  /** Every word some saved search holds, with how many hold it, by stem and by length. */
  private readonly termRefs = new Map<string, number>();
  private readonly termsByStem = new Map<string, Set<string>>();
  /**
   * Typo candidates without a scan of every word: each search word is filed under itself and each
   * form with one letter deleted; a listing word looks up itself and its forms with one or two
   * letters deleted, and the candidates are checked with search's edit distance. That finds every
   * word one edit away and most two away (two deletions on the search word's side, or two changed
   * letters, are missed: a scan found those at a fraction of the speed).
   */
  private readonly termsByDeletion = new Map<string, Set<string>>();
  /** A listing word -> the search words within a typo of it; cleared when the search words change. */
  private readonly typoCache = new Map<string, string[]>();
  /**
   * Stems seen in listings. As the embedded search engine does, a word whose stem the listings
   * use is taken as meant, not as a typo: "cat" then does not find "car".
   */
  private readonly knownStems = new Set<string>();

  async upsert(searches: readonly SavedSearch[]): Promise<void> {
    for (const search of searches) {
      this.delete(search.id);
      const key = percolatorKey(search);
      if (!key) continue;
      const terms = searchTerms(search.q);
      this.entries.set(search.id, { search, terms, key });
      let ids = this.byKey.get(key);
      if (!ids) this.byKey.set(key, (ids = new Set()));
      ids.add(search.id);
      for (const term of terms) this.addTerm(term);
    }
  }

  async remove(ids: readonly number[]): Promise<void> {
    for (const id of ids) this.delete(id);
  }

  async count(): Promise<number> {
    return this.entries.size;
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.byKey.clear();
  }

  async match(listings: readonly ListingDocument[]): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>();
    const analysed = listings.map((doc) => {
      const listingWords = new Set(words(`${doc.name} ${doc.description} ${doc.category} ${doc.city}`));
      const listingStems = new Set([...listingWords].map((word) => stemmer(word)));
      for (const stem of listingStems) this.knownStems.add(stem);
      return { doc, listingWords, listingStems };
    });
    for (const { doc, listingWords, listingStems } of analysed) {
      const satisfied = new Set<string>();
      for (const stem of listingStems) for (const term of this.termsByStem.get(stem) ?? []) satisfied.add(term);
      for (const word of listingWords) {
        for (const term of this.typosOf(word)) if (!this.knownStems.has(stemmer(term))) satisfied.add(term);
      }
      const keys = [...[...satisfied].map((term) => `term:${term}`), `city:${doc.city.toLowerCase()}`, `category:${doc.category.toLowerCase()}`, `country:${doc.country.toLowerCase()}`];
      const matched: number[] = [];
      for (const key of keys) {
        for (const id of this.byKey.get(key) ?? []) {
          const entry = this.entries.get(id)!;
          if (entry.terms.every((term) => satisfied.has(term)) && passesFilters(entry.search, doc)) matched.push(id);
        }
      }
      if (matched.length > 0) out.set(doc.id, matched.sort((a, b) => a - b));
    }
    return out;
  }

  private typosOf(word: string): string[] {
    let found = this.typoCache.get(word);
    if (found) return found;
    const candidates = new Set<string>();
    for (const form of deletions(word, 2)) for (const term of this.termsByDeletion.get(form) ?? []) candidates.add(term);
    found = [];
    for (const term of candidates) {
      // The search word's length sets the allowance, as it does when searching.
      const max = allowedEdits(term);
      if (max > 0 && term !== word && editDistance(term, word, max) <= max) found.push(term);
    }
    if (this.typoCache.size >= TYPO_CACHE_SIZE) this.typoCache.clear();
    this.typoCache.set(word, found);
    return found;
  }

  private addTerm(term: string): void {
    const refs = this.termRefs.get(term) ?? 0;
    this.termRefs.set(term, refs + 1);
    if (refs > 0) return;
    const stem = stemmer(term);
    let byStem = this.termsByStem.get(stem);
    if (!byStem) this.termsByStem.set(stem, (byStem = new Set()));
    byStem.add(term);
    if (allowedEdits(term) > 0) {
      for (const form of deletions(term, 1)) {
        let terms = this.termsByDeletion.get(form);
        if (!terms) this.termsByDeletion.set(form, (terms = new Set()));
        terms.add(term);
      }
    }
    this.typoCache.clear();
  }

  private dropTerm(term: string): void {
    const refs = (this.termRefs.get(term) ?? 0) - 1;
    if (refs > 0) {
      this.termRefs.set(term, refs);
      return;
    }
    this.termRefs.delete(term);
    this.termsByStem.get(stemmer(term))?.delete(term);
    for (const form of deletions(term, 1)) {
      const terms = this.termsByDeletion.get(form);
      terms?.delete(term);
      if (terms?.size === 0) this.termsByDeletion.delete(form);
    }
    this.typoCache.clear();
  }

  private delete(id: number): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.byKey.get(entry.key)?.delete(id);
    for (const term of entry.terms) this.dropTerm(term);
  }
}

/** `word` and every form of it with up to `depth` letters deleted. */
function deletions(word: string, depth: number): Set<string> {
  const out = new Set([word]);
  let frontier = [word];
  for (let level = 0; level < depth; level++) {
    const next: string[] = [];
    for (const form of frontier) {
      if (form.length <= 1) continue;
      for (let i = 0; i < form.length; i++) {
        const shorter = form.slice(0, i) + form.slice(i + 1);
        if (!out.has(shorter)) {
          out.add(shorter);
          next.push(shorter);
        }
      }
    }
    frontier = next;
  }
  return out;
}

/** The filters search applies: place and category without regard to case, price inclusive. */
export function passesFilters(search: SavedSearch, doc: ListingDocument): boolean {
  if (search.country && search.country.toLowerCase() !== doc.country.toLowerCase()) return false;
  if (search.city && search.city.toLowerCase() !== doc.city.toLowerCase()) return false;
  if (search.category && search.category.toLowerCase() !== doc.category.toLowerCase()) return false;
  if (search.minPrice !== null && doc.price_amount < search.minPrice) return false;
  if (search.maxPrice !== null && doc.price_amount > search.maxPrice) return false;
  return true;
}
