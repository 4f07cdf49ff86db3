// The search port on Elasticsearch 8 (@elastic/elasticsearch 8.x). Explicit mapping; external
// versions on every write (a deletion is a versioned tombstone document, so an old event can
// never bring a listing back); the serving index behind an alias, indexes being rebuilt behind a
// second alias. Stems and folded words are computed in code (elasticsearch-query.ts, as the
// embedded engine does) and indexed in `*_terms` fields, so the mapping needs only built-in
// analysis. Synonyms are expanded into the query there too: the analysis module with synonym
// filters is not in every distribution, and a changed group then needs no reindex.
import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import { redactUrl } from '../../../core/config/redact-url.js';
import { EnvironmentError, ServiceUnavailable } from '../../../core/errors.js';
import { escapeHtml } from '../../../core/escape-html.js';
import { coordinatesOf, distanceKm } from './geo-distance.js';
import {
  MAX_RESULT_WINDOW, TOTAL_HITS_EXACT_UP_TO, type BulkOutcome, type FacetCount, type ListingDocument, type SearchHit, type SearchQuery,
  type SearchResult, type SearchService, type SearchStore, type VersionedDelete, type VersionedDocument,
} from './port.js';
import { errorType, openClient, retriableAs, type ElasticsearchConnection } from './elasticsearch-client.js';
import { listingQuery, QUERIED_PROPERTIES, queriedFields } from './elasticsearch-query.js';
import { toDocument } from './listing-changes.js';
import { stems, words } from './query-terms.js';
import { DEFAULT_SYNONYMS, stemmedGroups, synonymWords, type SynonymGroups } from './synonyms.js';

export interface ElasticsearchOptions extends ElasticsearchConnection {
  alias: string;
  /**
   * When a write becomes searchable (bench/topology.ts measures each; README, production topology):
   * - 'interval' (the default): the index refreshes itself every refreshIntervalMs, 250 ms here.
   *   Elasticsearch's own 1 s alone put commit-to-searchable p99 over a second; a refresh every
   *   250 ms cost no measurable indexing throughput.
   * - 'bulk': each bulk refreshes the shards it wrote before it returns: found at once when the
   *   machine is idle, but a refresh per bulk cut small-bulk throughput to less than half, and an
   *   indexer that falls behind falls further.
   * - 'wait_for': each bulk waits for the next refresh; the indexer's batches queue behind it
   *   (throughput fell to a tenth in small bulks).
   * `true` is 'bulk' (tests reading their own writes), `false` is 'interval'.
   */
  refresh?: boolean | ElasticsearchRefresh;
  /** The index's refresh_interval (default 250 ms): the 'interval' and 'wait_for' modes wait for it. */
  refreshIntervalMs?: number;
  /** Words that find each other (default DEFAULT_SYNONYMS). */
  synonyms?: SynonymGroups;
}

export type ElasticsearchRefresh = 'bulk' | 'interval' | 'wait_for';

/** The bulk API's `refresh` parameter for a mode. */
type BulkRefresh = boolean | 'wait_for';

function bulkRefresh(refresh: ElasticsearchOptions['refresh']): BulkRefresh {
  if (refresh === true || refresh === 'bulk') return true;
  if (refresh === 'wait_for') return 'wait_for';
  return false;
}

const MARK_OPEN = '\u0002';
const MARK_CLOSE = '\u0003';

/**
 * Added to indexes made before listings had coordinates too (a strict mapping refuses unknown
 * fields), so an upgrade keeps indexing without a reindex.
 */
const GEO_PROPERTIES = {
  latitude: { type: 'double' as const, index: false },
  longitude: { type: 'double' as const, index: false },
  location: QUERIED_PROPERTIES.location,
};

const MAPPING = {
  dynamic: 'strict' as const,
  properties: {
    id: { type: 'long' as const },
    version: { type: 'long' as const },
    deleted: { type: 'boolean' as const },
    seller_id: { type: 'long' as const },
    seller_name: { type: 'keyword' as const, index: false },
    name: { type: 'text' as const, analyzer: 'listing_text' },
    description: { type: 'text' as const, analyzer: 'listing_text' },
    category: { type: 'keyword' as const },
    country: { type: 'keyword' as const },
    city: { type: 'keyword' as const },
    ...QUERIED_PROPERTIES,
    price_currency: { type: 'keyword' as const },
    status: { type: 'keyword' as const },
    created_at: { type: 'date' as const, format: 'strict_date_optional_time_nanos' },
    updated_at: { type: 'keyword' as const },
    ...GEO_PROPERTIES,
  },
};

const SETTINGS = {
  number_of_shards: 1,
  auto_expand_replicas: '0-1',
  max_result_window: MAX_RESULT_WINDOW,
  analysis: { analyzer: { listing_text: { type: 'custom' as const, tokenizer: 'standard', filter: ['lowercase'] } } },
};

function marked(fragments: string[] | undefined): string | undefined {
  const text = fragments?.[0];
  if (!text || !text.includes(MARK_OPEN)) return undefined;
  return escapeHtml(text).split(MARK_OPEN).join('<mark>').split(MARK_CLOSE).join('</mark>');
}

function source(doc: ListingDocument, version: bigint): Record<string, unknown> {
  return { ...doc, version: version.toString(), deleted: false, ...queriedFields(doc) };
}

/**
 * Versions are about 2^60: as a JavaScript number they would round to a multiple of 256 and two
 * quick edits could tie. Elasticsearch reads a numeric string exactly.
 */
function exact(version: bigint): number {
  return version.toString() as unknown as number;
}

const unavailable = retriableAs('Elasticsearch');

class ElasticsearchIndex implements SearchStore {
  constructor(
    private readonly client: Client,
    readonly name: string,
    private readonly refresh: BulkRefresh,
    /** The synonym groups as stems, to put into queries; as written, for highlighting. */
    private readonly stemmedSynonyms: readonly (readonly string[])[],
    private readonly synonymGroups: SynonymGroups,
  ) {}

  private async bulk(operations: unknown[], ids: number[]): Promise<BulkOutcome> {
    const outcome: BulkOutcome = { applied: 0, stale: 0, failed: [] };
    if (ids.length === 0) return outcome;
    const response = await this.client.bulk({ operations, refresh: this.refresh }).catch(unavailable);
    response.items.forEach((item, i) => {
      const result = Object.values(item)[0]!;
      if (!result.error) outcome.applied++;
      else if (result.status === 409) outcome.stale++;
      else outcome.failed.push({ id: ids[i]!, error: `${result.error.type}: ${result.error.reason ?? ''}`, retriable: [429, 503].includes(result.status) });
    });
    return outcome;
  }

  async upsert(documents: readonly VersionedDocument[]): Promise<BulkOutcome> {
    const operations = documents.flatMap(({ doc, version }) => [
      { index: { _index: this.name, _id: String(doc.id), version: exact(version), version_type: 'external' } },
      source(doc, version),
    ]);
    const outcome = await this.bulk(operations, documents.map((d) => d.doc.id));
    // A TRUNCATE applied from another partition (Debezium sends it on one): a document older than
    // it must not stay. The mark is read after writing, and truncate() sets it before sweeping:
    // whichever runs second removes the document.
    const truncated = await this.truncatedBelow();
    const late = documents.filter(({ version }) => version < truncated);
    if (late.length > 0) {
      const removed = await this.remove(late.map(({ doc }) => ({ id: doc.id, version: truncated })));
      outcome.applied -= removed.applied;
      outcome.stale += removed.applied;
    }
    return outcome;
  }

  /** Kept in the index mapping's _meta. */
  async truncatedBelow(): Promise<bigint> {
    const response = await this.client.indices.getMapping({ index: this.name }).catch(unavailable);
    const meta = Object.values(response)[0]?.mappings._meta as { truncated_below?: string } | undefined;
    return BigInt(meta?.truncated_below ?? 0);
  }

  remove(deletes: readonly VersionedDelete[]): Promise<BulkOutcome> {
    const operations = deletes.flatMap(({ id, version }) => [
      { index: { _index: this.name, _id: String(id), version: exact(version), version_type: 'external' } },
      { id, version: version.toString(), deleted: true },
    ]);
    return this.bulk(operations, deletes.map((d) => d.id));
  }

  async truncate(version: bigint): Promise<void> {
    if (version > (await this.truncatedBelow())) {
      await this.client.indices.putMapping({ index: this.name, _meta: { truncated_below: version.toString() } }).catch(unavailable);
    }
    // Documents written before the mark but not yet refreshed would escape the sweep below.
    await this.client.indices.refresh({ index: this.name }).catch(unavailable);
    for (;;) {
      const response = await this.client.search<{ id: number }>({
        index: this.name, size: 1000, _source: ['id'],
        query: { bool: { filter: [{ term: { deleted: false } }, { range: { version: { lt: version.toString() } } }] } },
      }).catch(unavailable);
      const ids = response.hits.hits.map((hit) => hit._source!.id);
      if (ids.length === 0) return;
      await this.remove(ids.map((id) => ({ id, version })));
      if (this.refresh === false) await this.client.indices.refresh({ index: this.name });
    }
  }

  async setSellerName(sellerId: number, name: string): Promise<void> {
    // Painless is not in every distribution: re-index the seller's documents at their own version.
    const response = await this.client.search<ListingDocument & { version: string }>({
      index: this.name, size: 10_000, query: { bool: { filter: [{ term: { seller_id: sellerId } }, { term: { deleted: false } }] } },
    }).catch(unavailable);
    const operations = response.hits.hits.flatMap((hit) => [
      { index: { _index: this.name, _id: hit._id, version: exact(BigInt(String(hit._source!.version))), version_type: 'external_gte' } },
      { ...hit._source!, seller_name: name },
    ]);
    if (operations.length > 0) await this.client.bulk({ operations, refresh: this.refresh }).catch(unavailable);
  }

  async count(): Promise<number> {
    return (await this.client.count({ index: this.name, query: { term: { deleted: false } } }).catch(unavailable)).count;
  }

  async scan(afterId: number, limit: number): Promise<{ version: bigint; doc: ListingDocument }[]> {
    const response = await this.client.search<Record<string, unknown>>({
      index: this.name, size: limit, sort: [{ id: 'asc' }],
      query: { bool: { filter: [{ term: { deleted: false } }, { range: { id: { gt: afterId } } }] } },
    }).catch(unavailable);
    return response.hits.hits.map((hit) => ({
      version: BigInt(String(hit._source!.version)),
      doc: toDocument(hit._source!, (hit._source!.seller_name as string | null) ?? null),
    }));
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const strict = await this.run(query, 'and');
    if (strict.total === 0 && query.q && words(query.q).length > 1) return this.run(query, 'or');
    return strict;
  }

  private async run(query: SearchQuery, operator: 'and' | 'or'): Promise<SearchResult> {
    const perPage = query.perPage ?? 20;
    const page = query.page ?? 1;
    const { must, filter } = listingQuery(query, this.stemmedSynonyms, operator);
    const near = query.near;
    const point = near ? { lat: near.latitude, lon: near.longitude } : undefined;
    const terms = query.q ? stems(query.q).join(' ') : '';
    const sort = query.sort ?? 'relevance';
    const order = sort === 'distance' && point ? [{ _geo_distance: { location: point, order: 'asc', unit: 'km', distance_type: 'arc' } }, { id: 'asc' }]
      : sort === 'newest' || ((sort === 'relevance' || sort === 'distance') && !terms) ? [{ created_at: 'desc' }, { id: 'desc' }]
        : sort === 'price_asc' ? [{ price_amount: 'asc' }, { id: 'asc' }]
          : sort === 'price_desc' ? [{ price_amount: 'desc' }, { id: 'desc' }]
            : [{ _score: 'desc' }, { id: 'desc' }];
    // The synonyms are highlighted too ("couch" marks "sofa"), matched exactly: fuzzy, they made
    // highlighting cost ten times the search (BENCH_ONLY=search-relevance, 20,000 listings).
    const words_ = query.q ? words(query.q).join(' ') : '';
    const synonyms = query.q ? synonymWords(terms.split(' '), this.synonymGroups).join(' ') : '';
    const highlighted: estypes.QueryDslQueryContainer = { multi_match: { query: words_, fields: ['name', 'description'], fuzziness: 'AUTO' } };
    const response = await this.client.search<Record<string, unknown>>({
      index: this.name, from: (page - 1) * perPage, size: perPage, track_total_hits: TOTAL_HITS_EXACT_UP_TO,
      query: { bool: { must, filter: [{ term: { deleted: false } }, { term: { status: 'active' } }, ...filter] } },
      sort: order as never,
      aggs: { category: { terms: { field: 'category', size: 20 } }, city: { terms: { field: 'city', size: 20 } }, country: { terms: { field: 'country', size: 20 } } },
      highlight: words_ ? {
        pre_tags: [MARK_OPEN], post_tags: [MARK_CLOSE], require_field_match: true,
        highlight_query: synonyms ? { bool: { should: [highlighted, { multi_match: { query: synonyms, fields: ['name', 'description'] } }] } } : highlighted,
        fields: { name: { number_of_fragments: 0 }, description: { number_of_fragments: 1, fragment_size: 160 } },
      } : undefined,
    }).catch(unavailable);
    const buckets = (name: string): FacetCount[] =>
      ((response.aggregations?.[name] as { buckets: { key: string; doc_count: number }[] } | undefined)?.buckets ?? []).map((b) => ({ value: b.key, count: b.doc_count }));
    const hits: SearchHit[] = response.hits.hits.map((hit) => {
      const s = hit._source!;
      const found: SearchHit = {
        id: Number(s.id), name: String(s.name), description: String(s.description), category: String(s.category), country: String(s.country),
        city: String(s.city), price_amount: Number(s.price_amount), price_currency: String(s.price_currency), seller_name: (s.seller_name as string | null) ?? null,
        created_at: String(s.created_at), score: hit._score ?? 0,
        highlight: { name: marked(hit.highlight?.name), description: marked(hit.highlight?.description) },
      };
      const at = near && coordinatesOf(s);
      if (near && at) found.distance_km = distanceKm(near, at);
      return found;
    });
    const total = typeof response.hits.total === 'number' ? response.hits.total : response.hits.total?.value ?? 0;
    const totalRelation = typeof response.hits.total === 'object' && response.hits.total.relation === 'gte' ? 'gte' : 'eq';
    return { total, totalRelation, hits, facets: { category: buckets('category'), city: buckets('city'), country: buckets('country') } };
  }
}

export class ElasticsearchSearch implements SearchService {
  readonly kind = 'elasticsearch' as const;

  private readonly groups: string[][];

  private constructor(private readonly client: Client, private readonly options: ElasticsearchOptions) {
    this.groups = stemmedGroups(options.synonyms ?? DEFAULT_SYNONYMS);
  }

  static async connect(options: ElasticsearchOptions): Promise<ElasticsearchSearch> {
    const client = openClient(options);
    const service = new ElasticsearchSearch(client, options);
    try {
      await service.ensureIndex();
    } catch (error) {
      await client.close().catch(() => undefined);
      // Said at start-up with the setting to check; later failures keep their shorter form.
      const where = `Elasticsearch at ${redactUrl(options.url)}`;
      if (error instanceof ServiceUnavailable) throw new ServiceUnavailable(`ELASTICSEARCH_URL: cannot reach ${where}: ${(error.cause as Error)?.message ?? error.message}`, { cause: error });
      if (error instanceof errors.ResponseError && (error.statusCode === 401 || error.statusCode === 403)) {
        throw new EnvironmentError(`ELASTICSEARCH_URL: ${where} refused the request (${error.statusCode}); set ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD, or ELASTICSEARCH_API_KEY`, { cause: error });
      }
      throw error;
    }
    return service;
  }

  private get buildingAlias(): string {
    return `${this.options.alias}-building`;
  }

  /** Indexes behind any of the aliases, read in one request (one cluster state, no torn swap). */
  private async indexesOf(...aliases: string[]): Promise<string[]> {
    try {
      return Object.keys(await this.client.indices.getAlias({ name: aliases }));
    } catch (error) {
      // A missing alias answers 404, with the indexes of the aliases that do exist in the body.
      if (error instanceof errors.ResponseError && error.statusCode === 404) {
        const body = (error.body ?? {}) as Record<string, unknown>;
        return Object.keys(body).filter((key) => key !== 'error' && key !== 'status');
      }
      return unavailable(error);
    }
  }

  private async createIndex(): Promise<string> {
    const name = `${this.options.alias}-${Date.now()}-${Math.floor(Math.random() * 1000)}`;
    await this.client.indices.create({ index: name, settings: this.settings, mappings: MAPPING }).catch(unavailable);
    return name;
  }

  private store(name: string): ElasticsearchIndex {
    return new ElasticsearchIndex(this.client, name, bulkRefresh(this.options.refresh), this.groups, this.options.synonyms ?? DEFAULT_SYNONYMS);
  }

  private get settings() {
    return { ...SETTINGS, refresh_interval: `${this.options.refreshIntervalMs ?? 250}ms` };
  }

  async ensureIndex(): Promise<void> {
    const existing = await this.indexesOf(this.options.alias);
    if (existing.length > 0) {
      // An index made before refresh_interval was set keeps Elasticsearch's default, whose idle
      // shards skip their refreshes until a search comes, and that search waits for one.
      // A read-only user (a search-only API process) may not change settings; the indexer's may.
      const readOnly = (error: unknown) => {
        if (!(error instanceof errors.ResponseError && [401, 403].includes(error.statusCode ?? 0))) unavailable(error);
      };
      await this.client.indices.putSettings({ index: existing, settings: { refresh_interval: this.settings.refresh_interval } }).catch(readOnly);
      await this.client.indices.putMapping({ index: existing, properties: GEO_PROPERTIES }).catch(readOnly);
      return;
    }
    // Processes starting together (a compose stack, scaled workers, the API) must end with one
    // index behind the alias, not one each: the first index has a fixed name and comes with its
    // alias in the same request, so one creation wins and the others find it.
    const name = `${this.options.alias}-initial`;
    try {
      await this.client.indices.create({ index: name, settings: this.settings, mappings: MAPPING, aliases: { [this.options.alias]: {} } });
    } catch (error) {
      if (errorType(error) !== 'resource_already_exists_exception') return unavailable(error);
      if ((await this.indexesOf(this.options.alias)).length === 0) await this.client.indices.putAlias({ index: name, name: this.options.alias }).catch(unavailable);
    }
  }

  async serving(): Promise<SearchStore> {
    const [name] = await this.indexesOf(this.options.alias);
    if (!name) throw new ServiceUnavailable(`Elasticsearch: no index behind the alias ${this.options.alias}`);
    return this.store(name);
  }

  async writeTargets(): Promise<SearchStore[]> {
    // Both aliases in one read: two reads could straddle a swap and miss the new index.
    return (await this.indexesOf(this.options.alias, this.buildingAlias)).map((name) => this.store(name));
  }

  async beginRebuild(): Promise<SearchStore> {
    const name = await this.createIndex();
    await this.client.indices.putAlias({ index: name, name: this.buildingAlias }).catch(unavailable);
    return this.store(name);
  }

  async finishRebuild(store: SearchStore): Promise<void> {
    const old = await this.indexesOf(this.options.alias);
    await this.client.indices.updateAliases({
      actions: [
        ...old.map((index) => ({ remove: { index, alias: this.options.alias } })),
        { add: { index: store.name, alias: this.options.alias } },
        { remove: { index: store.name, alias: this.buildingAlias } },
      ],
    }).catch(unavailable);
    for (const index of old) await this.client.indices.delete({ index }).catch(() => undefined);
  }

  async abortRebuild(store: SearchStore): Promise<void> {
    await this.client.indices.delete({ index: store.name }).catch(() => undefined);
  }

  /** Deletes every index behind the aliases (tests, and tearing down a deployment). */
  async destroy(): Promise<void> {
    for (const index of await this.indexesOf(this.options.alias, this.buildingAlias)) await this.client.indices.delete({ index }).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
