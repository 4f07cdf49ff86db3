import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
import { insertRows, TIMESTAMP_COLUMNS } from './insert-rows.js';
import type { Listing, ListingFields, ListingStatus } from './listing-shape.js';
import { appendToOutbox } from './outbox.js';
import { withTransaction } from './transaction.js';

export type { Listing, ListingStatus } from './listing-shape.js';

export interface NewListing {
  sellerId: number;
  name: string;
  description: string;
  category: string;
  country: string;
  city: string;
  /** Integer minor units (cents). */
  priceAmount: number;
  /** ISO 4217, lower case. */
  priceCurrency: string;
  status?: ListingStatus;
  /** Back-dates the row (sample data); the database's clock is used when absent. */
  createdAt?: Date;
}

export type ListingPatch = Partial<ListingFields & Pick<Listing, 'status'>>;

const COLUMNS = ['seller_id', 'name', 'description', 'category', 'country', 'city', 'price_amount', 'price_currency', 'status'] as const;

function toRow(listing: NewListing, dated: boolean): unknown[] {
  return [listing.sellerId, listing.name, listing.description, listing.category, listing.country, listing.city,
    listing.priceAmount, listing.priceCurrency, listing.status ?? 'active', ...(dated ? [listing.createdAt, listing.createdAt] : [])];
}

function toPayload(id: number, listing: NewListing): Record<string, unknown> {
  return {
    id, seller_id: listing.sellerId, name: listing.name, description: listing.description, category: listing.category,
    country: listing.country, city: listing.city, price_amount: listing.priceAmount,
    price_currency: listing.priceCurrency, status: listing.status ?? 'active',
  };
}

/** Inserts listings and one `listing.created` event each; returns their ids in order. */
export async function insertListings(connection: PoolConnection, listings: readonly NewListing[]): Promise<number[]> {
  const dated = listings.every((l) => l.createdAt);
  const ids = await insertRows(connection, 'listings', [...COLUMNS, ...(dated ? TIMESTAMP_COLUMNS : [])],
    listings.map((listing) => toRow(listing, dated)));
  await appendToOutbox(connection, listings.map((listing, i) => ({
    aggregateType: 'listing', aggregateId: ids[i]!, type: 'listing.created', payload: toPayload(ids[i]!, listing),
  })));
  return ids;
}

export async function createListing(pool: Pool, listing: NewListing): Promise<number> {
  const [id] = await withTransaction(pool, (connection) => insertListings(connection, [listing]));
  return id!;
}

export async function lockListing(connection: PoolConnection, id: number): Promise<Listing> {
  const [rows] = await connection.query<RowDataPacket[]>('SELECT * FROM listings WHERE id = ? FOR UPDATE', [id]);
  if (rows.length === 0) throw new NotFoundError(`listing ${id} does not exist`);
  const row = rows[0]!;
  // BIGINT columns arrive as strings from the app's pool (exactness first); these fit in 2^53.
  return { ...row, id: Number(row.id), seller_id: Number(row.seller_id), price_amount: Number(row.price_amount) } as Listing;
}

/** Applies a patch and writes `listing.updated` with the fields that changed. */
export async function updateListing(pool: Pool, id: number, patch: ListingPatch): Promise<Listing> {
  return withTransaction(pool, async (connection) => {
    const before = await lockListing(connection, id);
    if (before.status === 'removed' || before.status === 'sold') throw new ConflictError(`listing ${id} is ${before.status} and can no longer be edited`);
    // Held by the listing checks: the seller cannot put it back on sale; a moderator decides.
    if (before.status === 'pending_review') throw new ConflictError(`listing ${id} is under review by our moderators and can be edited once they have decided`);
    const changed = (Object.keys(patch) as (keyof ListingPatch)[]).filter((key) => patch[key] !== undefined && patch[key] !== before[key]);
    if (changed.length === 0) return before;
    await connection.query(`UPDATE listings SET ${changed.map((key) => `${key} = ?`).join(', ')} WHERE id = ?`,
      [...changed.map((key) => patch[key]), id]);
    const after = { ...before, ...Object.fromEntries(changed.map((key) => [key, patch[key]])) } as Listing;
    await appendToOutbox(connection, [{
      aggregateType: 'listing', aggregateId: id, type: 'listing.updated',
      payload: { ...after, changed: Object.fromEntries(changed.map((key) => [key, { from: before[key], to: after[key] }])) },
    }]);
    return after;
  });
}

export interface RemoveListingOptions {
  /** Why it was taken down; travels with `listing.removed`. */
  reason?: string;
  /**
   * Who took it down. A moderator's removal always keeps the row (status `removed`): it is the
   * evidence the complaints and the audit trail point at, and the seller may appeal it.
   */
  removedBy?: 'seller' | 'admin';
}

/**
 * Takes a listing off the marketplace. A listing nobody ordered is deleted outright when its
 * seller removes it; one with orders (orders point at it) or removed by a moderator stays with
 * status `removed`. Either way `listing.removed` is written, with the reason and who removed it.
 */
export async function removeListing(pool: Pool, id: number, options: RemoveListingOptions = {}): Promise<'deleted' | 'removed'> {
  return withTransaction(pool, (connection) => removeListingWith(connection, id, options));
}

/** removeListing inside the caller's transaction, for callers that write more alongside it. */
export async function removeListingWith(connection: PoolConnection, id: number, options: RemoveListingOptions = {}): Promise<'deleted' | 'removed'> {
  const removedBy = options.removedBy ?? 'seller';
  const listing = await lockListing(connection, id);
  // Removed already (by a moderator, or sold then removed): nothing to do, and a seller must not
  // delete the row a moderator kept as evidence.
  if (listing.status === 'removed' && removedBy === 'seller') return 'removed';
  const [orders] = await connection.query<RowDataPacket[]>('SELECT 1 FROM orders WHERE listing_id = ? LIMIT 1', [id]);
  let outcome: 'deleted' | 'removed';
  if (orders.length === 0 && removedBy === 'seller') {
    // Explicit, not ON DELETE SET NULL: cascades never reach the binlog.
    await connection.query('UPDATE messages SET listing_id = NULL WHERE listing_id = ?', [id]);
    await connection.query('UPDATE complaints SET listing_id = NULL WHERE listing_id = ?', [id]);
    await connection.query<ResultSetHeader>('DELETE FROM listings WHERE id = ?', [id]);
    outcome = 'deleted';
  } else {
    await connection.query('UPDATE listings SET status = ? WHERE id = ?', ['removed', id]);
    outcome = 'removed';
  }
  await appendToOutbox(connection, [{
    aggregateType: 'listing', aggregateId: id, type: 'listing.removed',
    payload: { id, seller_id: listing.seller_id, name: listing.name, outcome, reason: options.reason ?? null, removed_by: removedBy },
  }]);
  return outcome;
}
