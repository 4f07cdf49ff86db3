// Applies a verified Stripe event to its order, once: the event id is recorded in the same
// transaction as the change, so a redelivery finds it and changes nothing.
import type { Logger } from '../../core/log.js';
import { appendOrderPlaced } from '../domain/orders.js';
import { withTransaction } from '../domain/transaction.js';
import type { PoolConnection, Pool, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
import { closeOrder } from './order-payment.js';
import type { PaymentEvent } from './port.js';

export type EventOutcome = 'duplicate' | 'paid' | 'payment_failed' | 'cancelled' | 'ignored' | 'needs_refund';

export async function applyPaymentEvent(pool: Pool, event: PaymentEvent, log: Logger): Promise<EventOutcome> {
  return withTransaction(pool, async (connection) => {
    const [claimed] = await connection.query<ResultSetHeader>(
      "INSERT IGNORE INTO stripe_events (id, type, outcome) VALUES (?, ?, 'applying')", [event.id, event.type],
    );
    if (claimed.affectedRows === 0) return 'duplicate';
    const { outcome, orderId, note } = await apply(connection, event);
    await connection.query('UPDATE stripe_events SET outcome = ?, order_id = ? WHERE id = ?', [note ? `${outcome}: ${note}`.slice(0, 200) : outcome, orderId ?? null, event.id]);
    if (outcome === 'needs_refund') log.error({ event: event.id, order: orderId, reason: note }, 'payment succeeded for an order that cannot be fulfilled; refund it');
    else if (outcome === 'ignored' && note) log.warn({ event: event.id, type: event.type, reason: note }, 'payment event ignored');
    return outcome;
  });
}

interface Applied {
  outcome: EventOutcome;
  orderId?: number;
  note?: string;
}

async function apply(connection: PoolConnection, event: PaymentEvent): Promise<Applied> {
  const payment = event.payment;
  const handled = ['payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.canceled'];
  if (!payment || !handled.includes(event.type)) return { outcome: 'ignored' };
  // By the payment id stored at creation; the metadata's order id and secret reference cover a
  // payment whose id was never stored (the platform stopped between Stripe's answer and the
  // update). The order id alone could be another application's on a shared Stripe account.
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT o.id, o.listing_id, o.buyer_id, o.seller_id, o.amount, o.currency, o.status, p.payment_intent_id,
       (SELECT l.name FROM listings l WHERE l.id = o.listing_id) AS listing_name
     FROM order_payments p JOIN orders o ON o.id = p.order_id
     WHERE p.payment_intent_id = ? OR (p.payment_intent_id IS NULL AND p.order_id = ? AND p.reference = ?) FOR UPDATE`,
    [payment.id, payment.orderId ?? 0, payment.reference ?? ''],
  );
  const order = rows[0];
  if (!order) return { outcome: 'ignored', note: `no order has payment ${payment.id}` };
  const orderId = Number(order.id);
  const listingId = Number(order.listing_id);
  if (!order.payment_intent_id) await connection.query('UPDATE order_payments SET payment_intent_id = ? WHERE order_id = ?', [payment.id, orderId]);

  if (event.type === 'payment_intent.succeeded') {
    if (payment.amount !== Number(order.amount) || payment.currency.toLowerCase() !== String(order.currency).toLowerCase()) {
      const note = `paid ${payment.amount} ${payment.currency} for an order of ${order.amount} ${order.currency}`;
      // No sale at another price: a pending order closes and frees its listing (kept waiting, it
      // held the listing until staff acted, and the expiry job met the same mismatch each run).
      if (order.status === 'pending_payment') await closeOrder(connection, orderId, listingId, 'cancelled', `${note}: refund it`);
      else await connection.query('UPDATE order_payments SET error = ? WHERE order_id = ?', [`${note}: refund it`, orderId]);
      return { outcome: 'needs_refund', orderId, note };
    }
    const [listing] = await connection.query<RowDataPacket[]>('SELECT status, price_amount, price_currency FROM listings WHERE id = ? FOR UPDATE', [listingId]);
    if (order.status === 'pending_payment') {
      // Held for this order as 'sold'; taken down meanwhile (a moderator, or its seller), there is
      // nothing left to sell: the order closes and the money goes back.
      if (listing[0]?.status !== 'sold') {
        const note = `order ${orderId} was paid after its listing was ${listing[0]?.status ?? 'deleted'}`;
        await closeOrder(connection, orderId, listingId, 'cancelled', `${note}: refund it`);
        return { outcome: 'needs_refund', orderId, note };
      }
    } else {
      // Paid after the order was closed (a later attempt by the buyer): the sale stands only if
      // the listing is still for sale, at the price the buyer paid.
      const repriced = listing[0] && (Number(listing[0].price_amount) !== Number(order.amount) || String(listing[0].price_currency).toLowerCase() !== String(order.currency).toLowerCase());
      if (!['payment_failed', 'cancelled'].includes(String(order.status)) || listing[0]?.status !== 'active' || repriced) {
        const note = repriced && listing[0]?.status === 'active'
          ? `order ${orderId} is ${order.status} and its listing's price changed to ${listing[0]!.price_amount} ${String(listing[0]!.price_currency).toLowerCase()}`
          : `order ${orderId} is ${order.status} and its listing ${listing[0]?.status ?? 'gone'}`;
        await connection.query('UPDATE order_payments SET error = ? WHERE order_id = ?', [`paid, but ${note}: refund it`, orderId]);
        return { outcome: order.status === 'paid' ? 'ignored' : 'needs_refund', orderId, note };
      }
      await connection.query("UPDATE listings SET status = 'sold' WHERE id = ?", [listingId]);
    }
    await connection.query("UPDATE orders SET status = 'paid' WHERE id = ?", [orderId]);
    await connection.query('UPDATE order_payments SET error = NULL WHERE order_id = ?', [orderId]);
    await appendOrderPlaced(connection, {
      id: orderId, listingId, buyerId: Number(order.buyer_id), sellerId: Number(order.seller_id), amount: Number(order.amount), currency: String(order.currency),
    }, String(order.listing_name ?? ''), 'paid');
    return { outcome: 'paid', orderId };
  }

  if (order.status !== 'pending_payment') return { outcome: 'ignored', orderId, note: `order ${orderId} is already ${order.status}` };
  const status = event.type === 'payment_intent.canceled' ? 'cancelled' : 'payment_failed';
  await closeOrder(connection, orderId, listingId, status, payment.lastError ?? (status === 'cancelled' ? 'the payment was cancelled' : 'the payment failed'));
  return { outcome: status, orderId };
}
