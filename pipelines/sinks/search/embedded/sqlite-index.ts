// One index of the embedded search engine: SQLite FTS5 (BM25, Porter stemming, prefix indexes)
// in a file on disk. Documents keep their external version, also after deletion (a tombstone),
// so a replayed old event can neither bring a listing back nor roll an edit back.
import Database from 'better-sqlite3';
import { stemmer } from 'stemmer';
import { UsageError } from '../../../../core/errors.js';
import {
  MAX_RESULT_WINDOW, type BulkOutcome, type FacetCount, type ListingDocument, type SearchHit, type SearchQuery,
  type SearchResult, type SearchStore, type VersionedDelete, type VersionedDocument,
} from '../port.js';
import { toDocument } from '../listing-changes.js';
import { Vocabulary, words } from '../query-terms.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS docs (
  id INTEGER PRIMARY KEY,
  version INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  seller_id INTEGER, seller_name TEXT, name TEXT, description TEXT, category TEXT, country TEXT, city TEXT,
  price_amount INTEGER, price_currency TEXT, status TEXT, created_at TEXT, updated_at TEXT
);
CREATE INDEX IF NOT EXISTS docs_live_created ON docs (deleted, created_at);
CREATE INDEX IF NOT EXISTS docs_live_price ON docs (deleted, price_amount);
CREATE INDEX IF NOT EXISTS docs_seller ON docs (seller_id);
CREATE INDEX IF NOT EXISTS docs_live_category ON docs (deleted, category, created_at);
CREATE INDEX IF NOT EXISTS docs_live_place ON docs (deleted, country, city, created_at);
-- Name, description, category and city are searched; the content lives in docs (external content).
CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(
  name, description, category, city,
  content = 'docs', content_rowid = 'id',
  tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_terms USING fts5vocab(docs_fts, 'row');
-- Surface words seen in documents: typo candidates must be real words, since FTS5 stems what
-- it is asked for and a stem stemmed again may no longer match.
CREATE TABLE IF NOT EXISTS words (word TEXT PRIMARY KEY) WITHOUT ROWID;
-- The last TRUNCATE's version: a change older than it, arriving late from another partition,
-- must not bring a row back.
CREATE TABLE IF NOT EXISTS truncations (only INTEGER PRIMARY KEY CHECK (only = 1), below INTEGER NOT NULL);
`;

/** BM25 weights of name, description, category, city: a match in the name counts most. */
const WEIGHTS = '6.0, 1.0, 2.0, 1.5';
const MARK_OPEN = '\u0002';
const MARK_CLOSE = '\u0003';

interface StoredRow {
  version: bigint;
  deleted: bigint;
  name: string | null;
  description: string | null;
  category: string | null;
  city: string | null;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Highlights come back with control-character markers; escape the text, then mark it. */
function marked(text: string | null): string | undefined {
  if (!text || !text.includes(MARK_OPEN)) return undefined;
  return escapeHtml(text).split(MARK_OPEN).join('<mark>').split(MARK_CLOSE).join('</mark>');
}

const quote = (term: string) => `"${term.replace(/"/g, '""')}"`;

export class SqliteIndex implements SearchStore {
  private readonly db: Database.Database;
  private readonly surfaceWords = new Vocabulary();
  private readonly knownStems = new Set<string>();
  private readonly statements;

  constructor(readonly name: string, path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a process crash loses nothing committed; power loss at most the last
    // transactions, which the consumer group then delivers again.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // SQLite's default page cache is 2 MB; a listings index of a million documents works with far
    // more, and memory-mapped reads spare a copy per page.
    this.db.pragma('cache_size = -131072');
    this.db.pragma('mmap_size = 1073741824');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.statements = {
      get: db.prepare('SELECT version, deleted, name, description, category, city FROM docs WHERE id = ?').safeIntegers(true),
      upsert: db.prepare(`INSERT INTO docs (id, version, deleted, seller_id, seller_name, name, description, category, country, city, price_amount, price_currency, status, created_at, updated_at)
        VALUES (@id, @version, 0, @seller_id, @seller_name, @name, @description, @category, @country, @city, @price_amount, @price_currency, @status, @created_at, @updated_at)
        ON CONFLICT (id) DO UPDATE SET version = excluded.version, deleted = 0, seller_id = excluded.seller_id, seller_name = excluded.seller_name,
          name = excluded.name, description = excluded.description, category = excluded.category, country = excluded.country, city = excluded.city,
          price_amount = excluded.price_amount, price_currency = excluded.price_currency, status = excluded.status,
          created_at = excluded.created_at, updated_at = excluded.updated_at`),
      tombstone: db.prepare(`INSERT INTO docs (id, version, deleted) VALUES (?, ?, 1)
        ON CONFLICT (id) DO UPDATE SET version = excluded.version, deleted = 1, seller_id = NULL, seller_name = NULL, name = NULL, description = NULL,
          category = NULL, country = NULL, city = NULL, price_amount = NULL, price_currency = NULL, status = NULL, created_at = NULL, updated_at = NULL`),
      ftsInsert: db.prepare('INSERT INTO docs_fts (rowid, name, description, category, city) VALUES (?, ?, ?, ?, ?)'),
      ftsDelete: db.prepare("INSERT INTO docs_fts (docs_fts, rowid, name, description, category, city) VALUES ('delete', ?, ?, ?, ?, ?)"),
      addWord: db.prepare('INSERT OR IGNORE INTO words (word) VALUES (?)'),
      olderLive: db.prepare('SELECT id FROM docs WHERE deleted = 0 AND version < ?').safeIntegers(true),
      sellerName: db.prepare('UPDATE docs SET seller_name = ? WHERE seller_id = ? AND deleted = 0'),
      count: db.prepare('SELECT COUNT(*) AS n FROM docs WHERE deleted = 0'),
      scan: db.prepare('SELECT * FROM docs WHERE deleted = 0 AND id > ? ORDER BY id LIMIT ?').safeIntegers(true),
      truncatedBelow: db.prepare('SELECT below FROM truncations WHERE only = 1').safeIntegers(true),
      markTruncated: db.prepare('INSERT INTO truncations (only, below) VALUES (1, ?) ON CONFLICT (only) DO UPDATE SET below = MAX(below, excluded.below)'),
    };
    for (const { word } of db.prepare('SELECT word FROM words').all() as { word: string }[]) this.surfaceWords.add(word);
    for (const { term } of db.prepare('SELECT term FROM docs_terms').all() as { term: string }[]) this.knownStems.add(term);
  }

  private learn(doc: ListingDocument): void {
    for (const word of new Set(words(`${doc.name} ${doc.description} ${doc.category} ${doc.city}`))) {
      if (this.surfaceWords.has(word)) continue;
      this.surfaceWords.add(word);
      this.knownStems.add(stemmer(word));
      this.statements.addWord.run(word);
    }
  }

  private unindex(id: number, row: StoredRow): void {
    if (row.deleted === 0n) this.statements.ftsDelete.run(id, row.name, row.description, row.category, row.city);
  }

  async upsert(documents: readonly VersionedDocument[]): Promise<BulkOutcome> {
    const outcome: BulkOutcome = { applied: 0, stale: 0, failed: [] };
    this.db.transaction(() => {
      const truncated = (this.statements.truncatedBelow.get() as { below: bigint } | undefined)?.below ?? 0n;
      for (const { doc, version } of documents) {
        const row = this.statements.get.get(doc.id) as StoredRow | undefined;
        if ((row && row.version >= version) || version < truncated) {
          outcome.stale++;
          continue;
        }
        if (row) this.unindex(doc.id, row);
        this.statements.upsert.run({ ...doc, version });
        this.statements.ftsInsert.run(doc.id, doc.name, doc.description, doc.category, doc.city);
        this.learn(doc);
        outcome.applied++;
      }
    })();
    return outcome;
  }

  async remove(deletes: readonly VersionedDelete[]): Promise<BulkOutcome> {
    const outcome: BulkOutcome = { applied: 0, stale: 0, failed: [] };
    this.db.transaction(() => {
      for (const { id, version } of deletes) {
        const row = this.statements.get.get(id) as StoredRow | undefined;
        if (row && row.version >= version) {
          outcome.stale++;
          continue;
        }
        if (row) this.unindex(id, row);
        this.statements.tombstone.run(id, version);
        outcome.applied++;
      }
    })();
    return outcome;
  }

  async truncatedBelow(): Promise<bigint> {
    return (this.statements.truncatedBelow.get() as { below: bigint } | undefined)?.below ?? 0n;
  }

  async truncate(version: bigint): Promise<void> {
    this.statements.markTruncated.run(version);
    const ids = (this.statements.olderLive.all(version) as { id: bigint }[]).map((r) => Number(r.id));
    await this.remove(ids.map((id) => ({ id, version })));
  }

  async setSellerName(sellerId: number, name: string): Promise<void> {
    this.statements.sellerName.run(name, sellerId);
  }

  async count(): Promise<number> {
    return Number((this.statements.count.get() as { n: number }).n);
  }

  async scan(afterId: number, limit: number): Promise<{ version: bigint; doc: ListingDocument }[]> {
    return (this.statements.scan.all(afterId, limit) as Record<string, unknown>[]).map((row) => ({
      version: row.version as bigint,
      doc: toDocument(row, (row.seller_name as string | null) ?? null),
    }));
  }

  /**
   * An FTS5 query: every word must match (as itself, as a typo-corrected word when its stem is
   * unknown, or, for the last word, as a prefix for type-ahead); `any` relaxes that to one word.
   */
  matchExpression(text: string, any = false): string | undefined {
    const list = words(text);
    if (list.length === 0) return undefined;
    const groups = list.map((word, i) => {
      const alternatives = [quote(word)];
      if (!this.knownStems.has(stemmer(word))) alternatives.push(...this.surfaceWords.similar(word).map(quote));
      if (i === list.length - 1 && word.length >= 2) alternatives.push(`${quote(word)}*`);
      return alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join(' OR ')})`;
    });
    return groups.join(any ? ' OR ' : ' AND ');
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const perPage = query.perPage ?? 20;
    const page = query.page ?? 1;
    if (page * perPage > MAX_RESULT_WINDOW) throw new UsageError(`page: page × per_page may be at most ${MAX_RESULT_WINDOW}`);
    const strict = query.q ? this.matchExpression(query.q) : undefined;
    let result = this.run(query, strict, page, perPage);
    if (strict && result.total === 0 && words(query.q!).length > 1) {
      // Nothing has every word: rank what has some of them, as a search box user expects.
      result = this.run(query, this.matchExpression(query.q!, true), page, perPage);
    }
    return result;
  }

  private run(query: SearchQuery, match: string | undefined, page: number, perPage: number): SearchResult {
    const where = ["d.deleted = 0", "d.status = 'active'"];
    const params: unknown[] = [];
    if (match) {
      where.unshift('docs_fts MATCH ?');
      params.push(match);
    }
    if (query.country) { where.push('d.country = ? COLLATE NOCASE'); params.push(query.country); }
    if (query.city) { where.push('d.city = ? COLLATE NOCASE'); params.push(query.city); }
    if (query.category) { where.push('d.category = ? COLLATE NOCASE'); params.push(query.category); }
    if (query.minPrice !== undefined) { where.push('d.price_amount >= ?'); params.push(query.minPrice); }
    if (query.maxPrice !== undefined) { where.push('d.price_amount <= ?'); params.push(query.maxPrice); }
    // CROSS JOIN fixes the loop order: the full-text match drives, filters apply to its rows
    // (left to itself, SQLite may walk a price index and test MATCH row by row).
    const from = match ? 'docs_fts CROSS JOIN docs d ON d.id = docs_fts.rowid' : 'docs d';
    const filter = `FROM ${from} WHERE ${where.join(' AND ')}`;
    const sort = query.sort ?? 'relevance';
    const order = sort === 'newest' || (sort === 'relevance' && !match) ? 'd.created_at DESC, d.id DESC'
      : sort === 'price_asc' ? 'd.price_amount ASC, d.id ASC'
        : sort === 'price_desc' ? 'd.price_amount DESC, d.id DESC'
          : 'score DESC, d.id DESC';
    const score = match ? `-bm25(docs_fts, ${WEIGHTS})` : '0';
    const highlights = match
      ? `highlight(docs_fts, 0, '${MARK_OPEN}', '${MARK_CLOSE}') AS name_hl, snippet(docs_fts, 1, '${MARK_OPEN}', '${MARK_CLOSE}', '…', 24) AS description_hl`
      : 'NULL AS name_hl, NULL AS description_hl';
    const rows = this.db.prepare(`SELECT d.*, ${score} AS score, ${highlights} ${filter} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(...params, perPage, (page - 1) * perPage) as Record<string, unknown>[];
    // One pass over the matches gives the total and every facet.
    const groups = this.db.prepare(`SELECT d.category AS category, d.country AS country, d.city AS city, COUNT(*) AS n ${filter} GROUP BY d.category, d.country, d.city`)
      .all(...params) as { category: string; country: string; city: string; n: number }[];
    let total = 0;
    const byCategory = new Map<string, number>();
    const byCity = new Map<string, number>();
    const byCountry = new Map<string, number>();
    for (const group of groups) {
      total += group.n;
      byCategory.set(group.category, (byCategory.get(group.category) ?? 0) + group.n);
      byCity.set(group.city, (byCity.get(group.city) ?? 0) + group.n);
      byCountry.set(group.country, (byCountry.get(group.country) ?? 0) + group.n);
    }
    const facet = (counts: Map<string, number>): FacetCount[] => [...counts]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .slice(0, 20);
    const hits: SearchHit[] = rows.map((row) => ({
      id: Number(row.id), name: String(row.name), description: String(row.description), category: String(row.category),
      country: String(row.country), city: String(row.city), price_amount: Number(row.price_amount), price_currency: String(row.price_currency),
      seller_name: (row.seller_name as string | null) ?? null, created_at: String(row.created_at), score: Number(row.score),
      highlight: { name: marked(row.name_hl as string | null), description: marked(row.description_hl as string | null) },
    }));
    return { total, totalRelation: 'eq', hits, facets: { category: facet(byCategory), city: facet(byCity), country: facet(byCountry) } };
  }

  close(): void {
    this.db.close();
  }
}
