// The percolator on Elasticsearch: each saved search is stored as the query search runs for it
// (search/elasticsearch-query.ts, every word required) in a field of type `percolator`; the
// percolate query then finds the searches a batch of listings matches.
import type { Client, estypes } from '@elastic/elasticsearch';
import { EnvironmentError, ServiceUnavailable } from '../../../core/errors.js';
import { errorType, openClient, retriableAs, type ElasticsearchConnection } from '../search/elasticsearch-client.js';
import { listingQuery, QUERIED_PROPERTIES, queriedFields } from '../search/elasticsearch-query.js';
import type { ListingDocument } from '../search/port.js';
import { DEFAULT_SYNONYMS, stemmedGroups, type SynonymGroups } from '../search/synonyms.js';
import type { Percolator } from './percolator.js';
import { searchQueryOf, type SavedSearch } from './saved-search.js';

export interface ElasticsearchPercolatorOptions extends ElasticsearchConnection {
  /** The percolator index's name. */
  index: string;
  /** The groups search expands queries with (SEARCH_SYNONYMS); default DEFAULT_SYNONYMS, as search. */
  synonyms?: SynonymGroups;
}

/** The listing index's queried fields, so a stored query reads a listing as search does. */
export const MAPPING = {
  dynamic: 'strict' as const,
  properties: {
    query: { type: 'percolator' as const },
    saved_search_id: { type: 'long' as const },
    user_id: { type: 'long' as const },
    ...QUERIED_PROPERTIES,
  },
};

/** Listings percolated per request, and stored searches read per page of the answer. */
const DOCUMENTS_PER_REQUEST = 50;
const PAGE = 10_000;

/** The query search runs for these words and filters, every word required: no "some of the words" fallback. */
export function percolatorQuery(search: SavedSearch, synonyms: readonly (readonly string[])[] = stemmedGroups(DEFAULT_SYNONYMS)): estypes.QueryDslQueryContainer {
  return { bool: listingQuery(searchQueryOf(search), synonyms, 'and') };
}

/** The cluster lacks the percolator module (a trimmed distribution): the percolate query cannot run there. */
export class PercolatorUnsupported extends EnvironmentError {}

const unavailable = retriableAs('Elasticsearch (saved searches)');

export class ElasticsearchPercolator implements Percolator {
  readonly kind = 'elasticsearch' as const;

  private constructor(private readonly client: Client, private readonly index: string, private readonly synonyms: string[][]) {}

  static async connect(options: ElasticsearchPercolatorOptions): Promise<ElasticsearchPercolator> {
    const client = openClient(options);
    const percolator = new ElasticsearchPercolator(client, options.index, stemmedGroups(options.synonyms ?? DEFAULT_SYNONYMS));
    try {
      await client.indices.create({ index: options.index, mappings: MAPPING, settings: { number_of_shards: 1, auto_expand_replicas: '0-1' } });
    } catch (error) {
      const type = errorType(error);
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
          query: { percolate: { field: 'query', documents: chunk.map(queriedFields) } },
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
