import { ConflictError } from '../../core/errors.js';
import { lockListing, removeListingWith, type ListingStatus } from '../domain/listings.js';
import { withTransaction } from '../domain/transaction.js';
import type { Pool } from '../mysql/connection.js';
import { recordAudit } from './audit.js';

/**
 * A moderator takes a listing down: status `removed` (the row stays as evidence), `listing.removed`
 * with the reason and `removed_by: 'admin'`, and the audit row, all in one transaction.
 */
export async function takeDownListing(pool: Pool, admin: string, listingId: number, reason: string): Promise<{ id: number; status: 'removed'; previous_status: ListingStatus }> {
  return withTransaction(pool, async (connection) => {
    const listing = await lockListing(connection, listingId);
    if (listing.status === 'removed') throw new ConflictError(`listing ${listingId} is removed already`);
    await removeListingWith(connection, listingId, { reason, removedBy: 'admin' });
    await recordAudit(connection, {
      admin, action: 'listing.remove', targetType: 'listing', targetId: listingId, reason,
      details: { previous_status: listing.status, seller_id: listing.seller_id },
    });
    return { id: listingId, status: 'removed', previous_status: listing.status };
  });
}
