// Synonym groups for both search engines: a query word finds listings using any word of its group
// ("couch" finds "sofa"). The groups and their setting (SEARCH_SYNONYMS) are read by the config;
// the expansion below is applied to queries, so a changed group needs no reindex.
import type { SynonymGroups } from '../../../core/config/search-synonyms.js';
import { stems } from './query-terms.js';

export { DEFAULT_SYNONYMS, parseSynonyms, type SynonymGroups } from '../../../core/config/search-synonyms.js';

/** Groups as the index's terms: each word's stem ("television" -> "televis"), repeats dropped. */
export function stemmedGroups(groups: SynonymGroups): string[][] {
  return groups.map((group) => [...new Set(group.flatMap((word) => stems(word)))]).filter((group) => group.length > 1);
}

/** Per stem, the other stems of every group it is in ("televis" -> tv): the embedded engine's and percolator's lookup. */
export function synonymsByStem(groups: SynonymGroups): Map<string, string[]> {
  const byStem = new Map<string, string[]>();
  for (const group of stemmedGroups(groups)) {
    for (const stem of group) byStem.set(stem, [...new Set([...(byStem.get(stem) ?? []), ...group.filter((s) => s !== stem)])]);
  }
  return byStem;
}

/** Per query term (a stem): the terms it stands for, itself first, then the rest of every group it is in. */
export function synonymAlternatives(terms: readonly string[], groups: readonly (readonly string[])[]): string[][] {
  return terms.map((term) => [...new Set([term, ...groups.filter((g) => g.includes(term)).flat()])]);
}

/**
 * The query's spellings with synonyms put in, the query as typed first; each spelling is matched
 * as the typed query is, and a listing scores as its best spelling. `limit` keeps a query of
 * many synonym words from multiplying into hundreds.
 */
export function querySpellings(terms: readonly string[], groups: readonly (readonly string[])[], limit = 16): string[][] {
  let spellings: string[][] = [[]];
  for (const alternatives of synonymAlternatives(terms, groups)) {
    const next: string[][] = [];
    for (const alternative of alternatives) {
      for (const spelling of spellings) {
        if (next.length < limit) next.push([...spelling, alternative]);
      }
    }
    spellings = next;
  }
  return terms.length === 0 ? [] : spellings;
}

/** The words of every group a query term belongs to (by stem), as written: for highlighting. */
export function synonymWords(terms: readonly string[], groups: SynonymGroups): string[] {
  const found = new Set<string>();
  for (const group of groups) {
    if (group.some((word) => stems(word).some((stem) => terms.includes(stem)))) group.forEach((word) => found.add(word));
  }
  return [...found];
}
