// An order's payment with the provider: created once the order is pending_payment, read again by
// the buyer's client, and closed (order failed, listing for sale again) when the provider refuses.
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { withTransaction } from '../domain/transaction.js';
import type { Pool, PoolConnection, RowDataPacket } from '../mysql/connection.js';
import { PaymentProviderUnavailable, PaymentRefused } from './errors.js';
import type { Payment, PaymentsPort } from './port.js';

export interface OrderPayment {
  order_id: number;
  provider: string;
  payment_intent_id: string | null;
  /** The provider's status of the payment (requires_payment_method, processing, succeeded, ...). */
  status: string | null;
  /** Handed to the buyer only: Stripe.js confirms the payment with it. */
  client_secret: string | null;
  error: string | null;
}

const ERROR_LENGTH = 1000;

/**
 * The payment of a pending order, created with the provider when there is none yet. Each creation
 * attempt has its own idempotency key (`order-<id>-payment-<attempt>`): the SDK's retries within
 * an attempt reuse it, so one attempt creates one payment, while a new attempt after a recorded
 * failure is not answered with that failure replayed.
 */
export async function payForOrder(pool: Pool, payments: PaymentsPort, orderId: number, buyerId: number): Promise<OrderPayment> {
  const start = await withTransaction(pool, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>(
      `SELECT o.id, o.amount, o.currency, o.status, o.listing_id, p.provider, p.payment_intent_id, p.reference, p.attempts,
        (SELECT l.name FROM listings l WHERE l.id = o.listing_id) AS listing_name
       FROM orders o JOIN order_payments p ON p.order_id = o.id WHERE o.id = ? AND o.buyer_id = ? FOR UPDATE`,
      [orderId, buyerId],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError(`order ${orderId} has no payment of yours`);
    if (row.payment_intent_id) return { existing: String(row.payment_intent_id), provider: String(row.provider) } as const;
    if (row.status !== 'pending_payment') throw new ConflictError(`order ${orderId} is ${row.status}, not awaiting payment`);
    const attempt = Number(row.attempts) + 1;
    await connection.query('UPDATE order_payments SET attempts = ? WHERE order_id = ?', [attempt, orderId]);
    return {
      provider: String(row.provider), attempt,
      request: { orderId, reference: row.reference ? String(row.reference) : undefined, amount: Number(row.amount), currency: String(row.currency), description: `Steveslist order ${orderId}: ${row.listing_name ?? `listing ${row.listing_id}`}` },
    } as const;
  });
  if (start.provider !== payments.provider) throw new ConflictError(`order ${orderId} is paid through ${start.provider}, which is not configured`);
  if ('existing' in start) return view(pool, orderId, await payments.readPayment(start.existing!));

  let payment: Payment;
  try {
    payment = await payments.createPayment({ ...start.request, idempotencyKey: `order-${orderId}-payment-${start.attempt}` });
  } catch (error) {
    if (error instanceof PaymentRefused) await closeRefused(pool, orderId, error.message);
    else await pool.query('UPDATE order_payments SET error = ? WHERE order_id = ?', [errorText(error), orderId]);
    throw error;
  }
  await pool.query('UPDATE order_payments SET payment_intent_id = ?, error = NULL WHERE order_id = ? AND payment_intent_id IS NULL', [payment.id, orderId]);
  return view(pool, orderId, payment);
}

/** The buyer's or seller's view of an order's payment, without asking the provider (no client secret). */
/** What a seller sees of a payment that failed, instead of the provider's reason. */
export const SELLER_PAYMENT_ERROR = "the buyer's payment did not go through";

export async function orderPayment(pool: Pool, orderId: number, viewerId: number): Promise<OrderPayment> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT p.order_id, p.provider, p.payment_intent_id, p.error, o.buyer_id FROM order_payments p JOIN orders o ON o.id = p.order_id
     WHERE p.order_id = ? AND (o.buyer_id = ? OR o.seller_id = ?)`,
    [orderId, viewerId, viewerId],
  );
  const row = rows[0];
  if (!row) throw new NotFoundError(`order ${orderId} has no payment`);
  // The provider's reason speaks of the buyer's card and bank: the seller learns only that it failed.
  const error = row.error == null ? null : Number(row.buyer_id) === viewerId ? String(row.error) : SELLER_PAYMENT_ERROR;
  return { order_id: Number(row.order_id), provider: String(row.provider), payment_intent_id: row.payment_intent_id ?? null, status: null, client_secret: null, error };
}

async function view(pool: Pool, orderId: number, payment: Payment): Promise<OrderPayment> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT provider, payment_intent_id, error FROM order_payments WHERE order_id = ?', [orderId]);
  const row = rows[0]!;
  // A concurrent attempt may have stored its payment first; the stored one is the order's.
  const stored = row.payment_intent_id ? String(row.payment_intent_id) : payment.id;
  return {
    order_id: orderId, provider: String(row.provider), payment_intent_id: stored,
    status: stored === payment.id ? payment.status : null,
    client_secret: stored === payment.id ? payment.clientSecret : null,
    error: row.error ?? null,
  };
}

/** The provider refused to take the payment: the order failed and the listing is for sale again. */
async function closeRefused(pool: Pool, orderId: number, reason: string): Promise<void> {
  await withTransaction(pool, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>('SELECT listing_id, status FROM orders WHERE id = ? FOR UPDATE', [orderId]);
    if (rows[0]?.status !== 'pending_payment') return;
    await closeOrder(connection, orderId, Number(rows[0].listing_id), 'payment_failed', reason);
  });
}

/** Ends a pending order without a sale: its status, the reason, and its listing back on sale. */
export async function closeOrder(connection: PoolConnection, orderId: number, listingId: number, status: 'payment_failed' | 'cancelled', reason: string): Promise<void> {
  await connection.query('UPDATE orders SET status = ? WHERE id = ?', [status, orderId]);
  await connection.query('UPDATE order_payments SET error = ? WHERE order_id = ?', [reason.slice(0, ERROR_LENGTH), orderId]);
  // Held for this order only; a listing removed meanwhile stays removed.
  await connection.query("UPDATE listings SET status = 'active' WHERE id = ? AND status = 'sold'", [listingId]);
}

export function errorText(error: unknown): string {
  const text = error instanceof PaymentProviderUnavailable || error instanceof PaymentRefused ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
  return text.slice(0, ERROR_LENGTH);
}
