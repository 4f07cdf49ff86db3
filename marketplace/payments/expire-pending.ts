// Orders left unpaid: a buyer who never confirms the payment must not hold a listing for ever.
// Each one past the limit has its payment cancelled at the provider and is closed as cancelled,
// its listing for sale again. One the provider says was paid is settled as paid here: its
// succeeded event may have been lost (an endpoint misconfigured for days), and waiting for it
// would hold the order and its listing for ever. A late event then finds the order paid.
import type { Logger } from '../../core/log.js';
import { withTransaction } from '../domain/transaction.js';
import type { Pool, RowDataPacket } from '../mysql/connection.js';
import { applyPaymentEvent } from './apply-payment-event.js';
import { PaymentRefused } from './errors.js';
import { closeOrder, errorText } from './order-payment.js';
import type { PaymentsPort } from './port.js';

export interface ExpiryResult {
  cancelled: number;
  /** Paid at the provider: settled as paid (order.placed), as its succeeded event would have. */
  paidMeanwhile: number;
  /** Still being processed by the provider (some payment methods take days): left for the next run. */
  processing: number;
  /** The provider failed; tried again on the next run. */
  failed: { orderId: number; reason: string }[];
}

const BATCH = 500;

export async function expirePendingPayments(pool: Pool, payments: PaymentsPort, olderThanMinutes: number, log: Logger, signal?: AbortSignal): Promise<ExpiryResult> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT o.id, p.payment_intent_id FROM orders o JOIN order_payments p ON p.order_id = o.id
     WHERE o.status = 'pending_payment' AND p.provider = ? AND o.created_at < UTC_TIMESTAMP(6) - INTERVAL ? MINUTE ORDER BY o.id LIMIT ?`,
    [payments.provider, olderThanMinutes, BATCH],
  );
  const result: ExpiryResult = { cancelled: 0, paidMeanwhile: 0, processing: 0, failed: [] };
  const reason = `not paid within ${olderThanMinutes} minutes`;
  for (const row of rows) {
    if (signal?.aborted) break;
    const orderId = Number(row.id);
    if (row.payment_intent_id) {
      try {
        const payment = await payments.cancelPayment(String(row.payment_intent_id));
        if (payment.status !== 'canceled') continue;
      } catch (error) {
        if (error instanceof PaymentRefused) {
          // Most often it succeeded a moment ago; reading it says for sure.
          const payment = await payments.readPayment(String(row.payment_intent_id)).catch(() => undefined);
          if (payment?.status === 'processing') {
            result.processing++;
            continue;
          }
          if (payment?.status === 'succeeded') {
            const outcome = await applyPaymentEvent(pool, {
              id: `reconciled:${payment.id}`, type: 'payment_intent.succeeded', payment: { ...payment, orderId, reference: undefined, lastError: undefined },
            }, log);
            if (outcome === 'paid') result.paidMeanwhile++;
            continue;
          }
          if (payment?.status !== 'canceled') {
            result.failed.push({ orderId, reason: errorText(error) });
            continue;
          }
        } else {
          result.failed.push({ orderId, reason: errorText(error) });
          continue;
        }
      }
    }
    const closed = await withTransaction(pool, async (connection) => {
      const [locked] = await connection.query<RowDataPacket[]>('SELECT listing_id, status FROM orders WHERE id = ? FOR UPDATE', [orderId]);
      if (locked[0]?.status !== 'pending_payment') return false;
      await closeOrder(connection, orderId, Number(locked[0].listing_id), 'cancelled', reason);
      return true;
    });
    if (closed) result.cancelled++;
  }
  if (result.failed.length > 0) log.warn({ failed: result.failed.length, first: result.failed[0] }, 'unpaid orders whose payment could not be cancelled; the next run tries again');
  return result;
}
