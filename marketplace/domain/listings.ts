import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
import type { Gazetteer } from '../places/gazetteer.js';
import { worldCities } from '../places/geonames-gazetteer.js';
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
  /** The city's point; looked up in the gazetteer when absent (null: it does not know the city). */
  latitude?: number | null;
  longitude?: number | null;
}

/** A new listing whose coordinates were looked up. */
type LocatedListing = NewListing & { latitude: number | null; longitude: number | null };

export type ListingPatch = Partial<ListingFields & Pick<Listing, 'status'>>;

const COLUMNS = ['seller_id', 'name', 'description', 'category', 'country', 'city', 'latitude', 'longitude', 'price_amount', 'price_currency', 'status'] as const;

function toRow(listing: LocatedListing, dated: boolean): unknown[] {
  return [listing.sellerId, listing.name, listing.description, listing.category, listing.country, listing.city, listing.latitude, listing.longitude,
    listing.priceAmount, listing.priceCurrency, listing.status ?? 'active', ...(dated ? [listing.createdAt, listing.createdAt] : [])];
}

function toPayload(id: number, listing: LocatedListing): Record<string, unknown> {
  return {
    id, seller_id: listing.sellerId, name: listing.name, description: listing.description, category: listing.category,
    country: listing.country, city: listing.city, latitude: listing.latitude, longitude: listing.longitude, price_amount: listing.priceAmount,
    price_currency: listing.priceCurrency, status: listing.status ?? 'active',
  };
}

/** The point of a city as a listing stores it: null and null when the gazetteer does not know it. */
export async function coordinatesOf(places: Gazetteer, city: string, country: string): Promise<{ latitude: number | null; longitude: number | null }> {
  const place = await places.locate(city, country);
  return place ? { latitude: place.latitude, longitude: place.longitude } : { latitude: null, longitude: null };
}

async function locate(listings: readonly NewListing[], places: Gazetteer): Promise<LocatedListing[]> {
  return Promise.all(listings.map(async (listing) => (listing.latitude !== undefined && listing.longitude !== undefined
    ? { ...listing, latitude: listing.latitude, longitude: listing.longitude }
    : { ...listing, ...await coordinatesOf(places, listing.city, listing.country) })));
}

/**
 * Inserts listings and one `listing.created` event each; returns their ids in order. Coordinates
 * not given come from `places` (the world-cities gazetteer unless another is passed).
 */
export async function insertListings(connection: PoolConnection, newListings: readonly NewListing[], places: Gazetteer = worldCities()): Promise<number[]> {
  const listings = await locate(newListings, places);
  const dated = listings.every((l) => l.createdAt);
  const ids = await insertRows(connection, 'listings', [...COLUMNS, ...(dated ? TIMESTAMP_COLUMNS : [])],
    listings.map((listing) => toRow(listing, dated)));
  await appendToOutbox(connection, listings.map((listing, i) => ({
    aggregateType: 'listing', aggregateId: ids[i]!, type: 'listing.created', payload: toPayload(ids[i]!, listing),
  })));
  return ids;
}

export async function createListing(pool: Pool, listing: NewListing, places: Gazetteer = worldCities()): Promise<number> {
  // Located before the transaction: the gazetteer's first use loads it, and no lock waits for that.
  const [located] = await locate([listing], places);
  const [id] = await withTransaction(pool, (connection) => insertListings(connection, [located!], places));
  return id!;
}

export async function lockListing(connection: PoolConnection, id: number): Promise<Listing> {
  const [rows] = await connection.query<RowDataPacket[]>('SELECT * FROM listings WHERE id = ? FOR UPDATE', [id]);
  if (rows.length === 0) throw new NotFoundError(`listing ${id} does not exist`);
  const row = rows[0]!;
  // BIGINT columns arrive as strings from the app's pool (exactness first); these fit in 2^53.
  return { ...row, id: Number(row.id), seller_id: Number(row.seller_id), price_amount: Number(row.price_amount) } as Listing;
}

/**
 * Applies a patch and writes `listing.updated` with the fields that changed. A new city or
 * country brings the coordinates `places` gives for it (the world-cities gazetteer unless another
 * is passed), which change with them.
 */
export async function updateListing(pool: Pool, id: number, patch: ListingPatch, places: Gazetteer = worldCities()): Promise<Listing> {
  return withTransaction(pool, async (connection) => {
    const before = await lockListing(connection, id);
    if (before.status === 'removed' || before.status === 'sold') throw new ConflictError(`listing ${id} is ${before.status} and can no longer be edited`);
    // Held by the listing checks: the seller cannot put it back on sale; a moderator decides.
    if (before.status === 'pending_review') throw new ConflictError(`listing ${id} is under review by our moderators and can be edited once they have decided`);
    const asked: Partial<Listing> = { ...patch };
    if ((patch.city !== undefined && patch.city !== before.city) || (patch.country !== undefined && patch.country !== before.country)) {
      Object.assign(asked, await coordinatesOf(places, patch.city ?? before.city, patch.country ?? before.country));
    }
    const changed = (Object.keys(asked) as (keyof Listing)[]).filter((key) => asked[key] !== undefined && asked[key] !== before[key]);
    if (changed.length === 0) return before;
    await connection.query(`UPDATE listings SET ${changed.map((key) => `${key} = ?`).join(', ')} WHERE id = ?`,
      [...changed.map((key) => asked[key]), id]);
    const after = { ...before, ...Object.fromEntries(changed.map((key) => [key, asked[key]])) } as Listing;
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
