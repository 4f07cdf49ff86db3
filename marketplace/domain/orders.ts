import { randomBytes } from 'node:crypto';
import { ConflictError, RateLimited } from '../../core/errors.js';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
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
 * Orders awaiting payment a buyer may have at once: each holds its listing until it is paid or
 * expires, so without a cap one account could take listings off sale by the hundred.
 */
export const MAX_UNPAID_ORDERS = 5;

export interface PlaceOrderOptions {
  /**
   * The payment provider the order is to be paid through: the order then waits in
   * `pending_payment` and `order.placed` is written when the provider says it was paid. A free
   * listing needs no payment.
   */
  paymentProvider?: string;
}

/**
 * Buys a listing: in one transaction the listing (locked FOR UPDATE) becomes `sold`, the order
 * is created and `order.placed` is written. A second buyer finds it sold and gets a ConflictError.
 * With a payment provider the listing is held the same way while the payment is pending.
 */
export async function placeOrder(pool: Pool, listingId: number, buyerId: number, options: PlaceOrderOptions = {}): Promise<PlacedOrder> {
  return withTransaction(pool, async (connection) => {
    const listing = await lockListing(connection, listingId);
    if (listing.status !== 'active') throw new ConflictError(`listing ${listingId} is ${listing.status}, not for sale`);
    if (listing.seller_id === buyerId) throw new ConflictError('sellers cannot buy their own listing');
    const provider = listing.price_amount > 0 ? options.paymentProvider : undefined;
    if (provider) {
      const [unpaid] = await connection.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM orders WHERE buyer_id = ? AND status = 'pending_payment'", [buyerId]);
      const count = Number(unpaid[0]!.n);
      if (count >= MAX_UNPAID_ORDERS) throw new RateLimited(`you have ${count} orders awaiting payment: pay for one or wait for it to expire before buying more`);
    }
    await connection.query('UPDATE listings SET status = ? WHERE id = ?', ['sold', listingId]);
    const [result] = await connection.query<ResultSetHeader>(
      'INSERT INTO orders (listing_id, buyer_id, seller_id, amount, currency, status) VALUES (?, ?, ?, ?, ?, ?)',
      [listingId, buyerId, listing.seller_id, listing.price_amount, listing.price_currency, provider ? 'pending_payment' : 'placed'],
    );
    const order: PlacedOrder = {
      id: result.insertId, listingId, buyerId, sellerId: listing.seller_id,
      amount: listing.price_amount, currency: listing.price_currency,
    };
    if (provider) {
      await connection.query('INSERT INTO order_payments (order_id, provider, reference) VALUES (?, ?, ?)', [order.id, provider, randomBytes(16).toString('hex')]);
      return order;
    }
    await appendOrderPlaced(connection, order, listing.name, 'placed');
    return order;
  });
}

/** `order.placed`: the sale is made (placed at once, or paid through the provider). */
export async function appendOrderPlaced(connection: PoolConnection, order: PlacedOrder, listingName: string, status: 'placed' | 'paid'): Promise<void> {
  await appendToOutbox(connection, [{
    aggregateType: 'order', aggregateId: order.id, type: 'order.placed',
    payload: {
      id: order.id, listing_id: order.listingId, listing_name: listingName, buyer_id: order.buyerId,
      seller_id: order.sellerId, amount: order.amount, currency: order.currency, status,
    },
  }]);
}
