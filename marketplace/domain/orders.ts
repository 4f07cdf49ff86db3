import { ConflictError } from '../../core/errors.js';
import type { Pool, ResultSetHeader } from '../mysql/connection.js';
import { lockListing } from './listings.js';
import { appendToOutbox } from './outbox.js';
import { withTransaction } from './transaction.js';

export interface PlacedOrder {
  id: number;
  listingId: number;
  buyerId: number;
  sellerId: number;
  amount: number;
  currency: string;
}

/**
 * Buys a listing: in one transaction the listing (locked FOR UPDATE) becomes `sold`, the order
 * is created and `order.placed` is written. A second buyer finds it sold and gets a ConflictError.
 */
export async function placeOrder(pool: Pool, listingId: number, buyerId: number): Promise<PlacedOrder> {
  return withTransaction(pool, async (connection) => {
    const listing = await lockListing(connection, listingId);
    if (listing.status !== 'active') throw new ConflictError(`listing ${listingId} is ${listing.status}, not for sale`);
    if (listing.seller_id === buyerId) throw new ConflictError('sellers cannot buy their own listing');
    await connection.query('UPDATE listings SET status = ? WHERE id = ?', ['sold', listingId]);
    const [result] = await connection.query<ResultSetHeader>(
      'INSERT INTO orders (listing_id, buyer_id, seller_id, amount, currency) VALUES (?, ?, ?, ?, ?)',
      [listingId, buyerId, listing.seller_id, listing.price_amount, listing.price_currency],
    );
    const order: PlacedOrder = {
      id: result.insertId, listingId, buyerId, sellerId: listing.seller_id,
      amount: listing.price_amount, currency: listing.price_currency,
    };
    await appendToOutbox(connection, [{
      aggregateType: 'order', aggregateId: order.id, type: 'order.placed',
      payload: {
        id: order.id, listing_id: listingId, listing_name: listing.name, buyer_id: buyerId,
        seller_id: listing.seller_id, amount: order.amount, currency: order.currency, status: 'placed',
      },
    }]);
    return order;
  });
}
