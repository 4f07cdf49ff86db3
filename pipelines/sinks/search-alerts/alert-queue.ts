// Queues what a match means, in one transaction per batch: the match row (unique per search and
// listing, so a redelivered or edited listing never alerts twice), a `search_alert.matched`
// domain event in the outbox for the owner's webhook endpoints, and, when the search's digest is
// due (at most one email per search per 15 minutes), the email listing every match not yet sent.
import { SinkUnavailable } from '../../../core/errors.js';
import type { Pool, PoolConnection, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { appendToOutbox, type DomainEvent } from '../../../marketplace/domain/outbox.js';
import { describeSavedSearch, filtersOfRow, unsubscribeUrl } from '../../../marketplace/domain/saved-searches.js';
import { withTransaction } from '../../../marketplace/domain/transaction.js';
import { uuidV7 } from '../../../marketplace/domain/uuid-v7.js';
import type { ListingDocument } from '../search/port.js';

export const DIGEST_INTERVAL_MS = 15 * 60_000;
const DUPLICATE_RETRIES = 8;
/** A listing changed this long before its search was saved still counts: the binlog's clock has whole seconds. */
const COMMIT_CLOCK_SLACK_MS = 2_000;

export interface ListingMatch {
  listing: ListingDocument;
  /** When the change was committed at the source (the change event's source.ts_ms). */
  committedAtMs: number;
  savedSearchIds: number[];
}

export interface QueueOutcome {
  /** New (search, listing) matches recorded. */
  matched: number;
  /** Digest emails queued. */
  emailed: number;
}

const listingPath = (id: number) => `/listings/${id}`;

/**
 * Records new matches with their events, and queues the digests that are due. Only searches whose
 * digest looks due are locked (most matched searches were mailed within the last 15 minutes and
 * need no lock); the rest are read without locks, the match rows' primary key keeping a match once.
 */
export async function queueAlerts(pool: Pool, linkKey: string, matches: readonly ListingMatch[], now = new Date()): Promise<QueueOutcome> {
  const searchIds = [...new Set(matches.flatMap((m) => m.savedSearchIds))];
  if (searchIds.length === 0) return { matched: 0, emailed: 0 };
  for (let attempt = 1; ; attempt++) {
    try {
      return await recordMatches(pool, linkKey, matches, searchIds, now);
    } catch (error) {
      // Batches recording one listing at once (a rebalance, a redelivery racing the original):
      // the one refused re-runs and sees the other's rows, so nothing is recorded twice. Each
      // refusal means another batch committed, so the re-runs make progress.
      if ((error as { code?: string }).code !== 'ER_DUP_ENTRY') throw error;
      if (attempt >= DUPLICATE_RETRIES) throw new SinkUnavailable('saved-search matches: other batches keep recording the same matches; will retry', { cause: error });
    }
  }
}

async function recordMatches(pool: Pool, linkKey: string, matches: readonly ListingMatch[], searchIds: number[], now: Date): Promise<QueueOutcome> {
  const listingIds = [...new Set(matches.map((m) => m.listing.id))];
  return withTransaction(pool, async (connection) => {
    const [searches] = await connection.query<RowDataPacket[]>(
      'SELECT id, user_id, alerts_enabled, last_emailed_at, created_at FROM saved_searches WHERE id IN (?)', [searchIds],
    );
    const byId = new Map(searches.map((row) => [Number(row.id), row]));
    // What a redelivered batch matched already.
    const [existing] = await connection.query<RowDataPacket[]>(
      'SELECT saved_search_id, listing_id FROM saved_search_matches WHERE saved_search_id IN (?) AND listing_id IN (?)', [searchIds, listingIds],
    );
    const seen = new Set(existing.map((row) => `${row.saved_search_id}:${row.listing_id}`));
    const found: { searchId: number; match: ListingMatch }[] = [];
    const events: DomainEvent[] = [];
    const touched = new Set<number>();
    for (const match of matches) {
      for (const searchId of match.savedSearchIds) {
        const search = byId.get(searchId);
        const key = `${searchId}:${match.listing.id}`;
        // Gone, paused, the owner's own listing, or a listing from before the search was saved.
        if (!search || !search.alerts_enabled || Number(search.user_id) === match.listing.seller_id || seen.has(key)) continue;
        if (match.committedAtMs < dateMs(search.created_at) - COMMIT_CLOCK_SLACK_MS) continue;
        seen.add(key);
        touched.add(searchId);
        found.push({ searchId, match });
        const { listing } = match;
        events.push({
          aggregateType: 'saved_search', aggregateId: searchId, type: 'search_alert.matched',
          payload: {
            saved_search_id: searchId, user_id: Number(search.user_id), listing_id: listing.id,
            listing: { id: listing.id, name: listing.name, category: listing.category, country: listing.country, city: listing.city, price_amount: listing.price_amount, price_currency: listing.price_currency },
          },
        });
      }
    }
    if (found.length === 0) return { matched: 0, emailed: 0 };
    const looksDue = [...touched].filter((id) => isDue(byId.get(id)!.last_emailed_at, now));
    // Locked before the match rows are written, in id order, so two batches mailing the same
    // searches queue one after the other; the lock re-reads the clock another batch may have moved.
    const due = new Set(await lockDueSearches(connection, looksDue, now));
    const fresh = new Map<number, ListingDocument[]>();
    for (const { searchId, match } of found) {
      if (!due.has(searchId)) continue;
      let listings = fresh.get(searchId);
      if (!listings) fresh.set(searchId, (listings = []));
      listings.push(match.listing);
    }
    // Read before this batch's rows exist: they go in already settled by the digest composed here.
    const digests = await composeDigests(connection, linkKey, [...due], now, fresh);
    const rows = found.map(({ searchId, match }) => [searchId, match.listing.id, new Date(match.committedAtMs), now, due.has(searchId) ? now : null]);
    await connection.query('INSERT INTO saved_search_matches (saved_search_id, listing_id, committed_at, matched_at, emailed_at) VALUES ?', [rows]);
    await appendToOutbox(connection, events);
    const emailed = await writeDigests(connection, [...due], now, digests);
    return { matched: rows.length, emailed };
  });
}

function isDue(lastEmailedAt: unknown, now: Date): boolean {
  return lastEmailedAt === null || lastEmailedAt === undefined || dateMs(lastEmailedAt) <= now.getTime() - DIGEST_INTERVAL_MS;
}

/** Of these searches, the ones still on and due once locked. */
async function lockDueSearches(connection: PoolConnection, searchIds: number[], now: Date): Promise<number[]> {
  if (searchIds.length === 0) return [];
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT id FROM saved_searches WHERE id IN (?) AND alerts_enabled = 1 AND (last_emailed_at IS NULL OR last_emailed_at <= ?)
      ORDER BY id FOR UPDATE`, [searchIds, new Date(now.getTime() - DIGEST_INTERVAL_MS)],
  );
  return rows.map((row) => Number(row.id));
}

/** Queues the digests of searches whose 15 minutes have passed with matches waiting (the worker's timer). */
export async function flushDueDigests(pool: Pool, linkKey: string, now = new Date()): Promise<number> {
  return withTransaction(pool, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>(
      `SELECT s.id FROM saved_searches s
        WHERE s.alerts_enabled = 1 AND (s.last_emailed_at IS NULL OR s.last_emailed_at <= ?)
          AND EXISTS (SELECT 1 FROM saved_search_matches m WHERE m.saved_search_id = s.id AND m.emailed_at IS NULL)
        ORDER BY s.id LIMIT 500 FOR UPDATE SKIP LOCKED`, [new Date(now.getTime() - DIGEST_INTERVAL_MS)],
    );
    const searchIds = rows.map((row) => Number(row.id));
    return writeDigests(connection, searchIds, now, await composeDigests(connection, linkKey, searchIds, now));
  });
}

function dateMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  return Date.parse(`${String(value).replace(' ', 'T')}Z`);
}

interface Digests {
  /** email_messages rows. */
  emails: unknown[][];
  emailedIds: number[];
  /** Whether matches queued before (not this batch's) wait to be settled. */
  earlierPending: boolean;
}

/**
 * One email per search, listing its matches not yet sent that are still for sale: those waiting
 * in the table, then `fresh` ones (this batch's, all for sale, not yet written), by listing id.
 */
async function composeDigests(
  connection: PoolConnection, linkKey: string, searchIds: number[], now: Date, fresh: ReadonlyMap<number, readonly ListingDocument[]> = new Map(),
): Promise<Digests> {
  if (searchIds.length === 0) return { emails: [], emailedIds: [], earlierPending: false };
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT s.id, s.user_id, s.q, s.country, s.city, s.category, s.min_price, s.max_price, s.near_label, s.latitude, s.longitude, s.within_km, s.site_url, u.email,
            l.id AS listing_id, l.name, l.city AS listing_city, l.country AS listing_country, l.price_amount, l.price_currency, l.status
       FROM saved_searches s JOIN users u ON u.id = s.user_id
       LEFT JOIN saved_search_matches m ON m.saved_search_id = s.id AND m.emailed_at IS NULL
       LEFT JOIN listings l ON l.id = m.listing_id
      WHERE s.id IN (?) AND s.alerts_enabled = 1
      ORDER BY s.id, m.matched_at, l.id`, [searchIds],
  );
  const bySearch = new Map<number, RowDataPacket[]>();
  for (const row of rows) {
    let searchRows = bySearch.get(Number(row.id));
    if (!searchRows) bySearch.set(Number(row.id), (searchRows = []));
    searchRows.push(row);
  }
  const digests: Digests = { emails: [], emailedIds: [], earlierPending: rows.some((row) => row.listing_id !== null) };
  for (const [id, searchRows] of bySearch) {
    const search = searchRows[0]!;
    const site = String(search.site_url);
    const waiting = searchRows.filter((row) => row.listing_id !== null && row.status === 'active').map((row) => ({
      id: Number(row.listing_id), name: String(row.name), city: String(row.listing_city), country: String(row.listing_country),
      price_amount: Number(row.price_amount), price_currency: String(row.price_currency),
    }));
    const added = [...(fresh.get(id) ?? [])].sort((a, b) => a.id - b.id).map((doc) => ({
      id: doc.id, name: doc.name, city: doc.city, country: doc.country, price_amount: doc.price_amount, price_currency: doc.price_currency,
    }));
    const listings = [...waiting, ...added].map((listing) => ({ ...listing, url: `${site}${listingPath(listing.id)}` }));
    if (listings.length === 0) continue;
    const description = describeSavedSearch(filtersOfRow(search));
    const data = { saved_search_id: id, description, listings, manage_url: `${site}/alerts`, unsubscribe_url: unsubscribeUrl(site, linkKey, id) };
    digests.emails.push([Number(search.user_id), uuidV7(now.getTime()), 'search_alert', String(search.email), '', JSON.stringify(data), now]);
    digests.emailedIds.push(id);
  }
  return digests;
}

/** Settles the searches' waiting matches (also those no longer for sale, never mailed) and queues the emails. */
async function writeDigests(connection: PoolConnection, searchIds: number[], now: Date, digests: Digests): Promise<number> {
  if (digests.earlierPending) {
    await connection.query('UPDATE saved_search_matches SET emailed_at = ? WHERE saved_search_id IN (?) AND emailed_at IS NULL', [now, searchIds]);
  }
  if (digests.emails.length > 0) {
    await connection.query('UPDATE saved_searches SET last_emailed_at = ? WHERE id IN (?)', [now, digests.emailedIds]);
    await connection.query('INSERT INTO email_messages (user_id, event_id, template, to_address, subject, data, next_attempt_at) VALUES ?', [digests.emails]);
  }
  return digests.emails.length;
}
