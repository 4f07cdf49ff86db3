// The search port: what the indexer, the public API, reindex and verify need from a full-text
// index. Adapters: embedded/ (an in-memory inverted index over documents kept in SQLite) and elasticsearch.ts.
import type { Listing } from '../../../marketplace/domain/listings.js';

/** A listing as the index holds it: the stored listing plus what a result shows of its seller. */
export interface ListingDocument extends Listing {
  seller_name: string | null;
}

export interface VersionedDocument {
  doc: ListingDocument;
  /** External version: a write with a version not above the stored one is ignored. */
  version: bigint;
}

export interface VersionedDelete {
  id: number;
  version: bigint;
}

export interface BulkOutcome {
  applied: number;
  /** Older than what the index has: ignored, as external versioning prescribes. */
  stale: number;
  failed: { id: number; error: string; retriable: boolean }[];
}

/** `distance` needs `near`: nearest first. */
export type SearchSort = 'relevance' | 'newest' | 'price_asc' | 'price_desc' | 'distance';

/** A point and, optionally, a radius: listings farther than `withinKm` are left out. */
export interface GeoFilter {
  latitude: number;
  longitude: number;
  withinKm?: number;
}

export interface SearchQuery {
  q?: string;
  country?: string;
  city?: string;
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  /** Listings with coordinates near this point; listings without coordinates are left out. */
  near?: GeoFilter;
  sort?: SearchSort;
  page?: number;
  perPage?: number;
}

export interface SearchHit extends Pick<ListingDocument,
  'id' | 'name' | 'description' | 'category' | 'country' | 'city' | 'price_amount' | 'price_currency' | 'seller_name' | 'created_at'> {
  score: number;
  /** Kilometres from the query's `near` point; present only when the query had one. */
  distance_km?: number;
  /** Matched words wrapped in <mark>…</mark>, the rest HTML-escaped. */
  highlight: { name?: string; description?: string };
}

export interface FacetCount {
  value: string;
  count: number;
}

/**
 * How far `total` can be trusted, as Elasticsearch's track_total_hits reports it: `eq` is exact;
 * `gte` means at least that many (counting stopped at TOTAL_HITS_EXACT_UP_TO, and facet counts
 * are then counted over the same first matches).
 */
export type TotalRelation = 'eq' | 'gte';

/** Totals are exact up to this many matches, as Elasticsearch's default track_total_hits. */
export const TOTAL_HITS_EXACT_UP_TO = 10_000;

export interface SearchResult {
  total: number;
  totalRelation: TotalRelation;
  hits: SearchHit[];
  facets: { category: FacetCount[]; city: FacetCount[]; country: FacetCount[] };
}

/** One physical index. */
export interface SearchStore {
  readonly name: string;
  /** Documents older than the last truncate() count as stale: they are not kept. */
  upsert(documents: readonly VersionedDocument[]): Promise<BulkOutcome>;
  remove(deletes: readonly VersionedDelete[]): Promise<BulkOutcome>;
  /**
   * Removes every document older than `version` (a TRUNCATE of the source table), and keeps
   * refusing them: changes from other partitions may still bring older rows.
   */
  truncate(version: bigint): Promise<void>;
  /** The newest truncate()'s version; 0 when there was none. */
  truncatedBelow(): Promise<bigint>;
  setSellerName(sellerId: number, name: string): Promise<void>;
  search(query: SearchQuery): Promise<SearchResult>;
  /** Searchable documents (deletions not counted). */
  count(): Promise<number>;
  /** Searchable documents in id order, for verification. */
  scan(afterId: number, limit: number): Promise<{ version: bigint; doc: ListingDocument }[]>;
}

/** The alias level: which index serves, and which are being built beside it. */
export interface SearchService {
  readonly kind: 'embedded' | 'elasticsearch';
  /** Creates the first index and points the alias at it, if there is none. */
  ensureIndex(): Promise<void>;
  /** The index searches go to. */
  serving(): Promise<SearchStore>;
  /** Every index live events must reach: the serving one and any being rebuilt. */
  writeTargets(): Promise<SearchStore[]>;
  beginRebuild(): Promise<SearchStore>;
  /** Points the alias at the rebuilt index and drops the old one. */
  finishRebuild(store: SearchStore): Promise<void>;
  abortRebuild(store: SearchStore): Promise<void>;
  close(): Promise<void>;
}

export const MAX_RESULT_WINDOW = 10_000;
