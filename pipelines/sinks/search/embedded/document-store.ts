// The durable half of an embedded index: documents, their external versions (kept after deletion
// as tombstones) and the truncate mark, in one SQLite file. Every write transaction takes the next
// change number and stamps the rows it wrote, so a process sharing the file (the platform and
// `steveslist search reindex`) can bring its in-memory index up to date with what others wrote.
import Database from 'better-sqlite3';
import { storedCoordinates } from '../geo-distance.js';
import type { ListingDocument } from '../port.js';
import { toDocument } from '../listing-changes.js';
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS docs (
  id INTEGER PRIMARY KEY,
  version INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  seller_id INTEGER, seller_name TEXT, name TEXT, description TEXT, category TEXT, country TEXT, city TEXT,
  price_amount INTEGER, price_currency TEXT, status TEXT, created_at TEXT, updated_at TEXT
);
-- The last TRUNCATE's version: a change older than it, arriving late from another partition,
-- must not bring a row back.
CREATE TABLE IF NOT EXISTS truncations (only INTEGER PRIMARY KEY CHECK (only = 1), below INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS changes (only INTEGER PRIMARY KEY CHECK (only = 1), seq INTEGER NOT NULL);
INSERT OR IGNORE INTO changes (only, seq) VALUES (1, 0);
`;

/** Columns added after the first release of this file format; older files gain them on open. */
const ADDED_COLUMNS: Record<string, string> = { latitude: 'REAL', longitude: 'REAL', seq: 'INTEGER NOT NULL DEFAULT 0' };

/**
 * What an index made by the earlier full-text engine carries and this one no longer reads: the
 * FTS5 tables and the secondary indexes its SQL queries needed (they only slow writes now).
 */
const RETIRED = `
DROP TABLE IF EXISTS docs_terms;
DROP TABLE IF EXISTS docs_fts;
DROP TABLE IF EXISTS words;
DROP INDEX IF EXISTS docs_live_created;
DROP INDEX IF EXISTS docs_live_price;
DROP INDEX IF EXISTS docs_live_category;
DROP INDEX IF EXISTS docs_live_place;
`;

/** The columns the in-memory index is built from. */
export interface IndexedRow {
  id: number;
  deleted: number;
  name: string | null;
  description: string | null;
  category: string | null;
  country: string | null;
  city: string | null;
  price_amount: number | null;
  status: string | null;
  created_at: string | null;
  latitude: number | null;
  longitude: number | null;
}

const INDEXED_COLUMNS = 'id, deleted, name, description, category, country, city, price_amount, status, created_at, latitude, longitude';

/** SQLite's own: a commit that leaves the log this many pages long checkpoints it whole. */
const SQLITE_DEFAULT_PAGES = 1000;
/**
 * Beside the checkpoint thread. Only the writer can start the log over (when it finds it all
 * copied back), and a writer that never pauses would otherwise never find it so: the log grew to
 * 190 MB over 200,000 documents. At this length a commit copies what the thread has not yet (a
 * quarter second's writes at most) and the next one starts the log over.
 */
const REWIND_PAGES = 4000;

export class DocumentStore {
  private readonly db: Database.Database;
  private readonly statements;
  private readonly checkpointer: WalCheckpointer;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a process crash loses nothing committed; power loss at most the last
    // transactions, which the consumer group then delivers again.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('cache_size = -65536');
    // The log goes back into the file from a thread of its own (wal-checkpointer.ts), not inside
    // this connection's commits; should that thread stop, this connection does it all again.
    this.db.pragma(`wal_autocheckpoint = ${REWIND_PAGES}`);
    this.checkpointer = startWalCheckpointer(path, () => {
      if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_PAGES}`);
    });
    this.db.exec(SCHEMA);
    const present = new Set((this.db.prepare('PRAGMA table_info(docs)').all() as { name: string }[]).map((c) => c.name));
    for (const [column, type] of Object.entries(ADDED_COLUMNS)) {
      if (!present.has(column)) this.db.exec(`ALTER TABLE docs ADD COLUMN ${column} ${type}`);
    }
    this.db.exec(RETIRED);
    this.db.exec('CREATE INDEX IF NOT EXISTS docs_seq ON docs (seq); CREATE INDEX IF NOT EXISTS docs_seller ON docs (seller_id)');
    const db = this.db;
    this.statements = {
      version: db.prepare('SELECT version FROM docs WHERE id = ?').pluck().safeIntegers(true),
      put: db.prepare(`INSERT INTO docs (id, version, deleted, seller_id, seller_name, name, description, category, country, city, price_amount, price_currency, status, created_at, updated_at, latitude, longitude, seq)
        VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET version = excluded.version, deleted = 0, seller_id = excluded.seller_id, seller_name = excluded.seller_name,
          name = excluded.name, description = excluded.description, category = excluded.category, country = excluded.country, city = excluded.city,
          price_amount = excluded.price_amount, price_currency = excluded.price_currency, status = excluded.status,
          created_at = excluded.created_at, updated_at = excluded.updated_at, latitude = excluded.latitude, longitude = excluded.longitude, seq = excluded.seq`),
      tombstone: db.prepare(`INSERT INTO docs (id, version, deleted, seq) VALUES (?, ?, 1, ?)
        ON CONFLICT (id) DO UPDATE SET version = excluded.version, deleted = 1, seller_id = NULL, seller_name = NULL, name = NULL, description = NULL,
          category = NULL, country = NULL, city = NULL, price_amount = NULL, price_currency = NULL, status = NULL, created_at = NULL, updated_at = NULL,
          latitude = NULL, longitude = NULL, seq = excluded.seq`),
      nextSeq: db.prepare('UPDATE changes SET seq = seq + 1 WHERE only = 1 RETURNING seq').pluck(),
      seq: db.prepare('SELECT seq FROM changes WHERE only = 1').pluck(),
      changedSince: db.prepare(`SELECT ${INDEXED_COLUMNS} FROM docs WHERE seq > ? ORDER BY seq, id`),
      live: db.prepare(`SELECT ${INDEXED_COLUMNS} FROM docs WHERE deleted = 0`),
      olderLive: db.prepare('SELECT id FROM docs WHERE deleted = 0 AND version < ?').pluck(),
      sellerName: db.prepare('UPDATE docs SET seller_name = ? WHERE seller_id = ? AND deleted = 0'),
      scan: db.prepare('SELECT * FROM docs WHERE deleted = 0 AND id > ? ORDER BY id LIMIT ?').safeIntegers(true),
      row: db.prepare('SELECT * FROM docs WHERE id = ? AND deleted = 0'),
      truncatedBelow: db.prepare('SELECT below FROM truncations WHERE only = 1').pluck().safeIntegers(true),
      markTruncated: db.prepare('INSERT INTO truncations (only, below) VALUES (1, ?) ON CONFLICT (only) DO UPDATE SET below = MAX(below, excluded.below)'),
    };
  }

  /**
   * Runs `work` as one write transaction, taking the write lock at the start so that the change
   * number it reads stays the newest until it commits.
   */
  write<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  /** Runs `work` over one consistent snapshot. */
  read<T>(work: () => T): T {
    return this.db.transaction(work).deferred();
  }

  /** Bumps and returns the change number (inside write()). */
  nextSeq(): number {
    return Number(this.statements.nextSeq.get());
  }

  seq(): number {
    return Number(this.statements.seq.get());
  }

  /** Changes when another connection committed since the last call (SQLite's data_version). */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  version(id: number): bigint | undefined {
    return this.statements.version.get(id) as bigint | undefined;
  }

  put(doc: ListingDocument, version: bigint, seq: number): void {
    const { latitude, longitude } = storedCoordinates(doc);
    this.statements.put.run(doc.id, version, doc.seller_id, doc.seller_name, doc.name, doc.description, doc.category, doc.country, doc.city,
      doc.price_amount, doc.price_currency, doc.status, doc.created_at, doc.updated_at, latitude, longitude, seq);
  }

  tombstone(id: number, version: bigint, seq: number): void {
    this.statements.tombstone.run(id, version, seq);
  }

  changedSince(seq: number): IterableIterator<IndexedRow> {
    return this.statements.changedSince.iterate(seq) as IterableIterator<IndexedRow>;
  }

  live(): IterableIterator<IndexedRow> {
    return this.statements.live.iterate() as IterableIterator<IndexedRow>;
  }

  olderLive(version: bigint): number[] {
    return (this.statements.olderLive.all(version) as number[]).map(Number);
  }

  truncatedBelow(): bigint {
    return (this.statements.truncatedBelow.get() as bigint | undefined) ?? 0n;
  }

  markTruncated(version: bigint): void {
    this.statements.markTruncated.run(version);
  }

  setSellerName(sellerId: number, name: string): void {
    this.statements.sellerName.run(name, sellerId);
  }

  scan(afterId: number, limit: number): { version: bigint; doc: ListingDocument }[] {
    return (this.statements.scan.all(afterId, limit) as Record<string, unknown>[]).map((row) => ({
      version: row.version as bigint,
      doc: toDocument(row, (row.seller_name as string | null) ?? null),
    }));
  }

  /** The stored row of a live document, for showing it in a result. */
  row(id: number): Record<string, unknown> | undefined {
    return this.statements.row.get(id) as Record<string, unknown> | undefined;
  }

  /** Who moves the log back into the file now: the checkpoint thread, or this connection's own commits (after that thread failed). */
  checkpointedBy(): 'thread' | 'commits' {
    return this.db.pragma('wal_autocheckpoint', { simple: true }) === REWIND_PAGES ? 'thread' : 'commits';
  }

  close(): void {
    this.checkpointer.stop();
    this.db.close();
  }
}
