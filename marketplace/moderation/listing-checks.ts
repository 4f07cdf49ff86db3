// The listing checks' decisions and moderators' answers to them. A decision records each rule a
// listing tripped, holds the listing (status pending_review: out of search, not for sale) when a
// rule says hold, and writes `listing.flagged`; a moderator clears it (back to active and into
// search, `listing.cleared`) or removes it. Each in one transaction with its audit row.
import { ConflictError } from '../../core/errors.js';
import { lockListing, removeListingWith, type Listing } from '../domain/listings.js';
import { appendToOutbox } from '../domain/outbox.js';
import { withTransaction } from '../domain/transaction.js';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
import type { Page, PageRequest } from '../queries/keyset-page.js';
import { recordAudit } from './audit.js';

/** Who the audit trail names for the worker's own decisions. */
export const LISTING_CHECKS_ACTOR = 'checks:listing-checks';

export interface ListingCheckFinding {
  rule: string;
  action: 'hold' | 'flag';
  reason: string;
  values: Record<string, unknown>;
}

export interface ListingCheck {
  id: number;
  rule: string;
  action: 'hold' | 'flag';
  reason: string;
  values: Record<string, unknown> | null;
  decided_at: string;
  status: 'open' | 'cleared' | 'removed';
  cleared_by: string | null;
  cleared_at: string | null;
  clear_reason: string | null;
}

export interface Decision {
  /** Rules recorded now (0 when the event was decided before: a redelivery). */
  recorded: number;
  /** Whether this decision took the listing out of search. */
  held: boolean;
}

/** The fields of a listing the rules read, as the checked event carried them. */
export type CheckedVersion = Pick<Listing, 'name' | 'description' | 'category' | 'country' | 'price_amount' | 'price_currency'>;

/**
 * Records the findings of one checked event. Idempotent: a redelivered event finds its rows
 * there and changes nothing, so a listing a moderator cleared meanwhile is not held again.
 */
export async function recordListingDecision(
  pool: Pool, eventId: string, listingId: number, sellerId: number, found: readonly ListingCheckFinding[], checked?: CheckedVersion,
): Promise<Decision> {
  if (found.length === 0) return { recorded: 0, held: false };
  return withTransaction(pool, async (connection) => {
    // The listing is locked before its cleared checks are read, as clearing locks it first: a
    // moderator's clearing that committed while this event was being checked is seen here.
    const [rows] = await connection.query<RowDataPacket[]>(
      'SELECT status, name, description, category, country, price_amount, price_currency FROM listings WHERE id = ? FOR UPDATE', [listingId]);
    const findings = await notClearedBefore(connection, listingId, found);
    if (findings.length === 0) return { recorded: 0, held: false };
    const [result] = await connection.query<ResultSetHeader>(
      'INSERT IGNORE INTO listing_checks (listing_id, seller_id, event_id, rule, action, reason, rule_values) VALUES ?',
      [findings.map((f) => [listingId, sellerId, eventId, f.rule, f.action, f.reason.slice(0, 500), JSON.stringify(f.values)])],
    );
    if (result.affectedRows === 0) return { recorded: 0, held: false };
    // Deleted by its seller meanwhile: the findings stay as a record; there is nothing to hold.
    const status = rows[0]?.status as string | undefined;
    // Edited since the checked version (the edit committed while it was checked): the findings are
    // kept as a record, and the edit's own event decides whether the listing as it is now is held.
    const stale = checked !== undefined && rows[0] !== undefined && !sameVersion(rows[0], checked);
    const hold = findings.some((f) => f.action === 'hold') && status === 'active' && !stale;
    if (hold) await connection.query("UPDATE listings SET status = 'pending_review' WHERE id = ?", [listingId]);
    const checks = findings.map(({ rule, action, reason, values }) => ({ rule, action, reason, values }));
    if (status !== undefined) {
      // The event reaches the seller's webhooks: the rules and reasons, not what was measured.
      await appendToOutbox(connection, [{
        aggregateType: 'listing', aggregateId: listingId, type: 'listing.flagged',
        payload: { id: listingId, seller_id: sellerId, name: rows[0]!.name, action: hold ? 'hold' : 'flag', status: hold ? 'pending_review' : status, checks: checks.map(({ rule, action, reason }) => ({ rule, action, reason })) },
      }]);
    }
    await recordAudit(connection, {
      admin: LISTING_CHECKS_ACTOR, action: hold ? 'listing.hold' : 'listing.flag', targetType: 'listing', targetId: listingId,
      reason: findings.map((f) => f.reason).join('; ').slice(0, 1000), details: { event_id: eventId, seller_id: sellerId, checks },
    });
    return { recorded: result.affectedRows, held: hold };
  });
}

function sameVersion(row: RowDataPacket, checked: CheckedVersion): boolean {
  return row.name === checked.name && row.description === checked.description && row.category === checked.category && row.country === checked.country
    && Number(row.price_amount) === Number(checked.price_amount) && row.price_currency === checked.price_currency;
}

/**
 * A moderator's clearing stands: a finding of a rule cleared for the same reason (a cleared
 * listing's name still holds the word) is dropped; a new reason is kept.
 */
export async function notClearedBefore<F extends ListingCheckFinding>(connection: Pool | PoolConnection, listingId: number, findings: readonly F[]): Promise<F[]> {
  if (findings.length === 0) return [];
  const [cleared] = await connection.query<RowDataPacket[]>("SELECT rule, reason FROM listing_checks WHERE listing_id = ? AND status = 'cleared'", [listingId]);
  return findings.filter((finding) => !cleared.some((row) => row.rule === finding.rule && row.reason === finding.reason.slice(0, 500)));
}

async function openChecks(connection: PoolConnection, listingId: number): Promise<RowDataPacket[]> {
  const [rows] = await connection.query<RowDataPacket[]>("SELECT id, rule FROM listing_checks WHERE listing_id = ? AND status = 'open' FOR UPDATE", [listingId]);
  return rows;
}

function closeChecks(connection: PoolConnection, listingId: number, to: 'cleared' | 'removed', admin: string, reason: string): Promise<unknown> {
  return connection.query(
    "UPDATE listing_checks SET status = ?, cleared_by = ?, cleared_at = UTC_TIMESTAMP(6), clear_reason = ? WHERE listing_id = ? AND status = 'open'",
    [to, admin, reason, listingId],
  );
}

/** A moderator finds nothing wrong: a held listing goes back to active (and into search), every open check is closed. */
export async function clearListing(pool: Pool, admin: string, listingId: number, reason: string): Promise<{ id: number; status: Listing['status']; previous_status: Listing['status']; cleared: number }> {
  return withTransaction(pool, async (connection) => {
    const listing = await lockListing(connection, listingId);
    const open = await openChecks(connection, listingId);
    if (open.length === 0) throw new ConflictError(`listing ${listingId} has no open checks to clear`);
    const status = listing.status === 'pending_review' ? 'active' : listing.status;
    if (status !== listing.status) await connection.query('UPDATE listings SET status = ? WHERE id = ?', [status, listingId]);
    await closeChecks(connection, listingId, 'cleared', admin, reason);
    const rules = [...new Set(open.map((row) => String(row.rule)))];
    await appendToOutbox(connection, [{
      aggregateType: 'listing', aggregateId: listingId, type: 'listing.cleared',
      payload: { id: listingId, seller_id: listing.seller_id, name: listing.name, status, previous_status: listing.status, rules, reason, cleared_by: 'moderator' },
    }]);
    await recordAudit(connection, {
      admin, action: 'listing.clear', targetType: 'listing', targetId: listingId, reason,
      details: { previous_status: listing.status, status, rules, seller_id: listing.seller_id },
    });
    return { id: listingId, status, previous_status: listing.status, cleared: open.length };
  });
}

/** A moderator agrees with the checks: the listing is removed (kept as evidence), its open checks closed as removed. */
export async function removeCheckedListing(pool: Pool, admin: string, listingId: number, reason: string): Promise<{ id: number; status: 'removed'; previous_status: Listing['status'] }> {
  return withTransaction(pool, async (connection) => {
    const listing = await lockListing(connection, listingId);
    const open = await openChecks(connection, listingId);
    if (open.length === 0) throw new ConflictError(`listing ${listingId} has no open checks; remove it from the listings page instead`);
    if (listing.status === 'removed') throw new ConflictError(`listing ${listingId} is removed already`);
    await removeListingWith(connection, listingId, { reason, removedBy: 'admin' });
    await closeChecks(connection, listingId, 'removed', admin, reason);
    await recordAudit(connection, {
      admin, action: 'listing.remove', targetType: 'listing', targetId: listingId, reason,
      details: { previous_status: listing.status, seller_id: listing.seller_id, rules: [...new Set(open.map((row) => String(row.rule)))] },
    });
    return { id: listingId, status: 'removed', previous_status: listing.status };
  });
}

export interface CheckedListingRow {
  id: number;
  seller_id: number;
  seller_name: string;
  name: string;
  description: string;
  category: string;
  country: string;
  city: string;
  price_amount: number;
  price_currency: string;
  status: Listing['status'];
  created_at: string;
  checks: ListingCheck[];
}

export interface CheckedListingsFilter {
  /** `hold`: listings waiting in pending_review; `flag`: live listings queued for a look; absent: both. */
  action?: 'hold' | 'flag';
}

/** Listings with open checks, newest first, each with its checks (open and past). */
export async function listCheckedListings(pool: Pool, filter: CheckedListingsFilter, page: PageRequest): Promise<Page<CheckedListingRow>> {
  const conditions = ["c.status = 'open'"];
  const params: unknown[] = [];
  if (filter.action) {
    conditions.push('c.action = ?');
    params.push(filter.action);
  }
  if (page.beforeId !== undefined) {
    conditions.push('c.listing_id < ?');
    params.push(page.beforeId);
  }
  const [ids] = await pool.query<RowDataPacket[]>(
    // Joined: a listing its seller deleted meanwhile has nothing left to decide.
    `SELECT DISTINCT c.listing_id AS id FROM listing_checks c JOIN listings l ON l.id = c.listing_id WHERE ${conditions.join(' AND ')} ORDER BY c.listing_id DESC LIMIT ?`, [...params, page.limit + 1],
  );
  const pageIds = ids.slice(0, page.limit).map((row) => Number(row.id));
  if (pageIds.length === 0) return { items: [], nextBeforeId: undefined };
  const [listings] = await pool.query<RowDataPacket[]>(
    `SELECT l.id, l.seller_id, u.name AS seller_name, l.name, l.description, l.category, l.country, l.city, l.price_amount, l.price_currency, l.status, l.created_at
     FROM listings l JOIN users u ON u.id = l.seller_id WHERE l.id IN (?) ORDER BY l.id DESC`, [pageIds],
  );
  const [checks] = await pool.query<RowDataPacket[]>(
    'SELECT id, listing_id, rule, action, reason, rule_values, decided_at, status, cleared_by, cleared_at, clear_reason FROM listing_checks WHERE listing_id IN (?) ORDER BY id DESC', [pageIds],
  );
  const byListing = new Map<number, ListingCheck[]>();
  for (const row of checks) {
    const list = byListing.get(Number(row.listing_id)) ?? [];
    list.push({
      id: Number(row.id), rule: row.rule, action: row.action, reason: row.reason,
      values: typeof row.rule_values === 'string' ? JSON.parse(row.rule_values) as Record<string, unknown> : row.rule_values ?? null,
      decided_at: row.decided_at, status: row.status, cleared_by: row.cleared_by, cleared_at: row.cleared_at, clear_reason: row.clear_reason,
    });
    byListing.set(Number(row.listing_id), list);
  }
  const items = listings.map((row) => ({
    id: Number(row.id), seller_id: Number(row.seller_id), seller_name: String(row.seller_name), name: row.name, description: row.description,
    category: row.category, country: row.country, city: row.city, price_amount: Number(row.price_amount), price_currency: row.price_currency,
    status: row.status, created_at: row.created_at, checks: byListing.get(Number(row.id)) ?? [],
  }) as CheckedListingRow);
  return { items, nextBeforeId: ids.length > page.limit ? pageIds.at(-1)! : undefined };
}
