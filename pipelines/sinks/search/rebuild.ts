// `steveslist search reindex` and `verify`: rebuild the index from MySQL beside the serving one
// (live events reach both meanwhile) and swap the alias; compare the index with MySQL.
import { createProgress, type Progress } from '../../../core/progress.js';
import { connectMysql, type Connection, type RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { normalizeRow, type ColumnTypes } from '../../cdc/column-values.js';
import { beginVersionedSnapshot, type CaptureEngine } from '../../cdc/snapshot-version.js';
import { toDocument } from './listing-changes.js';
import type { ListingDocument, SearchService } from './port.js';

export interface RebuildOptions {
  url: string;
  search: SearchService;
  chunkRows?: number;
  progress?: (label: string, total: number) => Progress;
  /** The change-capture engine feeding the index: the documents' versions follow its ordering. */
  engine?: CaptureEngine;
}

const ACTIVE_LISTINGS = `SELECT l.*, u.name AS seller_name FROM listings l LEFT JOIN users u ON u.id = l.seller_id
  WHERE l.status = 'active' AND l.id > ? ORDER BY l.id LIMIT ?`;

async function* activeListings(connection: Connection, chunkRows: number): AsyncGenerator<ListingDocument[]> {
  for (let after = 0; ;) {
    const [rows, fields] = await connection.query<RowDataPacket[]>(ACTIVE_LISTINGS, [after, chunkRows]);
    if (rows.length === 0) return;
    const types: ColumnTypes = { codes: new Map(fields.map((f) => [f.name, (f as { columnType?: number }).columnType ?? f.type ?? 0])), special: new Map() };
    yield rows.map((row) => {
      const normalized = normalizeRow(row, types);
      return toDocument(normalized, (normalized.seller_name as string | null) ?? null);
    });
    after = Number(rows[rows.length - 1]!.id);
  }
}

export async function reindex(options: RebuildOptions): Promise<{ documents: number; index: string; elapsedMs: number }> {
  const startedAt = Date.now();
  // Registered first: from here on every batch the indexer starts also writes to the new index,
  // so whatever commits after the snapshot below reaches it as a live event.
  const store = await options.search.beginRebuild();
  const connection = await connectMysql(options.url, { cdcValues: true });
  try {
    // Rows a TRUNCATE removed may still come late from another partition: the new index refuses
    // them as the serving one does.
    const truncated = await (await options.search.serving()).truncatedBelow();
    if (truncated > 0n) await store.truncate(truncated);
    const version = await beginVersionedSnapshot(connection, options.engine ?? 'builtin');
    const [[count]] = await connection.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM listings WHERE status = 'active'");
    const progress = (options.progress ?? ((label, total) => createProgress({ label, total })))('reindex listings', Number(count!.n));
    let documents = 0;
    for await (const chunk of activeListings(connection, options.chunkRows ?? 5000)) {
      await store.upsert(chunk.map((doc) => ({ doc, version })));
      documents += chunk.length;
      progress.update(documents);
    }
    progress.finish();
    await connection.query('COMMIT');
    await options.search.finishRebuild(store);
    return { documents, index: store.name, elapsedMs: Date.now() - startedAt };
  } catch (error) {
    await options.search.abortRebuild(store).catch(() => undefined);
    throw error;
  } finally {
    await connection.end().catch(() => undefined);
  }
}

export interface VerifyReport {
  checked: number;
  /** Active in MySQL, absent from the index. */
  missing: number[];
  /** In the index, but not an active listing in MySQL. */
  phantom: number[];
  /** In both, with different content. */
  stale: { id: number; field: string }[];
}

const COMPARED: (keyof ListingDocument)[] = ['name', 'description', 'category', 'country', 'city', 'price_amount', 'price_currency', 'updated_at'];

export async function verify(options: RebuildOptions): Promise<VerifyReport> {
  const report: VerifyReport = { checked: 0, missing: [], phantom: [], stale: [] };
  const store = await options.search.serving();
  const connection = await connectMysql(options.url, { cdcValues: true });
  try {
    const indexed = new Map<number, ListingDocument>();
    for (let after = 0; ;) {
      const page = await store.scan(after, 5000);
      if (page.length === 0) break;
      for (const { doc } of page) indexed.set(doc.id, doc);
      after = page[page.length - 1]!.doc.id;
    }
    for await (const chunk of activeListings(connection, options.chunkRows ?? 5000)) {
      for (const doc of chunk) {
        report.checked++;
        const found = indexed.get(doc.id);
        indexed.delete(doc.id);
        if (!found) {
          report.missing.push(doc.id);
          continue;
        }
        const field = COMPARED.find((name) => found[name] !== doc[name]);
        if (field) report.stale.push({ id: doc.id, field });
      }
    }
    report.phantom = [...indexed.keys()];
    return report;
  } finally {
    await connection.end().catch(() => undefined);
  }
}
