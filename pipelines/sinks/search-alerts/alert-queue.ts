// Queues what a match means, in one transaction per batch: the match row (unique per search and
// listing, so a redelivered or edited listing never alerts twice), a `search_alert.matched`
// domain event in the outbox when the owner has a webhook endpoint subscribed to it, and, when
// the search's digest is due (at most one email per search per 15 minutes), the email listing
// every match not yet sent.
import { SinkUnavailable } from '../../../core/errors.js';
import type { Pool, PoolConnection, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { appendToOutbox, type DomainEvent } from '../../../marketplace/domain/outbox.js';
import { describeSavedSearch, filtersOfRow, unsubscribeUrl } from '../../../marketplace/domain/saved-searches.js';
import { withTransaction } from '../../../marketplace/domain/transaction.js';
import { uuidV7 } from '../../../marketplace/domain/uuid-v7.js';
import { enabledEndpointsOf, takesEvent } from '../../../marketplace/webhooks/endpoints.js';
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

const MATCHED_EVENT = 'search_alert.matched';
const listingPath = (id: number) => `/listings/${id}`;

/**
 * Where the queueing transactions spend their time, cumulative (the bench profiles with it). What
 * is left of `totalMs` after the stages is taking a connection, BEGIN and COMMIT (the log flush).
 */
export interface QueueTimings {
  transactions: number;
  /** Transactions run again after a deadlock, a lock wait timeout or a duplicate match (none expected). */
  reruns: number;
  /** The batch's searches read and locked. */
  lockMs: number;
  /** Which of the batch's matches a delivery before recorded already. */
  existingMs: number;
  /** The due digests' searches, owners and waiting matches read. */
  digestReadMs: number;
  matchRowsMs: number;
  outboxMs: number;
  /** Waiting matches settled, searches stamped, emails queued. */
  digestWriteMs: number;
  totalMs: number;
}

export const noQueueTimings = (): QueueTimings => ({ transactions: 0, reruns: 0, lockMs: 0, existingMs: 0, digestReadMs: 0, matchRowsMs: 0, outboxMs: 0, digestWriteMs: 0, totalMs: 0 });

/**
 * Records new matches with their events, and queues the digests that are due, in one transaction
 * with one multi-row statement per table. Every search the batch touches is locked first, in id
 * order, by one statement: batches of other partitions or workers that share searches then queue
 * behind each other instead of deadlocking (the match rows' foreign key would otherwise take a
 * shared lock on each search in the rows' order, after the due ones were locked for the digest).
 */
export async function queueAlerts(pool: Pool, linkKey: string, matches: readonly ListingMatch[], now = new Date(), timings?: QueueTimings): Promise<QueueOutcome> {
  const searchIds = [...new Set(matches.flatMap((m) => m.savedSearchIds))].sort((a, b) => a - b);
  if (searchIds.length === 0) return { matched: 0, emailed: 0 };
  const started = performance.now();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        if (attempt > 1 && timings) timings.reruns++;
        return await recordMatches(pool, linkKey, matches, searchIds, now, timings);
      } catch (error) {
        // With the searches locked first, a racing batch reads the other's rows once it has the
        // locks; a writer that does not lock them (an older worker during an upgrade) can still
        // collide: the one refused re-runs and sees the other's rows, so nothing is recorded twice.
        if ((error as { code?: string }).code !== 'ER_DUP_ENTRY') throw error;
        if (attempt >= DUPLICATE_RETRIES) throw new SinkUnavailable('saved-search matches: other batches keep recording the same matches; will retry', { cause: error });
      }
    }
  } finally {
    if (timings) {
      timings.transactions++;
      timings.totalMs += performance.now() - started;
    }
  }
}

/** Times each step of a transaction into `timings` (when given). */
function stopwatch(timings: QueueTimings | undefined) {
  let last = performance.now();
  return (stage: Exclude<keyof QueueTimings, 'transactions' | 'reruns' | 'totalMs'>) => {
    const now = performance.now();
    if (timings) timings[stage] += now - last;
    last = now;
  };
}

async function recordMatches(
  pool: Pool, linkKey: string, matches: readonly ListingMatch[], searchIds: number[], now: Date, timings: QueueTimings | undefined,
): Promise<QueueOutcome> {
  const listingIds = [...new Set(matches.map((m) => m.listing.id))];
  let runs = 0;
  // READ COMMITTED: the searches' locks are what orders concurrent batches; the scans that settle
  // waiting matches then lock only the rows they change, not the gaps other batches insert into.
  return withTransaction(pool, async (connection) => {
    if (runs++ > 0 && timings) timings.reruns++;
    const lap = stopwatch(timings);
    // The locking read sees the newest rows, so the digest clock read here is the one to go by.
    const [searches] = await connection.query<RowDataPacket[]>(
      'SELECT id, user_id, alerts_enabled, last_emailed_at, created_at FROM saved_searches WHERE id IN (?) ORDER BY id FOR UPDATE', [searchIds],
    );
    lap('lockMs');
    const byId = new Map(searches.map((row) => [Number(row.id), row]));
    // What a redelivered batch matched already. Read after the locks: whoever recorded matches of
    // these searches held them and has committed.
    const [existing] = await connection.query<RowDataPacket[]>(
      'SELECT saved_search_id, listing_id FROM saved_search_matches WHERE saved_search_id IN (?) AND listing_id IN (?)', [searchIds, listingIds],
    );
    lap('existingMs');
    const seen = new Set(existing.map((row) => `${row.saved_search_id}:${row.listing_id}`));
    const found: { searchId: number; match: ListingMatch }[] = [];
    for (const match of matches) {
      for (const searchId of match.savedSearchIds) {
        const search = byId.get(searchId);
        const key = `${searchId}:${match.listing.id}`;
        // Gone, paused, the owner's own listing, or a listing from before the search was saved.
        if (!search || !search.alerts_enabled || Number(search.user_id) === match.listing.seller_id || seen.has(key)) continue;
        if (match.committedAtMs < dateMs(search.created_at) - COMMIT_CLOCK_SLACK_MS) continue;
        seen.add(key);
        found.push({ searchId, match });
      }
    }
    if (found.length === 0) return { matched: 0, emailed: 0 };
    // In key order: the rows go into the primary key's order, and the same batch writes the same rows alike.
    found.sort((a, b) => a.searchId - b.searchId || a.match.listing.id - b.match.listing.id);
    const due = new Set<number>();
    const fresh = new Map<number, ListingDocument[]>();
    for (const { searchId, match } of found) {
      if (!isDue(byId.get(searchId)!.last_emailed_at, now)) continue;
      due.add(searchId);
      let listings = fresh.get(searchId);
      if (!listings) fresh.set(searchId, (listings = []));
      listings.push(match.listing);
    }
    // Read before this batch's rows exist: they go in already settled by the digest composed here.
    const digests = await composeDigests(connection, linkKey, [...due], now, fresh);
    lap('digestReadMs');
    const rows = found.map(({ searchId, match }) => [searchId, match.listing.id, new Date(match.committedAtMs), now, due.has(searchId) ? now : null]);
    await connection.query('INSERT INTO saved_search_matches (saved_search_id, listing_id, committed_at, matched_at, emailed_at) VALUES ?', [rows]);
    lap('matchRowsMs');
    // Events only for owners someone would deliver them to: an event costs the transaction more
    // than its match row (and every consumer of the outbox reads it), and most owners have no
    // endpoint. An endpoint subscribed later gets the matches from then on.
    const ownerOf = (searchId: number) => Number(byId.get(searchId)!.user_id);
    const endpoints = await enabledEndpointsOf(connection, [...new Set(found.map(({ searchId }) => ownerOf(searchId)))]);
    const subscribed = new Set(endpoints.filter((endpoint) => takesEvent(endpoint, MATCHED_EVENT)).map((endpoint) => endpoint.userId));
    const events = found.filter(({ searchId }) => subscribed.has(ownerOf(searchId)));
    await appendToOutbox(connection, events.map(({ searchId, match: { listing } }) => matchedEvent(searchId, ownerOf(searchId), listing)));
    lap('outboxMs');
    const emailed = await writeDigests(connection, [...due], now, digests);
    lap('digestWriteMs');
    return { matched: rows.length, emailed };
  }, undefined, 'READ COMMITTED');
}

function matchedEvent(searchId: number, userId: number, listing: ListingDocument): DomainEvent {
  return {
    aggregateType: 'saved_search', aggregateId: searchId, type: MATCHED_EVENT,
    payload: {
      saved_search_id: searchId, user_id: userId, listing_id: listing.id,
      listing: { id: listing.id, name: listing.name, category: listing.category, country: listing.country, city: listing.city, price_amount: listing.price_amount, price_currency: listing.price_currency },
    },
  };
}

function isDue(lastEmailedAt: unknown, now: Date): boolean {
  return lastEmailedAt === null || lastEmailedAt === undefined || dateMs(lastEmailedAt) <= now.getTime() - DIGEST_INTERVAL_MS;
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
  }, undefined, 'READ COMMITTED');
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
