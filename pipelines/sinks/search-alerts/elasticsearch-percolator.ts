// The percolator on Elasticsearch: each saved search is stored as the query search runs for it
// (elasticsearch.ts: the listing index's fields and stems, every word required, `fuzziness: AUTO`
// on the words as typed, the synonym spellings exact, the last word also as a prefix) in a field
// of type `percolator`; the percolate query then finds the searches a batch of listings matches.
import { Client, errors, type estypes } from '@elastic/elasticsearch';
import { EnvironmentError, ServiceUnavailable } from '../../../core/errors.js';
import { coordinatesOf } from '../search/geo-distance.js';
import type { ListingDocument } from '../search/port.js';
import { stems } from '../search/query-terms.js';
import { DEFAULT_SYNONYMS, querySpellings, stemmedGroups, type SynonymGroups } from '../search/synonyms.js';
import type { Percolator } from './percolator.js';
import type { SavedSearch } from './saved-search.js';

export interface ElasticsearchPercolatorOptions {
  url: string;
  /** The percolator index's name. */
  index: string;
  username?: string;
  password?: string;
  apiKey?: string;
  /** The groups search expands queries with (SEARCH_SYNONYMS); default DEFAULT_SYNONYMS, as search. */
  synonyms?: SynonymGroups;
}

/** The listing index's searched fields, so a stored query reads a listing as search does. */
export const MAPPING = {
  dynamic: 'strict' as const,
  properties: {
    query: { type: 'percolator' as const },
    saved_search_id: { type: 'long' as const },
    user_id: { type: 'long' as const },
    name_terms: { type: 'text' as const, analyzer: 'whitespace' },
    description_terms: { type: 'text' as const, analyzer: 'whitespace' },
    category_terms: { type: 'text' as const, analyzer: 'whitespace' },
    city_terms: { type: 'text' as const, analyzer: 'whitespace' },
    category_key: { type: 'keyword' as const },
    country_key: { type: 'keyword' as const },
    city_key: { type: 'keyword' as const },
    price_amount: { type: 'long' as const },
    location: { type: 'geo_point' as const },
  },
};

const FIELDS = ['name_terms^6', 'description_terms', 'category_terms^2', 'city_terms^1.5'];
/** Listings percolated per request, and stored searches read per page of the answer. */
const DOCUMENTS_PER_REQUEST = 50;
const PAGE = 10_000;

/** The query search runs for these words and filters (every word required: no "some of the words" fallback). */
export function percolatorQuery(search: SavedSearch, synonyms: readonly (readonly string[])[] = stemmedGroups(DEFAULT_SYNONYMS)): estypes.QueryDslQueryContainer {
  const filter: estypes.QueryDslQueryContainer[] = [];
  if (search.country) filter.push({ term: { country_key: search.country.toLowerCase() } });
  if (search.city) filter.push({ term: { city_key: search.city.toLowerCase() } });
  if (search.category) filter.push({ term: { category_key: search.category.toLowerCase() } });
  if (search.minPrice !== null || search.maxPrice !== null) {
    filter.push({ range: { price_amount: { gte: search.minPrice ?? undefined, lte: search.maxPrice ?? undefined } } });
  }
  // As search filters: within the radius by arc distance, or, with no radius, any listing with coordinates.
  if (search.near?.withinKm !== undefined) {
    filter.push({ geo_distance: { distance: `${search.near.withinKm}km`, distance_type: 'arc', location: { lat: search.near.latitude, lon: search.near.longitude } } });
  } else if (search.near) filter.push({ exists: { field: 'location' } });
  const terms = search.q ? stems(search.q).join(' ') : '';
  const spelled = (text: string, typed: boolean): estypes.QueryDslQueryContainer => ({
    bool: {
      should: [
        { multi_match: { query: text, type: 'bool_prefix', fields: FIELDS, fuzziness: typed ? 'AUTO' : 0, operator: 'and' } },
        { multi_match: { query: text, fields: FIELDS, fuzziness: typed ? 'AUTO' : 0, operator: 'and' } },
      ],
      minimum_should_match: 1,
    },
  });
  const spellings = querySpellings(terms ? terms.split(' ') : [], synonyms).map((spelling) => spelling.join(' '));
  const must: estypes.QueryDslQueryContainer[] = spellings.length === 0 ? []
    : spellings.length === 1 ? [spelled(spellings[0]!, true)]
      : [{ dis_max: { queries: spellings.map((spelling, i) => spelled(spelling, i === 0)) } }];
  return { bool: { must, filter } };
}

export function listingSource(doc: ListingDocument): Record<string, unknown> {
  const at = coordinatesOf(doc);
  return {
    name_terms: stems(doc.name).join(' '), description_terms: stems(doc.description).join(' '),
    category_terms: stems(doc.category).join(' '), city_terms: stems(doc.city).join(' '),
    category_key: doc.category.toLowerCase(), country_key: doc.country.toLowerCase(), city_key: doc.city.toLowerCase(),
    price_amount: doc.price_amount,
    ...(at && { location: { lat: at.latitude, lon: at.longitude } }),
  };
}

/** The cluster lacks the percolator module (a trimmed distribution): the percolate query cannot run there. */
export class PercolatorUnsupported extends EnvironmentError {}

function unavailable(error: unknown): never {
  if (error instanceof errors.ConnectionError || error instanceof errors.TimeoutError || (error instanceof errors.ResponseError && [429, 502, 503, 504].includes(error.statusCode ?? 0))) {
    throw new ServiceUnavailable(`Elasticsearch (saved searches): ${(error as Error).message}`, { cause: error });
  }
  throw error;
}

export class ElasticsearchPercolator implements Percolator {
  readonly kind = 'elasticsearch' as const;

  private constructor(private readonly client: Client, private readonly index: string, private readonly synonyms: string[][]) {}

  static async connect(options: ElasticsearchPercolatorOptions): Promise<ElasticsearchPercolator> {
    const auth = options.apiKey ? { apiKey: options.apiKey } : options.username ? { username: options.username, password: options.password ?? '' } : undefined;
    const client = new Client({ node: options.url, auth, requestTimeout: 30_000, maxRetries: 2 });
    const percolator = new ElasticsearchPercolator(client, options.index, stemmedGroups(options.synonyms ?? DEFAULT_SYNONYMS));
    try {
      await client.indices.create({ index: options.index, mappings: MAPPING, settings: { number_of_shards: 1, auto_expand_replicas: '0-1' } });
    } catch (error) {
      const type = error instanceof errors.ResponseError ? (error.body as { error?: { type?: string } } | undefined)?.error?.type : undefined;
      if (type !== 'resource_already_exists_exception') {
        await client.close().catch(() => undefined);
        if (type === 'mapper_parsing_exception' && /\[percolator\]/.test(String((error as Error).message))) {
          throw new PercolatorUnsupported('ELASTICSEARCH_URL: this Elasticsearch has no percolator module (field type "percolator"); saved-search alerts match in memory instead');
        }
        unavailable(error);
      }
      // An index made before distance alerts lacks the listing's point; a new field is added in place.
      await client.indices.putMapping({ index: options.index, properties: { location: MAPPING.properties.location } }).catch(unavailable);
    }
    return percolator;
  }

  async upsert(searches: readonly SavedSearch[]): Promise<void> {
    if (searches.length === 0) return;
    const operations = searches.flatMap((search) => [
      { index: { _index: this.index, _id: String(search.id) } },
      { saved_search_id: search.id, user_id: search.userId, query: percolatorQuery(search, this.synonyms) },
    ]);
    // Refreshed at once: a listing arriving right after its search was saved must find it.
    const response = await this.client.bulk({ operations, refresh: true }).catch(unavailable);
    const failed = response.items.map((item) => Object.values(item)[0]!).find((result) => result.error);
    if (failed) throw new ServiceUnavailable(`Elasticsearch refused saved search ${failed._id}: ${failed.error!.type}: ${failed.error!.reason ?? ''}`);
  }

  async remove(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.client.bulk({ operations: ids.map((id) => ({ delete: { _index: this.index, _id: String(id) } })), refresh: true }).catch(unavailable);
  }

  async count(): Promise<number> {
    return (await this.client.count({ index: this.index }).catch(unavailable)).count;
  }

  async match(listings: readonly ListingDocument[]): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>();
    for (let start = 0; start < listings.length; start += DOCUMENTS_PER_REQUEST) {
      const chunk = listings.slice(start, start + DOCUMENTS_PER_REQUEST);
      let after: estypes.SortResults | undefined;
      for (;;) {
        const response = await this.client.search<{ saved_search_id: number }>({
          index: this.index, size: PAGE, _source: ['saved_search_id'], sort: [{ saved_search_id: 'asc' }], search_after: after,
          query: { percolate: { field: 'query', documents: chunk.map(listingSource) } },
        }).catch(unavailable);
        for (const hit of response.hits.hits) {
          const slots = (hit.fields?._percolator_document_slot ?? [0]) as number[];
          for (const slot of slots) {
            const listingId = chunk[slot]!.id;
            const ids = out.get(listingId) ?? [];
            ids.push(Number(hit._source!.saved_search_id));
            out.set(listingId, ids);
          }
        }
        if (response.hits.hits.length < PAGE) break;
        after = response.hits.hits.at(-1)!.sort;
      }
    }
    for (const ids of out.values()) ids.sort((a, b) => a - b);
    return out;
  }

  /** Drops the index (tests and benches that made their own). */
  async drop(): Promise<void> {
    await this.client.indices.delete({ index: this.index }).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
