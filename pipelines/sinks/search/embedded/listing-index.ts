// One index of the embedded search engine: documents and versions durable in SQLite
// (document-store.ts), queries answered from an in-memory inverted index (memory-index.ts) built
// when the index opens and kept current on every write, and on every read after another process
// wrote to the same file.
import { UsageError } from '../../../../core/errors.js';
import { storedCoordinates } from '../geo-distance.js';
import {
  MAX_RESULT_WINDOW, type BulkOutcome, type FacetCount, type ListingDocument, type SearchHit, type SearchQuery, type SearchResult,
  type SearchStore, type VersionedDelete, type VersionedDocument,
} from '../port.js';
import { words } from '../query-terms.js';
import { synonymsByStem, type SynonymGroups } from '../synonyms.js';
import { DocumentStore, type IndexedRow } from './document-store.js';
import { highlightAll, snippet } from './highlight.js';
import { MemoryIndex } from './memory-index.js';
import { readSnapshot, removeSnapshot, writeSnapshot } from './snapshot.js';
import { withinBudget } from './surface-words.js';
import { MAX_QUERY_WORDS, QueryEngine, type Evaluation, type Filters, type TermGroup } from './query-engine.js';

/** Dead ordinals (replaced or deleted documents) tolerated before the memory index is compacted. */
const COMPACT_AFTER_DEAD = 50_000;
const FACET_SIZE = 20;
/** Changes replayed on top of a snapshot at open past which a fresh snapshot is written at once. */
const RESNAPSHOT_AFTER = 100_000;
/**
 * While the index is written, a snapshot after this many changed documents, at most this often:
 * a process killed with -9 writes none at close, and its next open replayed every change since
 * the last one (after a minute of bursts with kills, ~5 s of the search thread before it indexed
 * again). Bounded so, an open replays at most about this many.
 */
export const SNAPSHOT_EVERY = { changes: 20_000, ms: 10_000 };
/** Postings the type-ahead expansions of a query's last word may add up to. */
const PREFIX_POSTINGS_BUDGET = 300_000;
/** The snapshot file sits beside the SQLite file: `<index>.sqlite.snapshot`. */
export const SNAPSHOT_SUFFIX = '.snapshot';

function indexedRow(doc: ListingDocument): IndexedRow {
  return {
    id: doc.id, deleted: 0, name: doc.name, description: doc.description, category: doc.category, country: doc.country, city: doc.city,
    price_amount: doc.price_amount, status: doc.status, created_at: doc.created_at, ...storedCoordinates(doc),
  };
}

function facet(values: readonly string[], counts: Int32Array): FacetCount[] {
  const list: FacetCount[] = [];
  for (let code = 0; code < counts.length; code++) if (counts[code]! > 0) list.push({ value: values[code]!, count: counts[code]! });
  return list.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)).slice(0, FACET_SIZE);
}

export class ListingIndex implements SearchStore {
  private readonly store: DocumentStore;
  private readonly memory = new MemoryIndex();
  private readonly engine = new QueryEngine(this.memory);
  /** Per stem, the other stems of its synonym groups. */
  private readonly synonyms: Map<string, string[]>;
  /** The newest change number the memory index holds. */
  private seenSeq = 0;
  private seenDataVersion = -1;

  private readonly snapshotPath: string;
  /** Documents changed since the snapshot was written (or that the open replayed on top of it). */
  private unsnapshotted = 0;
  private snapshotAt = 0;

  constructor(readonly name: string, path: string, synonyms: SynonymGroups, private readonly snapshotEvery = SNAPSHOT_EVERY) {
    this.store = new DocumentStore(path);
    this.snapshotPath = `${path}${SNAPSHOT_SUFFIX}`;
    // Stemmed as the index stems, so "televisions" finds what "tv" finds.
    this.synonyms = synonymsByStem(synonyms);
    this.load();
  }

  /**
   * Builds the memory index: from the snapshot plus the changes stored after it when there is a
   * usable one, else from every stored document (then a snapshot is written at once, so the next
   * open is quick even if this process never closes cleanly).
   */
  private load(): void {
    this.memory.clear();
    const snapshot = readSnapshot(this.snapshotPath);
    let replayed = 0;
    let fromSnapshot = false;
    this.store.read(() => {
      if (snapshot && snapshot.seq <= this.store.seq()) {
        this.memory.restore(snapshot.image);
        this.seenSeq = snapshot.seq;
        replayed = this.applyChanges();
        fromSnapshot = true;
      } else {
        this.seenSeq = this.store.seq();
        for (const row of this.store.live()) this.memory.put(row);
      }
    });
    this.seenDataVersion = this.store.dataVersion();
    if (!fromSnapshot || replayed > RESNAPSHOT_AFTER) this.saveSnapshot();
    else {
      // Of unknown age: the first write after enough replayed changes writes a new one, off the start.
      this.unsnapshotted = replayed;
      this.snapshotAt = 0;
    }
  }

  private saveSnapshot(): void {
    if (this.memory.dead > this.memory.ordinals / 10) this.memory.compact();
    writeSnapshot(this.snapshotPath, this.memory.image(), this.seenSeq);
    this.unsnapshotted = 0;
    this.snapshotAt = Date.now();
  }

  /** After a write: a snapshot when enough changed since the last one and it is old enough. */
  private snapshotIfDue(changed: number): void {
    this.unsnapshotted += changed;
    if (this.unsnapshotted >= this.snapshotEvery.changes && Date.now() - this.snapshotAt >= this.snapshotEvery.ms) this.saveSnapshot();
  }

  /** Applies what was committed since the memory index's change number (inside a transaction); returns how many rows. */
  private applyChanges(): number {
    const seq = this.store.seq();
    if (seq <= this.seenSeq) return 0;
    let rows = 0;
    for (const row of this.store.changedSince(this.seenSeq)) {
      if (row.deleted) this.memory.remove(row.id);
      else this.memory.put(row);
      rows++;
    }
    this.seenSeq = seq;
    this.unsnapshotted += rows;
    return rows;
  }

  private refresh(): void {
    const dataVersion = this.store.dataVersion();
    if (dataVersion === this.seenDataVersion) return;
    this.seenDataVersion = dataVersion;
    this.store.read(() => this.applyChanges());
  }

  /**
   * A write transaction that changes the memory index as it goes: if it fails, the memory index
   * is rebuilt from what the store kept, so the two never disagree.
   */
  private write<T>(work: (seq: number) => T): T {
    let result: T;
    try {
      result = this.store.write(() => {
        this.applyChanges();
        const seq = this.store.nextSeq();
        const out = work(seq);
        this.seenSeq = seq;
        return out;
      });
    } catch (error) {
      this.load();
      throw error;
    }
    if (this.memory.dead > COMPACT_AFTER_DEAD && this.memory.dead > this.memory.size) this.memory.compact();
    return result;
  }

  async upsert(documents: readonly VersionedDocument[]): Promise<BulkOutcome> {
    const outcome: BulkOutcome = { applied: 0, stale: 0, failed: [] };
    this.write((seq) => {
      const truncated = this.store.truncatedBelow();
      for (const { doc, version } of documents) {
        const stored = this.store.version(doc.id);
        if ((stored !== undefined && stored >= version) || version < truncated) {
          outcome.stale++;
          continue;
        }
        this.store.put(doc, version, seq);
        this.memory.put(indexedRow(doc));
        outcome.applied++;
      }
    });
    this.snapshotIfDue(outcome.applied);
    return outcome;
  }

  async remove(deletes: readonly VersionedDelete[]): Promise<BulkOutcome> {
    const outcome: BulkOutcome = { applied: 0, stale: 0, failed: [] };
    this.write((seq) => {
      for (const { id, version } of deletes) {
        const stored = this.store.version(id);
        if (stored !== undefined && stored >= version) {
          outcome.stale++;
          continue;
        }
        this.store.tombstone(id, version, seq);
        this.memory.remove(id);
        outcome.applied++;
      }
    });
    this.snapshotIfDue(outcome.applied);
    return outcome;
  }

  async truncatedBelow(): Promise<bigint> {
    return this.store.truncatedBelow();
  }

  async truncate(version: bigint): Promise<void> {
    let removed = 0;
    this.write((seq) => {
      this.store.markTruncated(version);
      for (const id of this.store.olderLive(version)) {
        this.store.tombstone(id, version, seq);
        this.memory.remove(id);
        removed++;
      }
    });
    this.snapshotIfDue(removed);
  }

  async setSellerName(sellerId: number, name: string): Promise<void> {
    // Shown from the stored row, not searched: the memory index does not hold it.
    this.store.setSellerName(sellerId, name);
  }

  async count(): Promise<number> {
    this.refresh();
    return this.memory.size;
  }

  async scan(afterId: number, limit: number): Promise<{ version: bigint; doc: ListingDocument }[]> {
    return this.store.scan(afterId, limit);
  }

  /**
   * Every query word must match (as itself, a synonym, a typo-corrected word when the index has
   * neither, or — the last word — as a prefix while the user types); when no listing has them all,
   * listings with any of them are ranked. Totals follow Elasticsearch's track_total_hits: exact up
   * to TOTAL_HITS_EXACT_UP_TO, then that number with relation 'gte'. Facets are always exact: they
   * are counted over every match in the same pass that finds them.
   */
  async search(query: SearchQuery): Promise<SearchResult> {
    const perPage = query.perPage ?? 20;
    const page = query.page ?? 1;
    if (page * perPage > MAX_RESULT_WINDOW) throw new UsageError(`page: page × per_page may be at most ${MAX_RESULT_WINDOW}`);
    const sort = query.sort ?? 'relevance';
    if (sort === 'distance' && !query.near) throw new UsageError('sort: distance needs a point to measure from (near)');
    if (query.near && (!Number.isFinite(query.near.latitude) || !Number.isFinite(query.near.longitude))) {
      throw new UsageError('near: latitude and longitude must be numbers');
    }
    this.refresh();
    const filters: Filters = {
      category: query.category, city: query.city, country: query.country, minPrice: query.minPrice, maxPrice: query.maxPrice, near: query.near,
    };
    const list = query.q ? words(query.q).slice(0, MAX_QUERY_WORDS) : [];
    const k = page * perPage;
    let groups: TermGroup[] | undefined;
    let evaluation: Evaluation;
    if (list.length === 0) {
      evaluation = this.engine.run(undefined, true, filters, sort, k);
    } else {
      groups = this.termGroups(list);
      evaluation = this.engine.run(groups, true, filters, sort, k);
      // Nothing has every word: rank what has some of them, as a search box user expects.
      if (evaluation.total === 0 && list.length > 1) evaluation = this.engine.run(groups, false, filters, sort, k);
    }
    const matched = new Set(groups?.flat());
    const matches = (word: string) => matched.has(this.memory.surface.stemOf(word));
    const hits: SearchHit[] = [];
    for (const ordinal of evaluation.ordinals.slice((page - 1) * perPage)) {
      const row = this.store.row(this.memory.ids[ordinal]!);
      if (!row) continue;
      const name = String(row.name);
      const description = String(row.description ?? '');
      const hit: SearchHit = {
        id: Number(row.id), name, description, category: String(row.category), country: String(row.country), city: String(row.city),
        price_amount: Number(row.price_amount), price_currency: String(row.price_currency), seller_name: (row.seller_name as string | null) ?? null,
        created_at: String(row.created_at), score: evaluation.score(ordinal),
        highlight: groups ? { name: highlightAll(name, matches), description: snippet(description, matches) } : {},
      };
      if (query.near) hit.distance_km = evaluation.distance(ordinal);
      hits.push(hit);
    }
    return {
      total: evaluation.total,
      totalRelation: evaluation.totalRelation,
      hits,
      facets: {
        category: facet(this.memory.categories.values, evaluation.facets.category),
        city: facet(this.memory.cities.values, evaluation.facets.city),
        country: facet(this.memory.countries.values, evaluation.facets.country),
      },
    };
  }

  /** Per query word, the index terms that match it. */
  private termGroups(list: string[]): TermGroup[] {
    const { memory } = this;
    const frequency = memory.documentFrequency;
    return list.map((word, i) => {
      const stems = new Set<string>();
      const exact = memory.surface.stemOf(word);
      const alike = this.synonyms.get(exact) ?? [];
      // A word the index has, or whose synonyms it has, is taken as meant; others may be typos.
      const meant = [exact, ...alike].some((stem) => memory.postings(stem));
      const bases = meant ? [exact] : memory.surface.similar(word, frequency).map((w) => memory.surface.stemOf(w));
      for (const base of bases) {
        stems.add(base);
        for (const synonym of this.synonyms.get(base) ?? []) stems.add(synonym);
      }
      if (i === list.length - 1 && word.length >= 2) {
        // A short prefix ("se") can stand for words in nearly every listing; reading all their
        // postings would cost more than any other query. Expansions are taken while their
        // postings stay within a budget, skipping the ones that would break it.
        const expansions = memory.surface.prefixStems(word, frequency).filter((stem) => !stems.has(stem));
        for (const stem of withinBudget(expansions, frequency, PREFIX_POSTINGS_BUDGET)) stems.add(stem);
      }
      return [...stems].filter((stem) => memory.postings(stem));
    });
  }

  /** Closes, leaving a snapshot for a quick next open. */
  close(): void {
    this.saveSnapshot();
    this.store.close();
  }

  /** Closes without a snapshot: the index is being dropped. */
  discard(): void {
    this.store.close();
    removeSnapshot(this.snapshotPath);
  }
}
