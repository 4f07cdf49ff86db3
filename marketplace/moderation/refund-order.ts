import { ConflictError, NotFoundError } from '../../core/errors.js';
import { appendToOutbox } from '../domain/outbox.js';
import { withTransaction } from '../domain/transaction.js';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
import { errorText } from '../payments/order-payment.js';
import type { PaymentsPort } from '../payments/port.js';
import { recordAudit } from './audit.js';

/** Statuses an order can be refunded from; cancelled and refunded ones have no money to give back. */
export const REFUNDABLE_STATUSES = ['placed', 'paid', 'shipped', 'completed'] as const;

/**
 * Closed without a sale, yet refundable when the provider took the payment all the same: a buyer
 * who paid after the order was closed, its listing sold to someone else by then.
 */
const CLOSED_STATUSES = ['payment_failed', 'cancelled'] as const;

export interface RefundedOrder {
  id: number;
  status: 'refunded';
  previous_status: string;
  amount: number;
  currency: string;
  /** The provider's refund, when the order was paid through one. */
  refund?: { id: string; provider: string; status: string };
}

interface LockedOrder {
  listing_id: number;
  buyer_id: number;
  seller_id: number;
  amount: number;
  currency: string;
  status: string;
  provider: string | null;
  payment_intent_id: string | null;
}

async function lockRefundable(connection: PoolConnection, orderId: number, paidWhenClosed = false): Promise<LockedOrder> {
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT o.listing_id, o.buyer_id, o.seller_id, o.amount, o.currency, o.status, p.provider, p.payment_intent_id
     FROM orders o LEFT JOIN order_payments p ON p.order_id = o.id WHERE o.id = ? FOR UPDATE`, [orderId]);
  const order = rows[0];
  if (!order) throw new NotFoundError(`order ${orderId} does not exist`);
  const status = String(order.status);
  const refundable: readonly string[] = paidWhenClosed && order.payment_intent_id ? [...REFUNDABLE_STATUSES, ...CLOSED_STATUSES] : REFUNDABLE_STATUSES;
  if (!refundable.includes(status)) {
    throw new ConflictError(`order ${orderId} is ${status}; only ${REFUNDABLE_STATUSES.join(', ')} orders can be refunded`);
  }
  return {
    listing_id: Number(order.listing_id), buyer_id: Number(order.buyer_id), seller_id: Number(order.seller_id),
    amount: Number(order.amount), currency: String(order.currency), status,
    provider: order.provider ?? null, payment_intent_id: order.payment_intent_id ?? null,
  };
}

/**
 * Marks an order refunded and writes `order.refunded` and the audit row in one transaction. An
 * order paid through a provider is refunded there first, with an idempotency key per attempt
 * (`refund-<refund row id>`); a failed attempt is recorded with its reason and thrown,
 * and the order keeps its status.
 */
export async function refundOrder(pool: Pool, admin: string, orderId: number, reason: string, payments?: PaymentsPort): Promise<RefundedOrder> {
  const paidWhenClosed = await paidAfterClosing(pool, orderId, payments);
  const attempt = await withTransaction(pool, async (connection) => {
    const order = await lockRefundable(connection, orderId, paidWhenClosed);
    if (!order.provider || !order.payment_intent_id) return undefined;
    if (!payments || payments.provider !== order.provider) {
      throw new ConflictError(`order ${orderId} was paid through ${order.provider}, which is not configured here; configure it (STRIPE_SECRET_KEY) to refund the order`);
    }
    const [open] = await connection.query<RowDataPacket[]>("SELECT id, status FROM payment_refunds WHERE order_id = ? AND status IN ('requested', 'pending', 'succeeded') ORDER BY id DESC", [orderId]);
    const settled = open.find((refund) => refund.status !== 'requested');
    if (settled) throw new ConflictError(`order ${orderId} already has a refund under way (refund ${settled.id}, ${settled.status})`);
    // An attempt left 'requested' never heard Stripe's answer (the process stopped, or another
    // request is in flight): asking again under its key gets that answer, never a second refund.
    if (open[0]) return { refundId: Number(open[0].id), order };
    const [inserted] = await connection.query<ResultSetHeader>(
      'INSERT INTO payment_refunds (order_id, provider, amount, currency, admin, reason) VALUES (?, ?, ?, ?, ?, ?)',
      [orderId, order.provider, order.amount, order.currency, admin, reason],
    );
    return { refundId: inserted.insertId, order };
  });

  let providerRefund: RefundedOrder['refund'];
  if (attempt) {
    try {
      const refund = await payments!.refund({
        paymentId: attempt.order.payment_intent_id!, orderId, amount: attempt.order.amount, idempotencyKey: `refund-${attempt.refundId}`,
      });
      providerRefund = { id: refund.id, provider: payments!.provider, status: refund.status };
    } catch (error) {
      const why = errorText(error);
      // The attempt's row keeps who asked, why, and what failed: the record staff see.
      await withTransaction(pool, async (connection) => {
        await connection.query("UPDATE payment_refunds SET status = 'failed', error = ? WHERE id = ?", [why, attempt.refundId]);
        await recordAudit(connection, {
          admin, action: 'order.refund_failed', targetType: 'order', targetId: orderId, reason,
          details: { refund_attempt: attempt.refundId, provider: payments!.provider, error: why },
        });
      });
      throw error;
    }
  }

  return withTransaction(pool, async (connection) => {
    const order = await lockRefundable(connection, orderId, paidWhenClosed);
    const previous = order.status;
    if (attempt && providerRefund) {
      const status = providerRefund.status === 'succeeded' || providerRefund.status === 'failed' ? providerRefund.status : 'pending';
      await connection.query('UPDATE payment_refunds SET status = ?, provider_refund_id = ? WHERE id = ?', [status, providerRefund.id, attempt.refundId]);
    }
    await connection.query('UPDATE orders SET status = ? WHERE id = ?', ['refunded', orderId]);
    const { amount, currency } = order;
    await appendToOutbox(connection, [{
      aggregateType: 'order', aggregateId: orderId, type: 'order.refunded',
      payload: {
        id: orderId, listing_id: order.listing_id, buyer_id: order.buyer_id, seller_id: order.seller_id,
        amount, currency, status: 'refunded', previous_status: previous, reason, refunded_by: 'admin',
        ...(providerRefund ? { refund_id: providerRefund.id, refund_status: providerRefund.status } : {}),
      },
    }]);
    await recordAudit(connection, {
      admin, action: 'order.refund', targetType: 'order', targetId: orderId, reason,
      details: { previous_status: previous, amount, currency, ...(providerRefund ? { refund: providerRefund } : {}) },
    });
    return { id: orderId, status: 'refunded', previous_status: previous, amount, currency, ...(providerRefund ? { refund: providerRefund } : {}) };
  });
}

/** Whether a closed order's payment succeeded at the provider after all; the provider is asked, as only it knows. */
async function paidAfterClosing(pool: Pool, orderId: number, payments: PaymentsPort | undefined): Promise<boolean> {
  if (!payments) return false;
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT o.status, p.provider, p.payment_intent_id FROM orders o JOIN order_payments p ON p.order_id = o.id WHERE o.id = ?', [orderId]);
  const order = rows[0];
  if (!order?.payment_intent_id || order.provider !== payments.provider || !(CLOSED_STATUSES as readonly string[]).includes(String(order.status))) return false;
  return (await payments.readPayment(String(order.payment_intent_id))).status === 'succeeded';
}

export interface RefundAttempt {
  id: number;
  provider: string;
  provider_refund_id: string | null;
  status: string;
  amount: number;
  currency: string;
  admin: string;
  reason: string;
  error: string | null;
  created_at: string;
}

/** Every refund asked of the provider for an order, newest first, failed ones with their reason. */
export async function refundAttempts(pool: Pool, orderId: number): Promise<RefundAttempt[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT id, provider, provider_refund_id, status, amount, currency, admin, reason, error, created_at FROM payment_refunds WHERE order_id = ? ORDER BY id DESC', [orderId]);
  return rows.map((row) => ({
    id: Number(row.id), provider: String(row.provider), provider_refund_id: row.provider_refund_id ?? null, status: String(row.status),
    amount: Number(row.amount), currency: String(row.currency), admin: String(row.admin), reason: String(row.reason), error: row.error ?? null,
    created_at: new Date(row.created_at).toISOString(),
  }));
}
