import { ConflictError, NotFoundError } from '../../core/errors.js';
import { appendToOutbox } from '../domain/outbox.js';
import { withTransaction } from '../domain/transaction.js';
import type { Pool, RowDataPacket } from '../mysql/connection.js';
import { recordAudit } from './audit.js';

/** Statuses an order can be refunded from; cancelled and refunded ones have no money to give back. */
export const REFUNDABLE_STATUSES = ['placed', 'paid', 'shipped', 'completed'] as const;

export interface RefundedOrder {
  id: number;
  status: 'refunded';
  previous_status: string;
  amount: number;
  currency: string;
}

/**
 * Marks an order refunded and writes `order.refunded` (what pays the money back consumes it) and
 * the audit row in one transaction.
 */
export async function refundOrder(pool: Pool, admin: string, orderId: number, reason: string): Promise<RefundedOrder> {
  return withTransaction(pool, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>('SELECT id, listing_id, buyer_id, seller_id, amount, currency, status FROM orders WHERE id = ? FOR UPDATE', [orderId]);
    const order = rows[0];
    if (!order) throw new NotFoundError(`order ${orderId} does not exist`);
    const previous = String(order.status);
    if (!(REFUNDABLE_STATUSES as readonly string[]).includes(previous)) {
      throw new ConflictError(`order ${orderId} is ${previous}; only ${REFUNDABLE_STATUSES.join(', ')} orders can be refunded`);
    }
    await connection.query('UPDATE orders SET status = ? WHERE id = ?', ['refunded', orderId]);
    const amount = Number(order.amount);
    const currency = String(order.currency);
    await appendToOutbox(connection, [{
      aggregateType: 'order', aggregateId: orderId, type: 'order.refunded',
      payload: {
        id: orderId, listing_id: Number(order.listing_id), buyer_id: Number(order.buyer_id), seller_id: Number(order.seller_id),
        amount, currency, status: 'refunded', previous_status: previous, reason, refunded_by: 'admin',
      },
    }]);
    await recordAudit(connection, { admin, action: 'order.refund', targetType: 'order', targetId: orderId, reason, details: { previous_status: previous, amount, currency } });
    return { id: orderId, status: 'refunded', previous_status: previous, amount, currency };
  });
}
