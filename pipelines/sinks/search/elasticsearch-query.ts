// The query Elasticsearch runs for a search's words and filters, and the fields of a listing it
// reads. Search (elasticsearch.ts) runs it and the percolator (search-alerts) stores it for each
// saved search: one builder, so an alert fires on exactly the listings search would show.
import type { estypes } from '@elastic/elasticsearch';
import { coordinatesOf } from './geo-distance.js';
import type { ListingDocument, SearchQuery } from './port.js';
import { stems } from './query-terms.js';
import { querySpellings } from './synonyms.js';

/** What a query asks of a listing, apart from paging and order. */
export type ListingCriteria = Pick<SearchQuery, 'q' | 'country' | 'city' | 'category' | 'minPrice' | 'maxPrice' | 'near'>;

/** The fields the query reads, as both the listing index and the percolator's index map them. */
export const QUERIED_PROPERTIES = {
  name_terms: { type: 'text' as const, analyzer: 'whitespace', similarity: 'BM25' },
  description_terms: { type: 'text' as const, analyzer: 'whitespace' },
  category_terms: { type: 'text' as const, analyzer: 'whitespace' },
  city_terms: { type: 'text' as const, analyzer: 'whitespace' },
  category_key: { type: 'keyword' as const },
  country_key: { type: 'keyword' as const },
  city_key: { type: 'keyword' as const },
  price_amount: { type: 'long' as const },
  location: { type: 'geo_point' as const },
};

const FIELDS = ['name_terms^6', 'description_terms', 'category_terms^2', 'city_terms^1.5'];

/**
 * A listing's values of the queried fields. Stems are computed here, as the embedded engine
 * computes them, so the mapping needs only built-in analysis.
 */
export function queriedFields(doc: ListingDocument): { [field in keyof typeof QUERIED_PROPERTIES]: unknown } {
  const at = coordinatesOf(doc);
  return {
    name_terms: stems(doc.name).join(' '), description_terms: stems(doc.description).join(' '),
    category_terms: stems(doc.category).join(' '), city_terms: stems(doc.city).join(' '),
    category_key: doc.category.toLowerCase(), country_key: doc.country.toLowerCase(), city_key: doc.city.toLowerCase(),
    price_amount: doc.price_amount,
    location: at ? { lat: at.latitude, lon: at.longitude } : null,
  };
}

/**
 * The words and filters as a bool query's `must` and `filter`. `operator` 'and' requires every
 * word; 'or' is search's fallback when no listing has them all, which an alert never uses.
 * `synonyms` are the groups as stems (stemmedGroups).
 */
export function listingQuery(
  criteria: ListingCriteria, synonyms: readonly (readonly string[])[], operator: 'and' | 'or' = 'and',
): { must: estypes.QueryDslQueryContainer[]; filter: estypes.QueryDslQueryContainer[] } {
  const filter: estypes.QueryDslQueryContainer[] = [];
  if (criteria.country) filter.push({ term: { country_key: criteria.country.toLowerCase() } });
  if (criteria.city) filter.push({ term: { city_key: criteria.city.toLowerCase() } });
  if (criteria.category) filter.push({ term: { category_key: criteria.category.toLowerCase() } });
  if (criteria.minPrice !== undefined || criteria.maxPrice !== undefined) filter.push({ range: { price_amount: { gte: criteria.minPrice, lte: criteria.maxPrice } } });
  // Within the radius by arc distance (the haversine geo-distance.ts reports), or, with no
  // radius, any listing with coordinates.
  const near = criteria.near;
  if (near && near.withinKm !== undefined) {
    filter.push({ geo_distance: { distance: `${near.withinKm}km`, distance_type: 'arc', location: { lat: near.latitude, lon: near.longitude } } });
  } else if (near) filter.push({ exists: { field: 'location' } });
  const terms = criteria.q ? stems(criteria.q) : [];
  // bool_prefix makes the last word a prefix (type-ahead) but leaves it without fuzziness, so a
  // plain fuzzy match of every word stands beside it.
  const typed = (text: string): estypes.QueryDslQueryContainer => ({
    bool: {
      should: [
        { multi_match: { query: text, type: 'bool_prefix', fields: FIELDS, fuzziness: 'AUTO', operator } },
        { multi_match: { query: text, fields: FIELDS, fuzziness: 'AUTO', operator } },
      ],
      minimum_should_match: 1,
    },
  });
  // A spelling with a synonym put in is matched exactly and whole: the synonym is a known word,
  // not a typo or a word being typed (fuzzy, "bike" would find "like new"; as a prefix,
  // "bicycle" would find "bicyclist").
  const withSynonym = (text: string): estypes.QueryDslQueryContainer => ({ multi_match: { query: text, fields: FIELDS, operator } });
  const spellings = querySpellings(terms, synonyms).map((spelling) => spelling.join(' '));
  const must: estypes.QueryDslQueryContainer[] = spellings.length === 0 ? []
    : spellings.length === 1 ? [typed(spellings[0]!)]
      : [{ dis_max: { queries: spellings.map((spelling, i) => (i === 0 ? typed(spelling) : withSynonym(spelling))) } }];
  return { must, filter };
}
