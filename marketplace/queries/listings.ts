import { NotFoundError } from '../../core/errors.js';
import { LISTING_COLUMNS, type Listing, type ListingStatus } from '../domain/listing-shape.js';
import type { Pool, RowDataPacket } from '../mysql/connection.js';
import { apiRow } from './api-row.js';
import { equalities, keysetPage, type Page, type PageRequest } from './keyset-page.js';

const SELECT = `SELECT ${LISTING_COLUMNS.join(', ')} FROM listings`;

/** Seen by their seller alone: drafts, removed listings, and listings held for review. */
const SELLER_ONLY: readonly string[] = ['draft', 'removed', 'pending_review'];

/** A listing as `viewerId` may see it: drafts, removed and held listings only to their seller. */
export async function getListing(pool: Pool, id: number, viewerId?: number): Promise<Listing> {
  const [rows] = await pool.query<RowDataPacket[]>(`${SELECT} WHERE id = ?`, [id]);
  const listing = rows[0] ? apiRow<Listing>(rows[0]) : undefined;
  if (!listing || (SELLER_ONLY.includes(listing.status) && listing.seller_id !== viewerId)) {
    throw new NotFoundError(`listing ${id} does not exist`);
  }
  return listing;
}

export interface ListingFilter {
  category?: string;
  country?: string;
  city?: string;
  sellerId?: number;
}

/** Active listings, newest first: what anyone may browse. */
export function activeListings(pool: Pool, filter: ListingFilter, page: PageRequest): Promise<Page<Listing>> {
  return keysetPage<Listing>(pool, SELECT, equalities({
    status: 'active', category: filter.category, country: filter.country, city: filter.city, seller_id: filter.sellerId,
  }), page);
}

/** A seller's own listings in any status. */
export function sellerListings(pool: Pool, sellerId: number, status: ListingStatus | undefined, page: PageRequest): Promise<Page<Listing>> {
  return keysetPage<Listing>(pool, SELECT, equalities({ seller_id: sellerId, status }), page);
}
